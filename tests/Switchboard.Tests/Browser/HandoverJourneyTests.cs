using Microsoft.Playwright;
using Switchboard.Tests.Composer;
using Switchboard.Tests.Handover;
using Switchboard.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Switchboard.Tests.Browser;

/// <summary>Hand-over in Debian's chromium: Carlos asks Lena (Legal), Lena sees only that conversation and answers, Carlos sends the draft.</summary>
public class HandoverJourneyTests(ITestOutputHelper output)
{
    private static async Task<IPage> SignInAsync(IBrowser browser, ComposerKit kit, string name, List<string> errors)
    {
        var page = await Chromium.NewPageAsync(browser);
        page.Console += (_, m) =>
        {
            // The 404 Lena is meant to get on the conversation page is logged by chromium as a failed resource.
            if (m.Type == "error" && !m.Text.Contains("status of 404", StringComparison.Ordinal))
            {
                errors.Add(name + ": " + m.Text);
            }
        };
        await page.SignInAsync(kit.Server.Address, ComposerKit.Email(name), ComposerKit.Password);
        return page;
    }

    [Fact]
    public async Task An_agent_hands_over_to_a_legal_expert_who_answers_into_the_draft_which_the_agent_sends()
    {
        await using var kit = await ComposerKit.StartAsync("sqlite");
        await HandoverApiTests.FlagLenaAsync(kit);
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await Chromium.LaunchAsync(playwright);
        var errors = new List<string>();
        var conversationUrl = new Uri(kit.Server.Address, $"/conversations/{kit.ConversationId}").ToString();

        var carlos = await SignInAsync(browser, kit, "carlos", errors);
        await carlos.GotoAsync(conversationUrl);
        await carlos.WaitForSelectorAsync("#handover-ask");
        await carlos.SelectOptionAsync("#handover-expert", new SelectOptionValue { Label = "Lena Legal (Legal)" });
        await carlos.FillAsync("#handover-question", "May we promise a refund for order 7?");
        await carlos.ClickAsync("#handover-send");
        await carlos.WaitForSelectorAsync(".handover-open");
        var id = await kit.ScalarAsync<long>("SELECT MAX(id) FROM handovers");

        var lena = await SignInAsync(browser, kit, "lena", errors);
        // Her session (the page's cookies) gets 404 for the conversation itself and for any other hand-over id.
        Assert.Equal(404, (await lena.APIRequest.GetAsync(conversationUrl)).Status);
        await lena.GotoAsync(new Uri(kit.Server.Address, $"/handovers/{id}").ToString());
        await lena.WaitForSelectorAsync("#handover-page");
        Assert.Contains("my order 7 is late", await lena.InnerTextAsync("#thread"), StringComparison.Ordinal);
        Assert.Contains("refund for order 7", await lena.InnerTextAsync("#handover-question-text"), StringComparison.Ordinal);
        var otherId = id + 1;
        Assert.Equal(404, (await lena.APIRequest.GetAsync(new Uri(kit.Server.Address, $"/handovers/{otherId}").ToString())).Status);
        await lena.FillAsync("#handover-answer", "Yes, a goodwill refund is fine.");
        await lena.ClickAsync("#handover-answer-send");
        await lena.WaitForSelectorAsync(".notice");

        await carlos.GotoAsync(conversationUrl);
        await carlos.WaitForSelectorAsync("#composer");
        await carlos.WaitForFunctionAsync("() => (document.getElementById('composer-text')?.value ?? '').includes('goodwill refund is fine')");
        Assert.Contains("Answer from Lena Legal (Legal)", await carlos.ContentAsync(), StringComparison.Ordinal);
        await carlos.FocusAsync("#composer-text");
        await carlos.Keyboard.PressAsync("Control+Enter");
        await carlos.WaitForSelectorAsync("#composer-replies [data-status=sent]");
        var path = Path.Combine(Path.GetTempPath(), "switchboard-handover-sent.png");
        await carlos.ScreenshotAsync(new PageScreenshotOptions { Path = path });
        output.WriteLine("screenshot: " + path);
        Assert.Equal(1, await kit.ScalarAsync<long>("SELECT COUNT(*) FROM replies WHERE status = 'sent' AND text LIKE '%goodwill refund is fine%'"));
        Assert.Empty(errors);
    }

    [Fact]
    public async Task The_experts_page_follows_the_conversation_live_and_keeps_what_the_expert_is_typing()
    {
        await using var kit = await ComposerKit.StartAsync("sqlite");
        var lenaId = await HandoverApiTests.FlagLenaAsync(kit);
        using var carlosApi = await kit.ClientAsync(ComposerKit.Email("carlos"));
        var id = await HandoverApiTests.AskAsync(carlosApi, kit.ConversationId, lenaId, "Can we refund order 7?");
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await Chromium.LaunchAsync(playwright);
        var errors = new List<string>();
        var lena = await SignInAsync(browser, kit, "lena", errors);
        await lena.GotoAsync(new Uri(kit.Server.Address, $"/handovers/{id}").ToString());
        await lena.WaitForSelectorAsync("#handover-live[data-status=open]");
        await lena.FillAsync("#handover-answer", "Half typed: yes, but");

        // The customer writes again: the new message shows up in Lena's thread without a reload, her text untouched.
        using var admin = await kit.Server.AdminClientAsync();
        var follow = System.Text.Json.JsonSerializer.Serialize(new
        {
            id = "kit-2",
            channel = "mastodon",
            text = "also order 8 never arrived",
            in_reply_to = "kit-1",
            created_at = DateTimeOffset.UtcNow.ToString("O"),
            author = new { id = "author-ana", handle = "ana", name = "Ana Author" },
        });
        (await admin.PostAsync("/api/posts", new StringContent(follow, System.Text.Encoding.UTF8, "application/x-ndjson"))).EnsureSuccessStatusCode();
        await Assertions.Expect(lena.Locator("#thread")).ToContainTextAsync("also order 8 never arrived", new LocatorAssertionsToContainTextOptions { Timeout = 15_000 });
        Assert.Equal("Half typed: yes, but", await lena.InputValueAsync("#handover-answer"));

        // Carlos cancels: Lena's page says so and the answer forms go, without a reload.
        (await carlosApi.PostAsync($"/api/handovers/{id}/cancel", null)).EnsureSuccessStatusCode();
        await Assertions.Expect(lena.Locator("#handover-live")).ToHaveAttributeAsync("data-status", "cancelled", new LocatorAssertionsToHaveAttributeOptions { Timeout = 15_000 });
        await Assertions.Expect(lena.Locator("#handover-closed")).ToBeVisibleAsync();
        await Assertions.Expect(lena.Locator("#handover-forms")).ToBeHiddenAsync();

        // The fragment has the page's own check: Lena reads it, someone of another team gets 404.
        var live = new Uri(kit.Server.Address, $"/handover/{id}/live").ToString();
        var mine = await lena.APIRequest.GetAsync(live);
        Assert.Equal(200, mine.Status);
        Assert.Contains("id=\"handover-live\"", await mine.TextAsync(), StringComparison.Ordinal);
        var hana = await SignInAsync(browser, kit, "hana", errors);
        Assert.Equal(404, (await hana.APIRequest.GetAsync(live)).Status);
        Assert.Empty(errors);
    }
}
