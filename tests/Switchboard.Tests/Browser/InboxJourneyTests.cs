using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Switchboard.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Switchboard.Tests.Browser;

/// <summary>
/// A newcomer's first minute, in Debian's chromium: start `serve --demo`, sign in, watch the inbox fill live,
/// open a conversation. Also checks the README promise: 20 conversations over 3 teams within 60 seconds.
/// </summary>
public class InboxJourneyTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_newcomer_signs_in_watches_the_inbox_fill_live_and_opens_a_conversation()
    {
        await using var server = await ServerProcess.StartAsync("--demo");
        var started = DateTimeOffset.UtcNow;

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await Chromium.LaunchAsync(playwright);
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 900 } });
        var consoleErrors = new List<string>();
        page.Console += (_, m) => { if (m.Type == "error") { consoleErrors.Add(m.Text); } };

        await page.GotoAsync(server.Address.ToString());
        Assert.Contains("/login", page.Url, StringComparison.Ordinal);
        await page.FillAsync("input[name=email]", "admin@demo.switchboard.local");
        await page.FillAsync("input[name=password]", "switchboard-demo");
        await page.ClickAsync("button[type=submit]");
        await page.WaitForSelectorAsync("#inbox");

        // Live: rows arrive without a reload.
        var before = await page.Locator("#conversation-list [data-conversation]").CountAsync();
        await page.WaitForFunctionAsync(
            $"() => document.querySelectorAll('#conversation-list [data-conversation]').length > {before}",
            null, new PageWaitForFunctionOptions { Timeout = 30_000 });
        await page.WaitForSelectorAsync("#conversation-list .fresh", new PageWaitForSelectorOptions { Timeout = 30_000 });
        Assert.False(page.Url.Contains("login", StringComparison.Ordinal));

        // Open a conversation: the whole thread and the author panel.
        await page.Locator("#conversation-list [data-conversation] a").First.ClickAsync();
        await page.WaitForSelectorAsync("#thread article.msg");
        Assert.True(await page.Locator("#thread article.msg").CountAsync() >= 1);
        Assert.True(await page.Locator("#author-panel").IsVisibleAsync());

        // Reading order: the thread, then the composer. In this pane (about 740 px wide) the cards come under the
        // composer; in a wide window they stand beside the thread. The demo has experts to ask.
        async Task<LocatorBoundingBoxResult> Box(string selector) =>
            await page.Locator(selector).BoundingBoxAsync() ?? throw new InvalidOperationException($"{selector} is not laid out");
        var (thread, composer, author) = (await Box("#thread"), await Box("#composer"), await Box("#author-panel"));
        Assert.True(thread.Y + thread.Height <= composer.Y, $"the composer (y {composer.Y}) overlaps the thread (ends at {thread.Y + thread.Height})");
        Assert.True(composer.Y + composer.Height <= author.Y, $"narrow pane: the author card (y {author.Y}) is not under the composer (ends at {composer.Y + composer.Height})");
        Assert.Contains("Lena Legal (Legal)", await page.Locator("#handover-expert").InnerTextAsync(), StringComparison.Ordinal);
        await page.SetViewportSizeAsync(1900, 1000);
        (thread, author) = (await Box("#thread"), await Box("#author-panel"));
        Assert.True(author.X >= thread.X + thread.Width, $"wide pane: the author card (x {author.X}) is not beside the thread (ends at {thread.X + thread.Width})");
        Assert.True(author.Y < thread.Y + thread.Height, "wide pane: the author card starts below the thread");
        await page.SetViewportSizeAsync(1400, 900);
        var screenshot = Path.Combine(Path.GetTempPath(), "switchboard-inbox.png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = screenshot });
        output.WriteLine($"screenshot: {screenshot}");

        // The README promise, through the API with a token from the CLI.
        var token = await server.RunCliAsync("token", "create", "--user", "admin@demo.switchboard.local");
        using var api = new HttpClient { BaseAddress = server.Address };
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        int conversations, teams;
        do
        {
            var list = await api.GetFromJsonAsync<JsonElement>("/api/conversations?limit=200");
            var items = list.GetProperty("items").EnumerateArray().ToList();
            conversations = items.Count;
            teams = items.Select(i => i.GetProperty("team").GetString()).Distinct().Count();
            if (conversations >= 20 && teams >= 3)
            {
                break;
            }

            await Task.Delay(500);
        }
        while (DateTimeOffset.UtcNow - started < TimeSpan.FromSeconds(60));

        output.WriteLine($"{conversations} conversations over {teams} teams after {(DateTimeOffset.UtcNow - started).TotalSeconds:0}s");
        Assert.True(conversations >= 20, $"only {conversations} conversations within 60 s");
        Assert.True(teams >= 3, $"only {teams} teams within 60 s");
        Assert.Empty(consoleErrors);
    }

    [Fact]
    public async Task A_wrong_password_is_refused_and_the_inbox_stays_closed()
    {
        await using var server = await ServerProcess.StartAsync("--demo");
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await Chromium.LaunchAsync(playwright);
        var page = await browser.NewPageAsync();
        await page.GotoAsync(new Uri(server.Address, "/login").ToString());
        await page.FillAsync("input[name=email]", "admin@demo.switchboard.local");
        await page.FillAsync("input[name=password]", "wrong");
        await page.ClickAsync("button[type=submit]");
        await page.WaitForSelectorAsync(".alert");
        await page.GotoAsync(server.Address.ToString());
        Assert.Contains("/login", page.Url, StringComparison.Ordinal);
    }
}
