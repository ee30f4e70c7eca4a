using System.Text.RegularExpressions;
using Dapper;
using Microsoft.Playwright;
using Switchboard.Tests.Infrastructure;
using Xunit;
using static Switchboard.Tests.Sla.SlaTestSupport;

namespace Switchboard.Tests.Browser;

/// <summary>
/// The inbox's common moves from the keyboard alone, in Debian's chromium: `?` lists the shortcuts, j/k walk the
/// queue, r focuses the composer, a assigns, e resolves, / searches.
/// </summary>
public class KeyboardJourneyTests
{
    [Fact]
    public async Task An_agent_walks_the_queue_assigns_resolves_and_searches_with_the_keyboard()
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync("sqlite"));
        using var admin = await server.AdminClientAsync();
        var start = DateTimeOffset.UtcNow.AddMinutes(-10);
        var posted = await admin.PostAsync("/api/posts", Jsonl(
            Post("k1", "my suitcase never arrived in Lisbon", start),
            Post("k2", "the app crashes when I open my booking", start.AddMinutes(1)),
            Post("k3", "where is my refund for order 4411", start.AddMinutes(2))));
        posted.EnsureSuccessStatusCode();

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await Chromium.LaunchAsync(playwright);
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 900 } });
        var errors = new List<string>();
        page.Console += (_, m) => { if (m.Type == "error") { errors.Add(m.Text); } };
        await page.SignInAsync(server.Address, "admin@demo.switchboard.local");
        await page.GotoAsync(new Uri(server.Address, "/inbox/all").ToString());
        var ids = await page.Locator("#conversation-list li.row").EvaluateAllAsync<long[]>("rows => rows.map(r => Number(r.dataset.conversation))");
        Assert.True(ids.Length >= 3, $"expected the three conversations in the queue, saw {ids.Length}");

        // ? shows the list of shortcuts; Escape closes it.
        await page.Keyboard.PressAsync("?");
        await Assertions.Expect(page.Locator("#shortcuts")).ToBeVisibleAsync();
        Assert.Contains("Next / previous conversation", await page.InnerTextAsync("#shortcuts"), StringComparison.Ordinal);
        await page.Keyboard.PressAsync("Escape");
        await Assertions.Expect(page.Locator("#shortcuts")).ToBeHiddenAsync();

        // j opens the first conversation, j the next, k goes back.
        await page.NavigateByAsync(() => page.Keyboard.PressAsync("j"), new Regex($"/conversations/{ids[0]}(\\?|$)"));
        await page.NavigateByAsync(() => page.Keyboard.PressAsync("j"), new Regex($"/conversations/{ids[1]}(\\?|$)"));
        await page.NavigateByAsync(() => page.Keyboard.PressAsync("k"), new Regex($"/conversations/{ids[0]}(\\?|$)"));
        var conversation = ids[0];

        // r puts the cursor in the composer; Escape leaves it so shortcuts work again.
        await page.Keyboard.PressAsync("r");
        Assert.Equal("composer-text", await ActiveIdAsync(page));
        await page.Keyboard.PressAsync("Escape");
        Assert.NotEqual("composer-text", await ActiveIdAsync(page));

        // a focuses "assign to"; typing "me" and Enter assigns the conversation to the signed-in admin.
        await page.Keyboard.PressAsync("a");
        Assert.Equal("assign-to", await ActiveIdAsync(page));
        await page.Keyboard.TypeAsync("me");
        // The form posts and comes back to this address: wait for the new page, or "e" below lands in the old one's
        // still-focused assign box (CI failed that way).
        await page.ReloadByAsync(() => page.Keyboard.PressAsync("Enter"));
        await using var conn = await server.Db.OpenAsync();
        var adminId = await conn.ExecuteScalarAsync<long>("SELECT id FROM users WHERE email = 'admin@demo.switchboard.local'");
        Assert.Equal(adminId, await EventuallyAsync(
            () => conn.ExecuteScalarAsync<long?>("SELECT assignee_id FROM conversations WHERE id = @conversation", new { conversation }),
            v => v == adminId, TimeSpan.FromSeconds(15)));

        // e resolves it.
        await page.WaitForSelectorAsync("#resolve-button");
        await page.ReloadByAsync(() => page.Keyboard.PressAsync("e"));
        Assert.Equal("resolved", await EventuallyAsync(
            () => conn.ExecuteScalarAsync<string>("SELECT status FROM conversations WHERE id = @conversation", new { conversation }),
            v => v == "resolved", TimeSpan.FromSeconds(15)));
        await page.WaitForSelectorAsync("#reopen-button");

        // A label typed in the conversation view lands in its one spelling, as a chip.
        await page.FillAsync("#label-input", "  Lost   Bag ");
        await page.NavigateByAsync(() => page.Keyboard.PressAsync("Enter"), new Regex($"/conversations/{conversation}(\\?|$)"));
        await Assertions.Expect(page.Locator("#conversation-labels .tag.label[data-label='lost bag']")).ToBeVisibleAsync();

        // Bulk: select the other two in the list and add a label to both; the label filter then shows exactly them.
        await page.GotoAsync(new Uri(server.Address, "/inbox/all").ToString());
        await page.CheckAsync($"#conversation-list input.pick[value='{ids[1]}']");
        await page.CheckAsync($"#conversation-list input.pick[value='{ids[2]}']");
        await Assertions.Expect(page.Locator("#bulk-count")).ToHaveTextAsync("2 selected");
        await page.SelectOptionAsync("#bulk-form select[name=action]", "label");
        await page.FillAsync("#bulk-label", "Follow-up");
        await page.NavigateByAsync(() => page.ClickAsync("#bulk-form button[type=submit]"), new Regex("/inbox/all"));
        await page.GotoAsync(new Uri(server.Address, "/inbox/all?label=follow-up").ToString());
        var labelled = await page.Locator("#conversation-list li.row").EvaluateAllAsync<long[]>("rows => rows.map(r => Number(r.dataset.conversation))");
        Assert.Equal(new[] { ids[1], ids[2] }.Order(), labelled.Order());
        Assert.Equal(2, await page.Locator("#conversation-list .tag.label", new PageLocatorOptions { HasText = "follow-up" }).CountAsync());

        // / jumps to search; the suitcase message is found by a word of it.
        await page.Keyboard.PressAsync("/");
        Assert.Equal("search-box", await ActiveIdAsync(page));
        await page.NavigateByAsync(async () =>
        {
            await page.Keyboard.TypeAsync("suitcase");
            await page.Keyboard.PressAsync("Enter");
        }, new Regex("q=suitcase"));
        var suitcase = await conn.ExecuteScalarAsync<long>("SELECT conversation_id FROM messages WHERE external_id = 'k1'");
        var found = await page.Locator("#conversation-list li.row").EvaluateAllAsync<long[]>("rows => rows.map(r => Number(r.dataset.conversation))");
        Assert.Equal([suitcase], found);
        Assert.Empty(errors);
    }

    static Task<string> ActiveIdAsync(IPage page) => page.EvaluateAsync<string>("() => document.activeElement?.id ?? ''");
}
