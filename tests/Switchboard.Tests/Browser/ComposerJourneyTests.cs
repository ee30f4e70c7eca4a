using Microsoft.Playwright;
using Switchboard.Tests.Composer;
using Switchboard.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Switchboard.Tests.Browser;

/// <summary>
/// The composer in Debian's chromium against the real server (in process, demo outbound recorder, SQLite): canned
/// replies by keyboard, a blocked card number, a trainee's reply through approval, and two agents colliding.
/// </summary>
public class ComposerJourneyTests(ITestOutputHelper output)
{
    private async Task<IPage> SignInAsync(IBrowser browser, ComposerKit kit, string name, List<string> errors, bool openConversation = true)
    {
        var page = await Chromium.NewPageAsync(browser);
        page.Console += (_, m) =>
        {
            // 409 (collision) and 422 (blocked) are answers the composer expects and shows; chromium still logs them.
            if (m.Type == "error" && !m.Text.Contains("status of 409", StringComparison.Ordinal) && !m.Text.Contains("status of 422", StringComparison.Ordinal))
            {
                errors.Add(name + ": " + m.Text);
            }
        };
        await page.SignInAsync(kit.Server.Address, ComposerKit.Email(name), ComposerKit.Password);
        if (!openConversation)
        {
            return page;
        }

        await page.GotoAsync(new Uri(kit.Server.Address, $"/conversations/{kit.ConversationId}").ToString());
        await page.WaitForSelectorAsync("#composer");
        return page;
    }

    private async Task ShotAsync(IPage page, string name)
    {
        var path = Path.Combine(Path.GetTempPath(), $"switchboard-composer-{name}.png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path });
        output.WriteLine("screenshot: " + path);
    }

    [Fact]
    public async Task An_agent_answers_with_a_canned_reply_using_only_the_keyboard()
    {
        await using var kit = await ComposerKit.StartAsync("sqlite");
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await Chromium.LaunchAsync(playwright);
        var errors = new List<string>();
        var page = await SignInAsync(browser, kit, "carlos", errors);

        // Keyboard only: Tab to the composer, "/" opens the canned replies, typing filters, Enter inserts, Ctrl+Enter sends.
        for (var i = 0; i < 300 && await page.EvaluateAsync<string>("() => document.activeElement?.id ?? ''") != "composer-text"; i++)
        {
            await page.Keyboard.PressAsync("Tab");
        }

        Assert.Equal("composer-text", await page.EvaluateAsync<string>("() => document.activeElement?.id ?? ''"));
        await page.Keyboard.TypeAsync("/tha");
        await page.WaitForSelectorAsync("#composer-canned:not([hidden]) [data-shortcut=thanks][aria-selected=true]");
        await page.Keyboard.PressAsync("Enter");
        const string expected = "Hi Ana Author, thanks for reaching out! Carlos here, I am looking into it now.";
        await page.WaitForFunctionAsync($"() => document.getElementById('composer-text').value === {System.Text.Json.JsonSerializer.Serialize(expected)}");
        await page.Keyboard.PressAsync("Control+Enter");
        await page.WaitForSelectorAsync("#composer-status.ok");
        await page.WaitForSelectorAsync("#composer-replies [data-status=sent]");
        await ShotAsync(page, "canned");

        Assert.Equal("sent", await kit.ScalarAsync<string>("SELECT status FROM replies WHERE text = @expected", new { expected }));
        await page.ReloadAsync();
        var outgoing = page.Locator("#thread article.msg.out .text");
        await outgoing.First.WaitForAsync();
        Assert.Equal(expected, await outgoing.Last.InnerTextAsync());
        Assert.Empty(errors);
    }

    [Fact]
    public async Task A_reply_with_a_card_number_is_blocked_with_the_reason_next_to_the_number()
    {
        await using var kit = await ComposerKit.StartAsync("sqlite");
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await Chromium.LaunchAsync(playwright);
        var errors = new List<string>();
        var page = await SignInAsync(browser, kit, "carlos", errors);

        await page.FocusAsync("#composer-text");
        await page.Keyboard.TypeAsync("Please pay with card 4111 1111 1111 1111 today.");
        var mark = page.Locator("#composer-check mark.finding-block");
        await mark.WaitForAsync();
        Assert.Equal("4111 1111 1111 1111", await mark.InnerTextAsync());
        // The reason sits right after the offending number.
        var reason = await mark.EvaluateAsync<string>("m => m.nextElementSibling.className + '|' + m.nextElementSibling.textContent");
        Assert.Contains("finding-reason", reason, StringComparison.Ordinal);
        Assert.Contains("payment card number", reason, StringComparison.Ordinal);
        Assert.Equal("500", (await page.InnerTextAsync("#composer-count")).Split(" / ")[1]);

        await page.Keyboard.PressAsync("Control+Enter");
        await page.WaitForSelectorAsync("#composer-status.error");
        Assert.Contains("Blocked by compliance", await page.InnerTextAsync("#composer-status"), StringComparison.Ordinal);
        await ShotAsync(page, "blocked");
        Assert.Equal(0, await kit.ScalarAsync<long>("SELECT COUNT(*) FROM replies"));
        Assert.Empty(errors);
    }

    [Fact]
    public async Task A_trainee_reply_waits_for_approval_and_is_sent_once_after_the_approver_edits_it()
    {
        await using var kit = await ComposerKit.StartAsync("sqlite");
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await Chromium.LaunchAsync(playwright);
        var errors = new List<string>();
        var tom = await SignInAsync(browser, kit, "tom", errors);

        await tom.FocusAsync("#composer-text");
        await tom.Keyboard.TypeAsync("Hello Ana, we will look at it");
        await tom.Keyboard.PressAsync("Control+Enter");
        await tom.WaitForSelectorAsync("#composer-replies [data-status=pending_approval]");
        Assert.Contains("trainee", await tom.InnerTextAsync("#composer-status"), StringComparison.Ordinal);
        Assert.Equal(0, await kit.ScalarAsync<long>("SELECT COUNT(*) FROM send_attempts"));

        var maria = await SignInAsync(browser, kit, "maria", errors);
        await maria.GotoAsync(new Uri(kit.Server.Address, "/approvals").ToString());
        var item = maria.Locator("article.approval");
        await item.WaitForAsync();
        Assert.Equal("Hello Ana, we will look at it", await item.Locator("textarea.approval-text").InputValueAsync());
        Assert.Contains("my order 7 is late", await item.InnerTextAsync(), StringComparison.Ordinal); // the conversation is shown
        const string edited = "Hello Ana, we are looking at your order right now.";
        await item.Locator("textarea.approval-text").FillAsync(edited);
        await item.Locator("input.approval-comment").FillAsync("friendlier");
        await item.Locator("button.approve").ClickAsync();
        await maria.WaitForSelectorAsync(".notice");
        Assert.Equal(0, await maria.Locator("article.approval").CountAsync());
        await ShotAsync(maria, "approved");

        // The trainee sees it sent, live.
        await tom.WaitForSelectorAsync("#composer-replies [data-status=sent]", new PageWaitForSelectorOptions { Timeout = 15_000 });
        Assert.Equal(1, await kit.ScalarAsync<long>("SELECT COUNT(*) FROM send_attempts"));
        Assert.Equal(1, await kit.ScalarAsync<long>("SELECT COUNT(*) FROM messages WHERE direction = 'out'"));
        Assert.Equal(edited, await kit.ScalarAsync<string>("SELECT text FROM messages WHERE direction = 'out'"));
        Assert.Equal(1, await kit.ScalarAsync<long>("SELECT COUNT(*) FROM approvals WHERE decision = 'approved' AND edited_text = @edited", new { edited }));
        Assert.Empty(errors);
    }

    [Fact]
    public async Task Two_agents_on_the_same_conversation_see_each_other_and_the_second_is_asked_before_sending()
    {
        await using var kit = await ComposerKit.StartAsync("sqlite");
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await Chromium.LaunchAsync(playwright);
        var errors = new List<string>();
        var carlos = await SignInAsync(browser, kit, "carlos", errors);
        var fatima = await SignInAsync(browser, kit, "fatima", errors);

        await carlos.WaitForSelectorAsync("#composer-presence .presence-user:has-text('Fatima Care')");
        await fatima.WaitForSelectorAsync("#composer-presence .presence-user:has-text('Carlos Care')");

        await fatima.FocusAsync("#composer-text");
        await fatima.Keyboard.TypeAsync("Hi Ana, Fatima here");
        await carlos.WaitForSelectorAsync("#composer-presence .presence-user.typing:has-text('Fatima Care')");

        await carlos.FocusAsync("#composer-text");
        await carlos.Keyboard.TypeAsync("Hi Ana, Carlos here");
        await carlos.Keyboard.PressAsync("Control+Enter");
        await carlos.WaitForSelectorAsync("#composer-status.ok");

        await fatima.Keyboard.PressAsync("Control+Enter");
        var dialog = fatima.Locator("#composer-confirm[open]");
        await dialog.WaitForAsync();
        Assert.Contains("Carlos Care", await dialog.InnerTextAsync(), StringComparison.Ordinal);
        await ShotAsync(fatima, "collision");
        Assert.Equal(1, await kit.ScalarAsync<long>("SELECT COUNT(*) FROM replies"));
        await fatima.ClickAsync("#composer-confirm-send");
        await fatima.WaitForSelectorAsync("#composer-status.ok");
        Assert.Equal(2, await kit.ScalarAsync<long>("SELECT COUNT(*) FROM replies WHERE status = 'sent'"));

        // Closing the tab removes the viewer.
        await fatima.Context.CloseAsync();
        await carlos.WaitForSelectorAsync("#composer-presence:not(:has(.presence-user))");
        Assert.Empty(errors);
    }

    [Fact]
    public async Task A_compliance_approver_cannot_activate_a_version_whose_examples_fail_and_sees_the_failing_example()
    {
        await using var kit = await ComposerKit.StartAsync("sqlite");
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await Chromium.LaunchAsync(playwright);
        var errors = new List<string>();
        var lena = await SignInAsync(browser, kit, "lena", errors, openConversation: false); // public relations: not this conversation's team
        await lena.GotoAsync(new Uri(kit.Server.Address, "/compliance").ToString());

        const string yaml = "rules:\n  - id: no-free\n    kind: banned_phrases\n    phrases: [gratis]\nexamples:\n  - text: it is free\n    expect: block\n";
        await lena.FillAsync("textarea.yaml", yaml);
        await lena.FillAsync("input[name=comment]", "ban gratis");
        await lena.ClickAsync("button[value=save]");
        await lena.WaitForSelectorAsync(".notice");
        var row = lena.Locator("tr[data-version='1']");
        Assert.Contains("example 1 fails", await row.InnerTextAsync(), StringComparison.Ordinal);
        Assert.Contains("lena@demo.switchboard.local", await row.InnerTextAsync(), StringComparison.Ordinal);
        await row.Locator("button[value=activate]").ClickAsync();
        var error = await lena.WaitForSelectorAsync("#compliance-error");
        Assert.Contains("expected block but got pass", await error!.InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal(0, await kit.ScalarAsync<long>("SELECT COUNT(*) FROM compliance_rule_sets WHERE active = 1"));

        // Fix it and activate.
        await lena.FillAsync("textarea.yaml", yaml.Replace("[gratis]", "[gratis, free]", StringComparison.Ordinal));
        await lena.ClickAsync("button[value=save]");
        await lena.WaitForSelectorAsync("tr[data-version='2']");
        await lena.Locator("tr[data-version='2'] button[value=activate]").ClickAsync();
        await lena.WaitForSelectorAsync("tr[data-version='2'] .tag:has-text('active')");
        await ShotAsync(lena, "compliance");
        Assert.Equal(2, await kit.ScalarAsync<long>("SELECT version FROM compliance_rule_sets WHERE active = 1"));
        Assert.Empty(errors);
    }
}
