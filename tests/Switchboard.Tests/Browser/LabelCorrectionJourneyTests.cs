using System.Text.RegularExpressions;
using Dapper;
using Microsoft.Playwright;
using Switchboard.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;
using static Switchboard.Tests.Classification.ClassificationFixtures;

namespace Switchboard.Tests.Browser;

/// <summary>A manager opens a conversation, corrects a label in one click, and sees the accuracy page count it.</summary>
public class LabelCorrectionJourneyTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_manager_corrects_a_label_in_one_click_and_the_correction_is_stored()
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync("sqlite"));
        using var admin = await server.AdminClientAsync();
        var (messageId, conversationId) = await PostOneAsync(admin, server, "b1", "my refund never arrived, this is terrible");

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await Chromium.LaunchAsync(playwright);
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 900 } });
        var consoleErrors = new List<string>();
        page.Console += (_, m) => { if (m.Type == "error") { consoleErrors.Add(m.Text); } };

        await page.SignInAsync(server.Address, "maria@demo.switchboard.local");

        await page.GotoAsync(new Uri(server.Address, $"/conversations/{conversationId}").ToString());
        var menu = page.Locator($"#m{messageId} details[data-label=sentiment]");
        // The label shows its value, score and explanation before anyone touches it.
        Assert.Contains("negative", await menu.Locator("summary").InnerTextAsync(), StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(await menu.Locator("summary").GetAttributeAsync("title")));
        await menu.Locator("summary").ClickAsync();
        Assert.True(await menu.Locator(".why").IsVisibleAsync());
        await menu.Locator("button.label-choice[data-value=neutral]").ClickAsync();
        await page.WaitForSelectorAsync($"#m{messageId} details[data-label=sentiment] summary.reviewed");
        Assert.Contains("neutral", await page.Locator($"#m{messageId} details[data-label=sentiment] summary").InnerTextAsync(), StringComparison.Ordinal);

        await using (var conn = await server.Db.OpenAsync())
        {
            var row = await conn.QueryFirstAsync<(string Old, string New, string Kind, string Actor)>(
                "SELECT old_value, new_value, kind, actor FROM label_corrections WHERE message_id = @messageId", new { messageId });
            Assert.Equal(("negative", "neutral", "correct", "maria@demo.switchboard.local"), row);
            Assert.Equal("neutral", await conn.ExecuteScalarAsync<string>("SELECT sentiment FROM messages WHERE id = @messageId", new { messageId }));
        }

        // The inbox label filter finds the conversation by its corrected sentiment, and only then.
        await page.GotoAsync(new Uri(server.Address, "/inbox/all").ToString());
        await page.SelectOptionAsync("#label-filters select[name=sentiment]", "neutral");
        await page.NavigateByAsync(() => page.ClickAsync("#label-filters button[type=submit]"), new Regex("sentiment=neutral"));
        Assert.Equal(1, await page.Locator($"#conversation-list [data-conversation='{conversationId}']").CountAsync());
        await page.GotoAsync(new Uri(server.Address, "/inbox/all?sentiment=negative").ToString());
        Assert.Equal(0, await page.Locator($"#conversation-list [data-conversation='{conversationId}']").CountAsync());

        // The accuracy page counts it, and the manager can retrain from there.
        await page.ClickAsync("a.nav-link[href='/classification']");
        await page.WaitForSelectorAsync("#weekly tr[data-label=sentiment]");
        Assert.Contains("0.0%", await page.Locator("#weekly tr[data-label=sentiment]").InnerTextAsync(), StringComparison.Ordinal);
        // ...and names the value that was changed and what it became.
        var changed = await page.Locator("#values tr[data-label=sentiment][data-value=negative]").InnerTextAsync();
        Assert.Contains("neutral ×1", changed, StringComparison.Ordinal);
        Assert.Equal(0, await page.Locator("#no-reviews").CountAsync());
        await page.ClickAsync("button[data-retrain=sentiment]");
        await page.WaitForSelectorAsync("#notice");
        Assert.Contains("skipped", await page.Locator("#notice").InnerTextAsync(), StringComparison.Ordinal);
        var screenshot = Path.Combine(Path.GetTempPath(), "switchboard-classification.png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = screenshot, FullPage = true });
        output.WriteLine($"screenshot: {screenshot}");
        Assert.Empty(consoleErrors);
    }
}
