using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Switchboard.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Switchboard.Tests.Listening;

/// <summary>
/// A manager defines a listening topic in Debian's chromium: the inline error while typing points at the offending
/// character, the live preview shows the matching stored post, and after the backfill the inbox filtered by the topic
/// shows that conversation.
/// </summary>
public class TopicJourneyTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_manager_fixes_a_query_from_its_inline_error_previews_it_saves_it_and_filters_the_inbox_by_it()
    {
        await using var server = await ServerProcess.StartAsync("--demo");
        // A post stored before the topic exists: only the backfill can match it.
        var token = await server.RunCliAsync("token", "create", "--user", "admin@demo.switchboard.local");
        using (var api = new HttpClient { BaseAddress = server.Address })
        {
            api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            var post = """{"id":"zeph-1","channel":"mastodon","text":"The Zephyrine lounge in Lisbon was closed again","author":{"id":"z1","handle":"traveller"}}""";
            var stored = await api.PostAsync("/api/posts", new StringContent(post, Encoding.UTF8, "application/x-ndjson"));
            Assert.True(stored.IsSuccessStatusCode, await stored.Content.ReadAsStringAsync());
        }

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await Chromium.LaunchAsync(playwright);
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 900 } });
        var consoleErrors = new List<string>();
        page.Console += (_, m) => { if (m.Type == "error") { consoleErrors.Add(m.Text); } };
        var failedResponses = new List<string>();
        page.Response += (_, r) => { if (r.Status >= 400) { failedResponses.Add($"{r.Status} {new Uri(r.Url).AbsolutePath}"); } };

        await page.SignInAsync(server.Address, "maria@demo.switchboard.local");

        await page.ClickAsync("a.nav-link[href='/topics']");
        await page.ClickAsync("#new-topic");
        await page.FillAsync("#topic-name", "Zephyrine lounges");

        // Invalid while typing: the reason, its column, and the offending character marked.
        await page.FillAsync("#topic-query", "zephyrine AND (lounge");
        var error = page.Locator("#query-error");
        await error.Locator(".reason").WaitForAsync(new LocatorWaitForOptions { Timeout = 10_000 });
        Assert.Contains("at column 15", await error.Locator(".reason").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal("(", await error.Locator("mark").InnerTextAsync());

        // Fixed: the error goes and the preview shows the stored post with the matched terms highlighted.
        await page.FillAsync("#topic-query", "zephyrine AND lounge");
        await page.Locator("#preview-list li.preview-post").First.WaitForAsync(new LocatorWaitForOptions { Timeout = 10_000 });
        Assert.True(await error.IsHiddenAsync());
        Assert.StartsWith("1 of ", await page.Locator("#preview-count").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal(["Zephyrine", "lounge"], await page.Locator("#preview-list mark").AllInnerTextsAsync());

        await page.NavigateByAsync(() => page.ClickAsync("#save-topic"), new Regex("/topics$"));
        var row = page.Locator("tr[data-topic]", new PageLocatorOptions { HasText = "Zephyrine lounges" });
        for (var i = 0; i < 60 && await row.Locator("[data-backfilled=true]").CountAsync() == 0; i++)
        {
            await Task.Delay(500);
            await page.ReloadAsync();
        }

        Assert.Equal("1", await row.Locator("td.num").GetAttributeAsync("data-matches"));

        // The inbox, filtered with the topic selector.
        await page.GotoAsync(server.Address.ToString());
        await page.NavigateByAsync(() => page.SelectOptionAsync("#topic-filter", new SelectOptionValue { Label = "Zephyrine lounges" }), new Regex(@"[?&]topic=\d+"));
        var rows = page.Locator("#conversation-list [data-conversation]");
        Assert.Equal(1, await rows.CountAsync());
        Assert.Contains("Zephyrine lounge", await rows.First.InnerTextAsync(), StringComparison.Ordinal);
        await rows.First.Locator("a").ClickAsync();
        await page.WaitForSelectorAsync("#thread .msg-topics a.topic");
        Assert.Equal("Zephyrine lounges", await page.Locator("#thread .msg-topics a.topic").First.InnerTextAsync());

        var screenshot = Path.Combine(Path.GetTempPath(), "switchboard-topics.png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = screenshot });
        output.WriteLine($"screenshot: {screenshot}");
        // The only failed requests are the previews of the invalid draft (400 with the column), which the browser logs.
        Assert.NotEmpty(failedResponses);
        Assert.All(failedResponses, r => Assert.Equal("400 /api/topics/preview", r));
        Assert.All(consoleErrors, e => Assert.Contains("status of 400", e, StringComparison.Ordinal));
    }
}
