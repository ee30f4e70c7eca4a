using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Switchboard.Tests.Inbox;
using Switchboard.Tests.Infrastructure;
using Xunit;

namespace Switchboard.Tests.Browser;

/// <summary>
/// The bell's menu in Debian's chromium: a colleague's @mention shows up readable, and "Mark all read" clears the
/// count. The menu opens from the dark top bar; it once inherited the bar's white text on its white panel.
/// </summary>
public class NotificationsJourneyTests
{
    [Fact]
    public async Task A_mention_appears_readable_in_the_bell_menu_and_mark_all_read_clears_the_count()
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync("sqlite"));
        var ids = await InboxFixture.IngestAsync(server, ("n1", "my refund never arrived"));
        using (var carlos = await InboxFixture.SignInAsync(server, InboxFixture.Carlos))
        {
            var noted = await carlos.PostFormAsync($"/inbox/conversations/{ids["n1"]}/notes", ("text", "@maria can you approve a goodwill refund?"), ("returnUrl", "/"));
            Assert.Equal(System.Net.HttpStatusCode.Redirect, noted.StatusCode);
        }

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await Chromium.LaunchAsync(playwright);
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 900 } });
        await page.SignInAsync(server.Address, InboxFixture.Maria);
        Assert.Equal("1", await page.InnerTextAsync("#notification-count"));

        await page.ClickAsync("#notifications summary");
        var item = page.Locator("#notifications .menu li.unread").First;
        await Assertions.Expect(item).ToBeVisibleAsync();
        Assert.Contains("goodwill", await item.InnerTextAsync(), StringComparison.Ordinal);
        // Readable: the text's colour is not the panel's.
        var (text, panel) = (await item.EvaluateAsync<string>("e => getComputedStyle(e).color"),
            await page.Locator("#notifications .menu").EvaluateAsync<string>("e => getComputedStyle(e).backgroundColor"));
        Assert.NotEqual(panel, text);
        Assert.NotEqual("rgb(255, 255, 255)", text);

        await page.ReloadByAsync(() => page.ClickAsync("#notifications .menu button"));
        await Assertions.Expect(page.Locator("#notification-count")).ToHaveTextAsync(new Regex("^0$"));
    }
}
