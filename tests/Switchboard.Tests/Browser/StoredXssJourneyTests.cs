using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;
using Switchboard.Channels.Accounts;
using Switchboard.Channels.Connectors;
using Switchboard.Channels.SafeHttp;
using Switchboard.Inbox;
using Switchboard.Ingest;
using Switchboard.Storage;
using Switchboard.Tests.Channels.Connectors;
using Switchboard.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Switchboard.Tests.Browser;

/// <summary>
/// Stored XSS end to end, in Debian's chromium: hostile markup arrives through the three ways posts reach the inbox
/// (a Mastodon instance's HTML <c>content</c> and an RSS description, read by the real connectors from loopback fake
/// servers into the server's own ingest queue, and plain-text posts through <c>POST /api/posts</c>), and an agent
/// looks at the inbox list (live-refreshed, then reloaded) and every conversation. Every payload would set
/// <c>window.__xss</c> or open a dialog if it ran.
/// </summary>
public class StoredXssJourneyTests(ITestOutputHelper output)
{
    private static string HostileHtml(string source) =>
        $"<p>{source} harmless words</p>" +
        "<script>window.__xss = 'script'; alert('script')</script>" +
        "<img src=x onerror=\"window.__xss = 'img'; alert('img')\">" +
        $"<a href=\"javascript:window.__xss = 'link'; alert('link')\">{source} link text</a> " +
        "<svg onload=\"window.__xss = 'svg'; alert('svg')\"><circle r=\"1\"/></svg>" +
        "<iframe src=\"javascript:parent.__xss = 'iframe'\" srcdoc=\"<script>parent.__xss = 'srcdoc'</script>\"></iframe>" +
        $"<span style=\"background-image: url(javascript:alert('style'))\" onmouseover=\"window.__xss = 'hover'\">{source} styled words</span>";

    private const string ApiText = "api plain words <script>window.__xss = 'api'; alert('api')</script>";
    private const string ApiReply = "api reply words <img src=x onerror=\"window.__xss = 'api-reply'; alert('api-reply')\">";
    private const string ApiAuthor = "Eve <img src=x onerror=\"window.__xss = 'api-name'\">";
    private const string MastodonAuthor = "Mallory <script>window.__xss = 'mastodon-name'</script>";
    private const string RssAuthor = "Trudy <img src=x onerror=\"window.__xss = 'rss-name'\"> the writer";

    [Fact]
    public async Task Hostile_markup_from_mastodon_rss_and_the_posts_api_reaches_the_pages_as_inert_text()
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync("sqlite"));
        using var admin = await server.AdminClientAsync();
        await using var fakes = await FakeServer.StartAsync(app =>
        {
            app.MapGet("/api/v1/notifications", () => Results.Content(MastodonNotifications(), "application/json"));
            app.MapGet("/feed.xml", () => Results.Text(RssFeed(), "application/rss+xml"));
        });

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await Chromium.LaunchAsync(playwright);
        var page = await Chromium.NewPageAsync(browser);
        var dialogs = new List<string>();
        page.Dialog += async (_, d) =>
        {
            lock (dialogs)
                dialogs.Add(d.Message);
            await d.DismissAsync();
        };
        // Init scripts are injected by the browser's debugging protocol, not by the page, so the CSP does not stop this listener.
        await page.Context.AddInitScriptAsync(
            "window.__csp = []; document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sample || '')));");
        await page.SignInAsync(server.Address, "admin@demo.switchboard.local");
        await page.GotoAsync(new Uri(server.Address, "/inbox/all").ToString());
        await page.WaitForSelectorAsync("#conversation-list");

        // Delivered while the inbox is open: the live refresh puts the list fragment in with innerHTML, which would
        // fire an injected element's handlers (though not a <script>).
        var posted = await admin.PostAsync("/api/posts", new StringContent(string.Join('\n',
            ApiPost("xss-api-1", ApiText, null), ApiPost("xss-api-2", ApiReply, "xss-api-1")), System.Text.Encoding.UTF8, "application/x-ndjson"));
        posted.EnsureSuccessStatusCode();
        var mastodonChannel = MastodonConnector.Channel(fakes.Address);
        var rssChannel = RssConnector.Channel(fakes.Url("feed.xml"));
        await RunConnectorAsync(server, "mastodon", new() { ["instance"] = fakes.Address.AbsoluteUri, ["streaming"] = "false" },
            new() { ["access_token"] = "token" }, c => new MastodonConnector(c), mastodonChannel);
        await RunConnectorAsync(server, "rss", new() { ["url"] = fakes.Url("feed.xml").AbsoluteUri, ["comment_feeds"] = "false" },
            [], c => new RssConnector(c), rssChannel);

        await page.WaitForFunctionAsync(
            "() => ['api plain words', 'mastodon harmless words', 'rss title words'].every(t => document.querySelector('#conversation-list').innerText.includes(t))",
            null, new PageWaitForFunctionOptions { Timeout = 30_000 });
        // The rows came in through the live refresh (only it marks rows as fresh), not a page load.
        Assert.True(await page.Locator("#conversation-list li.fresh").CountAsync() >= 1, "no row arrived through the live refresh");
        await AssertInertAsync(page, "#conversation-list", "the live-refreshed list");
        await AssertListAsync(page);

        var reloaded = await page.GotoAsync(new Uri(server.Address, "/inbox/all").ToString());
        AssertCspForbidsInlineScript(await reloaded!.HeaderValueAsync("content-security-policy"));
        await AssertInertAsync(page, "#conversation-list", "the reloaded list");
        await AssertListAsync(page);

        await using var conn = await server.Db.OpenAsync();
        var messages = (await conn.QueryAsync<(string Channel, string ExternalId, long ConversationId)>(
            "SELECT channel, external_id, conversation_id FROM messages")).ToList();
        Assert.Equal(4, messages.Count);
        Assert.Equal(3, messages.Select(m => m.ConversationId).Distinct().Count());
        foreach (var conversation in messages.GroupBy(m => m.ConversationId))
        {
            var response = await page.GotoAsync(new Uri(server.Address, $"/conversations/{conversation.Key}").ToString());
            AssertCspForbidsInlineScript(await response!.HeaderValueAsync("content-security-policy"));
            await page.WaitForSelectorAsync("#thread article.msg");
            await AssertInertAsync(page, "#thread", $"conversation {conversation.Key}");
            foreach (var m in conversation)
            {
                var article = page.Locator($"#thread article.msg[data-message=\"{m.ExternalId}\"]");
                var text = article.Locator("p.text");
                // The body is one text node: whatever markup it had was removed (HTML sources) or is shown as text (plain posts).
                Assert.Equal(0, await text.EvaluateAsync<int>("p => p.childElementCount"));
                var shown = await text.InnerTextAsync();
                var author = await article.Locator(".msg-head strong").InnerTextAsync();
                if (m.Channel == mastodonChannel || m.Channel == rssChannel)
                {
                    var source = m.Channel == mastodonChannel ? "mastodon" : "rss";
                    foreach (var harmless in new[] { "harmless words", "link text", "styled words" })
                        Assert.Contains($"{source} {harmless}", shown, StringComparison.Ordinal);
                    // Sanitized, not merely escaped: not a trace of the markup reaches the stored text.
                    foreach (var trace in new[] { "<", "onerror", "onload", "javascript", "__xss", "alert(" })
                        Assert.DoesNotContain(trace, shown, StringComparison.OrdinalIgnoreCase);
                    Assert.Equal(source == "mastodon" ? MastodonAuthor : RssAuthor, author);
                }
                else
                {
                    // Plain text is never parsed as HTML: the angle brackets are visible characters.
                    Assert.Equal(m.ExternalId == "xss-api-1" ? ApiText : ApiReply, shown);
                    Assert.Equal(ApiAuthor, author);
                }
            }
            if (conversation.Any(m => m.Channel == rssChannel))
                Assert.Contains("rss title words", await page.InnerTextAsync("#thread"), StringComparison.Ordinal);
        }

        // Second line of defence, seen from the browser: a script put inline into the page is refused by the CSP.
        await page.EvaluateAsync("() => { const s = document.createElement('script'); s.textContent = \"window.__xss = 'injected'\"; document.body.appendChild(s); }");
        await page.WaitForFunctionAsync("() => window.__csp.some(v => v.startsWith('script-src'))", null, new PageWaitForFunctionOptions { Timeout = 10_000 });
        Assert.Null(await page.EvaluateAsync<string?>("() => window.__xss ?? null"));
        lock (dialogs)
            Assert.Empty(dialogs);
        output.WriteLine($"checked {messages.Count} messages in 3 conversations, the live and the reloaded list");
    }

    /// <summary>
    /// Nothing ran, nothing tried to: no dialog, no <c>window.__xss</c>, no CSP violation (a handler that got into the
    /// page would be blocked and reported), no child frame; no element anywhere has an event-handler attribute, a
    /// javascript: URL or a srcdoc, and no script is inline. Inside <paramref name="scope"/> there is no active or
    /// styled element at all.
    /// </summary>
    private static async Task AssertInertAsync(IPage page, string scope, string where)
    {
        var problems = await page.EvaluateAsync<string[]>(
            """
            scope => {
              const problems = [];
              for (const el of document.querySelectorAll('*')) {
                for (const a of el.attributes) {
                  const name = a.name.toLowerCase();
                  if (name.startsWith('on')) problems.push(`${el.tagName} has ${name}`);
                  if (name === 'srcdoc') problems.push(`${el.tagName} has srcdoc`);
                  if (/^[\s\u0000-\u001f]*(javascript|vbscript):/i.test(a.value)) problems.push(`${el.tagName} ${name}=${a.value}`);
                }
              }
              for (const s of document.querySelectorAll('script:not([src])')) problems.push('inline script: ' + s.textContent);
              const root = document.querySelector(scope);
              if (!root) problems.push(scope + ' is missing');
              else for (const el of root.querySelectorAll('script, iframe, frame, object, embed, svg, math, img, style, [style]'))
                problems.push(`${el.tagName} inside ${scope}`);
              if (window.__xss !== undefined) problems.push('window.__xss = ' + window.__xss);
              for (const v of window.__csp) problems.push('CSP violation: ' + v);
              return problems;
            }
            """, scope);
        Assert.True(problems.Length == 0, $"{where}: {string.Join("; ", problems)}");
        Assert.Single(page.Frames);
    }

    /// <summary>Each row's author is the hostile name shown as text; subjects keep the harmless words.</summary>
    private static async Task AssertListAsync(IPage page)
    {
        var authors = await page.Locator("#conversation-list .author").AllInnerTextsAsync();
        Assert.Equal([ApiAuthor, MastodonAuthor, RssAuthor], authors.Order(StringComparer.Ordinal));
        var subjects = string.Join('\n', await page.Locator("#conversation-list .subject").AllInnerTextsAsync());
        Assert.Contains("api plain words <script>", subjects, StringComparison.Ordinal);
        Assert.Contains("mastodon harmless words", subjects, StringComparison.Ordinal);
        Assert.Contains("rss title words", subjects, StringComparison.Ordinal);
        Assert.DoesNotContain("onerror", subjects.Replace(ApiText, "", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    /// <summary>
    /// The script sources that apply to script elements and to event-handler attributes (script-src-elem and
    /// script-src-attr, falling back to script-src, then default-src) allow no inline or evaluated code and no origin
    /// an attacker could host a script on.
    /// </summary>
    private static void AssertCspForbidsInlineScript(string? header)
    {
        Assert.False(string.IsNullOrEmpty(header), "no Content-Security-Policy header");
        var directives = header.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(d => d.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .ToDictionary(d => d[0].ToLowerInvariant(), d => d[1..]);
        foreach (var kind in new[] { "script-src-elem", "script-src-attr" })
        {
            var sources = directives.GetValueOrDefault(kind) ?? directives.GetValueOrDefault("script-src") ?? directives.GetValueOrDefault("default-src");
            Assert.True(sources is { Length: > 0 }, $"the CSP does not restrict {kind}: {header}");
            foreach (var unsafeSource in new[] { "'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "*", "data:", "blob:", "http:", "https:" })
                Assert.DoesNotContain(unsafeSource, sources, StringComparer.OrdinalIgnoreCase);
        }
    }

    /// <summary>
    /// Runs a real connector against a fake server on loopback, feeding the server's own ingest queue (so its live
    /// feed fires), until a post of <paramref name="channel"/> is stored. Only the SSRF rule differs from production:
    /// loopback is allowed so the fake server is reachable. The account is disabled so the server's own connector
    /// host (production rules) leaves it alone.
    /// </summary>
    private static async Task RunConnectorAsync(RunningServer server, string kind, Dictionary<string, string> settings,
        Dictionary<string, string> secrets, Func<ConnectorContext, ConnectorRunner> create, string channel)
    {
        var sp = server.Services;
        var accounts = sp.GetRequiredService<ChannelAccountStore>();
        long id;
        await using (var conn = await server.Db.OpenAsync())
        {
            id = await accounts.CreateAsync(conn, null, kind, kind + " (hostile)", settings, secrets, null);
            await accounts.UpdateAsync(conn, null, id, kind + " (hostile)", enabled: false, settings, null, null);
        }
        var account = (await accounts.GetAsync(id))!;
        var context = new ConnectorContext(sp.GetRequiredService<IngestQueue>(), sp.GetRequiredService<ChannelHealthStore>(), server.Db,
            sp.GetRequiredService<InboxFeed>(), server.Time, new SafeHttpOptions { AllowLoopbackForTests = true },
            sp.GetRequiredService<ConnectorOptions>(), sp.GetRequiredService<ILoggerFactory>());
        using var stop = new CancellationTokenSource();
        var run = Task.Run(() => create(context).RunAsync(account, stop.Token));
        try
        {
            var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (await CountAsync(server.Db, channel) == 0)
            {
                if (run.IsCompleted)
                {
                    await run;
                    Assert.Fail($"the {kind} connector ended without storing anything");
                }
                Assert.True(DateTime.UtcNow < until, $"the {kind} connector stored nothing within 30 s: {(await sp.GetRequiredService<ChannelHealthStore>().GetAsync(id))?.LastError}");
                await Task.Delay(100);
            }
        }
        finally
        {
            await stop.CancelAsync();
            try
            {
                await run;
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    private static async Task<long> CountAsync(Database db, string channel)
    {
        await using var conn = await db.OpenAsync();
        return await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM messages WHERE channel = @channel", new { channel });
    }

    private static string ApiPost(string id, string text, string? reply) => JsonSerializer.Serialize(new
    {
        id,
        channel = "mastodon",
        text,
        created_at = DateTimeOffset.UtcNow.AddMinutes(reply is null ? -5 : -4).ToString("O", CultureInfo.InvariantCulture),
        in_reply_to = reply,
        author = new { id = "eve", handle = "eve", name = ApiAuthor },
    });

    /// <summary>One mention (the documented example from ../shared/fixtures) whose status carries the hostile HTML.</summary>
    private static string MastodonNotifications()
    {
        var line = File.ReadLines(Fixtures.Path("mastodon/streaming.md"))
            .First(l => l.StartsWith("data: {\"id\":\"68739215\",\"type\":\"mention\"", StringComparison.Ordinal));
        var n = JsonNode.Parse(line["data: ".Length..])!.AsObject();
        var status = n["status"]!.AsObject();
        status["content"] = HostileHtml("mastodon");
        status["created_at"] = DateTimeOffset.UtcNow.AddMinutes(-3).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        status["account"]!["display_name"] = MastodonAuthor;
        return new JsonArray(n).ToJsonString();
    }

    private static string RssFeed() =>
        $"""
        <?xml version="1.0" encoding="utf-8"?>
        <rss version="2.0">
          <channel>
            <title>Acme blog</title>
            <link>https://blog.example/</link>
            <description>posts</description>
            <item>
              <title>{WebUtility.HtmlEncode("<img src=x onerror=\"window.__xss = 'rss-title'\">")}rss title words</title>
              <link>https://blog.example/posts/1</link>
              <guid isPermaLink="false">rss-xss-1</guid>
              <author>trudy@blog.example ({WebUtility.HtmlEncode(RssAuthor)})</author>
              <pubDate>{DateTimeOffset.UtcNow.AddMinutes(-2).ToString("r", CultureInfo.InvariantCulture)}</pubDate>
              <description><![CDATA[{HostileHtml("rss")}]]></description>
            </item>
          </channel>
        </rss>
        """;
}
