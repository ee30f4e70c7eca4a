using System.Text.Json;
using Dapper;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Switchboard.Channels.Connectors;
using Switchboard.Channels.Feeds;
using Switchboard.Channels.SafeHttp;

using Xunit;

namespace Switchboard.Tests.Channels.Connectors;

public sealed class RssConnectorTests
{
    /// <summary>A WordPress-like blog: an RSS 2.0 feed with wfw:commentRss per article, ETags on every document.</summary>
    private sealed class Blog
    {
        public int Version = 1;
        public bool Broken;
        public readonly List<(string Path, string? IfNoneMatch, string? IfModifiedSince)> Requests = [];
        public Uri Base = null!;

        public string Feed() =>
            $"""
            <?xml version="1.0" encoding="UTF-8"?>
            <rss version="2.0" xmlns:wfw="http://wellformedweb.org/CommentAPI/" xmlns:dc="http://purl.org/dc/elements/1.1/">
            <channel><title>Acme blog</title><link>{Base}</link>
            {(Version >= 2 ? $"<item><title>Third post</title><link>{Base}posts/3</link><description>No guid here</description><pubDate>Wed, 04 Jan 2023 10:00:00 GMT</pubDate></item>" : "")}
            <item><title>Second post</title><link>{Base}posts/2</link><guid isPermaLink="false">post-2</guid><dc:creator>Ann</dc:creator>
              <description>&lt;p&gt;Our &lt;b&gt;refund&lt;/b&gt; policy changed&lt;/p&gt;</description><pubDate>Tue, 03 Jan 2023 10:00:00 GMT</pubDate>
              <wfw:commentRss>{Base}comments/2</wfw:commentRss></item>
            <item><title>First post</title><link>{Base}posts/1</link><guid isPermaLink="false">post-1</guid>
              <description>Hello world</description><pubDate>Mon, 02 Jan 2023 10:00:00 GMT</pubDate>
              <wfw:commentRss>{Base}comments/1</wfw:commentRss></item>
            </channel></rss>
            """;

        public string Comments(int article) =>
            $"""
            <?xml version="1.0"?>
            <rss version="2.0"><channel><title>Comments on post {article}</title><link>{Base}posts/{article}</link>
            <item><title>Re: post {article}</title><guid isPermaLink="false">c-{article}-1</guid><description>My order never arrived, comment on {article}</description><pubDate>Tue, 03 Jan 2023 11:00:00 GMT</pubDate></item>
            {(article == 1 && Version >= 2 ? "<item><title>Re: post 1</title><guid isPermaLink=\"false\">c-1-2</guid><description>A later comment</description></item>" : "")}
            </channel></rss>
            """;
    }

    private static async Task<FakeServer> ServeAsync(Blog blog)
    {
        var server = await FakeServer.StartAsync(app =>
        {
            app.MapGet("/feed", (HttpContext ctx) => Answer(ctx, blog, "feed", blog.Feed));
            app.MapGet("/comments/{n:int}", (HttpContext ctx, int n) => Answer(ctx, blog, "comments/" + n, () => blog.Comments(n)));
        });
        blog.Base = server.Address;
        return server;
    }

    private static IResult Answer(HttpContext ctx, Blog blog, string path, Func<string> body)
    {
        var inm = ctx.Request.Headers.IfNoneMatch.ToString();
        lock (blog.Requests)
            blog.Requests.Add((path, inm.Length > 0 ? inm : null, ctx.Request.Headers.IfModifiedSince.ToString() is { Length: > 0 } ims ? ims : null));
        if (blog.Broken)
            return Results.StatusCode(503);
        var etag = $"\"{path}-v{blog.Version}\"";
        ctx.Response.Headers.ETag = etag;
        ctx.Response.Headers.LastModified = "Tue, 03 Jan 2023 12:00:00 GMT";
        if (inm == etag)
            return Results.StatusCode(304);
        return Results.Text(body(), "application/rss+xml");
    }

    [Fact]
    public async Task Polls_with_etag_threads_comment_feeds_under_articles_and_backs_off_on_errors()
    {
        var blog = new Blog();
        await using var server = await ServeAsync(blog);
        await using var h = await ConnectorHarness.StartAsync();
        var account = await h.AddAccountAsync("rss", "Acme blog", new() { ["url"] = server.Url("feed").AbsoluteUri, ["poll_interval_seconds"] = "60" });
        await h.Health.StartAsync(account.Id, default);
        var rss = new RssConnector(h.Context);
        using var http = new SafeHttpClient(h.Context.Http);
        var url = RssConnector.FeedUrl(account);
        var options = RssConnector.PollOptions(account);
        var channel = RssConnector.Channel(url);

        // First poll: 2 articles and one comment on each, the comments threaded under their article.
        var (state, cursor) = await rss.PollOnceAsync(account, url, http, new FeedPollState(), RssConnector.Read(null), options, default);
        await using (var conn = await h.Db.OpenAsync())
        {
            var rows = (await conn.QueryAsync<(string ExternalId, string? InReplyTo, long ConversationId, string Text)>(
                "SELECT external_id, in_reply_to, conversation_id, text FROM messages WHERE channel = @channel ORDER BY external_id", new { channel })).ToList();
            Assert.Equal(["id:c-1-1", "id:c-2-1", "id:post-1", "id:post-2"], rows.Select(r => r.ExternalId));
            var post2 = rows.Single(r => r.ExternalId == "id:post-2");
            var comment2 = rows.Single(r => r.ExternalId == "id:c-2-1");
            Assert.Equal("id:post-2", comment2.InReplyTo);
            Assert.Equal(post2.ConversationId, comment2.ConversationId);
            Assert.Contains("refund policy changed", post2.Text, StringComparison.Ordinal);
            Assert.DoesNotContain("<b>", post2.Text, StringComparison.Ordinal);
        }
        var health = await h.Health.GetAsync(account.Id);
        Assert.Equal(4, health!.Deliveries);
        var saved = RssConnector.Read(health.Cursor);
        Assert.Equal("\"feed-v1\"", saved.ETag);
        Assert.Equal(2, saved.Comments.Count);

        // Second poll: the feed and both comment feeds answer 304 to the validators; nothing new is stored.
        (state, cursor) = await rss.PollOnceAsync(account, url, http, state, cursor, options, default);
        Assert.Contains(blog.Requests, r => r.Path == "feed" && r.IfNoneMatch == "\"feed-v1\"");
        Assert.Contains(blog.Requests, r => r.Path == "comments/1" && r.IfNoneMatch == "\"comments/1-v1\"");
        Assert.Equal(4, await CountAsync(h, channel));

        // The blog publishes a post without a guid (keyed by link + content hash) and a new comment.
        blog.Version = 2;
        (state, cursor) = await rss.PollOnceAsync(account, url, http, state, cursor, options, default);
        (state, cursor) = await rss.PollOnceAsync(account, url, http, state with { ETag = null }, cursor, options, default);
        Assert.Equal(6, await CountAsync(h, channel));
        await using (var conn = await h.Db.OpenAsync())
        {
            var third = await conn.QuerySingleAsync<string>("SELECT external_id FROM messages WHERE channel = @channel AND text LIKE 'Third post%'", new { channel });
            Assert.StartsWith("link:" + server.Url("posts/3").AbsoluteUri + "#", third, StringComparison.Ordinal);
            Assert.Equal("id:post-1", await conn.QuerySingleAsync<string>("SELECT in_reply_to FROM messages WHERE external_id = 'id:c-1-2'"));
        }

        // The server fails: the error is recorded and the next poll waits longer than the interval (backoff).
        blog.Broken = true;
        var before = h.Time.GetUtcNow();
        var (failed, _) = await rss.PollOnceAsync(account, url, http, state, cursor, options, default);
        Assert.Equal(1, failed.ConsecutiveFailures);
        Assert.True(failed.NextPollAt > before + options.Interval, "backoff after a failure");
        health = await h.Health.GetAsync(account.Id);
        Assert.Equal(1, health!.ConsecutiveErrors);
        Assert.Contains("503", health.LastError, StringComparison.Ordinal);
        Assert.Equal("\"feed-v2\"", RssConnector.Read(health.Cursor).ETag); // the validators of the last success stay

        // The schedule is stored with the cursor: a restarted poller (a new process) keeps the backoff and does not
        // hit the failing server at once.
        var stored = RssConnector.Read(health.Cursor);
        Assert.Equal((1, failed.NextPollAt), (stored.Failures, stored.NextPollAt));
        var requestsBefore = blog.Requests.Count;
        using var stop = new CancellationTokenSource();
        var restarted = new RssConnector(h.Context).RunAsync(account, stop.Token);
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        Assert.Equal(requestsBefore, blog.Requests.Count);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => restarted);
    }

    [Fact]
    public async Task Last_modified_alone_is_sent_back_as_if_modified_since_and_a_hundred_polls_store_each_item_once()
    {
        // A server without ETags that honours If-Modified-Since only on every other request, as caches and CDNs in
        // front of blogs do: half the polls get the whole feed again, and every item in it must be recognised.
        const string lastModified = "Tue, 03 Jan 2023 12:00:00 GMT";
        var blog = new Blog();
        var requests = new List<(string Path, string? IfModifiedSince, int Status)>();
        await using var server = await FakeServer.StartAsync(app =>
        {
            IResult Answer(HttpContext ctx, string path, Func<string> body)
            {
                var ims = ctx.Request.Headers.IfModifiedSince.ToString();
                lock (requests)
                {
                    var honour = requests.Count % 2 == 0 && ims == lastModified;
                    requests.Add((path, ims.Length > 0 ? ims : null, honour ? 304 : 200));
                    ctx.Response.Headers.LastModified = lastModified;
                    return honour ? Results.StatusCode(304) : Results.Text(body(), "application/rss+xml");
                }
            }

            app.MapGet("/feed", (HttpContext ctx) => Answer(ctx, "feed", blog.Feed));
            app.MapGet("/comments/{n:int}", (HttpContext ctx, int n) => Answer(ctx, "comments/" + n, () => blog.Comments(n)));
        });
        blog.Base = server.Address;
        await using var h = await ConnectorHarness.StartAsync();
        var account = await h.AddAccountAsync("rss", "News", new() { ["url"] = server.Url("feed").AbsoluteUri });
        await h.Health.StartAsync(account.Id, default);
        var rss = new RssConnector(h.Context);
        using var http = new SafeHttpClient(h.Context.Http);
        var url = RssConnector.FeedUrl(account);
        var options = RssConnector.PollOptions(account);
        var channel = RssConnector.Channel(url);

        var (state, cursor) = (new FeedPollState(), RssConnector.Read(null));
        for (var i = 0; i < 100; i++)
        {
            (state, cursor) = await rss.PollOnceAsync(account, url, http, state, cursor, options, default);
            Assert.Null(state.LastError);
        }

        // The first request has nothing to send back; every later one returns the server's Last-Modified.
        var feedRequests = requests.Where(r => r.Path == "feed").ToList();
        Assert.Equal(100, feedRequests.Count);
        Assert.Null(feedRequests[0].IfModifiedSince);
        Assert.All(feedRequests.Skip(1), r => Assert.Equal(lastModified, r.IfModifiedSince));
        Assert.Contains(requests, r => r.Path.StartsWith("comments/", StringComparison.Ordinal) && r.IfModifiedSince == lastModified);
        Assert.Contains(feedRequests, r => r.Status == 304);
        Assert.True(feedRequests.Count(r => r.Status == 200) > 1, "the whole feed must come back more than once");
        Assert.Equal(4, await CountAsync(h, channel));
        await using var conn = await h.Db.OpenAsync();
        Assert.Equal(2, await conn.ExecuteScalarAsync<long>("SELECT COUNT(DISTINCT conversation_id) FROM messages WHERE channel = @channel", new { channel }));
    }

    [Fact]
    public async Task A_feed_that_is_not_xml_or_too_large_is_an_error_not_a_crash()
    {
        var huge = new string('x', 200_000);
        await using var server = await FakeServer.StartAsync(app =>
        {
            app.MapGet("/html", () => Results.Text("<html><body>not a feed", "text/html"));
            app.MapGet("/entity", () => Results.Text("<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><rss version=\"2.0\"><channel><item><title>&x;</title></item></channel></rss>", "application/xml"));
            app.MapGet("/huge", () => Results.Text($"<rss version=\"2.0\"><channel><title>{huge}</title></channel></rss>", "application/xml"));
        });
        await using var h = await ConnectorHarness.StartAsync();
        var rss = new RssConnector(h.Context);
        using var http = new SafeHttpClient(new SafeHttpOptions { AllowLoopbackForTests = true, MaxResponseBytes = 100_000 });
        foreach (var path in new[] { "html", "entity", "huge" })
        {
            var account = await h.AddAccountAsync("rss", "feed " + path, new() { ["url"] = server.Url(path).AbsoluteUri });
            await h.Health.StartAsync(account.Id, default);
            var (state, _) = await rss.PollOnceAsync(account, server.Url(path), http, new FeedPollState(), RssConnector.Read(null), RssConnector.PollOptions(account), default);
            Assert.Equal(1, state.ConsecutiveFailures);
            var health = await h.Health.GetAsync(account.Id);
            Assert.Equal(1, health!.Errors);
            Assert.False(string.IsNullOrEmpty(health.LastError));
        }
        await using var conn = await h.Db.OpenAsync();
        Assert.Equal(0, await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM messages"));
        Assert.DoesNotContain("root:", h.Logs.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_host_runs_the_poller_and_refuses_internal_addresses_without_the_test_override()
    {
        var blog = new Blog();
        await using var server = await ServeAsync(blog);
        await using var h = await ConnectorHarness.StartAsync();
        var account = await h.AddAccountAsync("rss", "Acme blog", new() { ["url"] = server.Url("feed").AbsoluteUri });
        await h.StartHostAsync();
        await ConnectorHarness.WaitForAsync(async () => await CountAsync(h, RssConnector.Channel(server.Url("feed"))) == 4, TimeSpan.FromSeconds(20), "the host's first poll");
        Assert.Contains(account.Id, h.Host.RunningAccounts);

        // Disabling stops the runner.
        await using (var conn = await h.Db.OpenAsync())
            await h.Accounts.UpdateAsync(conn, null, account.Id, account.Name, enabled: false, account.Settings, null, null);
        h.Signal.Notify();
        await ConnectorHarness.WaitForAsync(() => Task.FromResult(!h.Host.RunningAccounts.Contains(account.Id)), TimeSpan.FromSeconds(10), "the runner to stop");

        // Production options (no loopback): the same URL is refused by the SSRF check, and that is recorded as an error.
        var strict = new RssConnector(new ConnectorContext(h.Queue, h.Health, h.Db, h.Feed, h.Time, new SafeHttpOptions(), h.Options,
            Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance));
        using var http = new SafeHttpClient(new SafeHttpOptions());
        var (state, _) = await strict.PollOnceAsync(account, server.Url("feed"), http, new FeedPollState(), RssConnector.Read(null), RssConnector.PollOptions(account), default);
        Assert.Contains("Refused", state.LastError, StringComparison.Ordinal);
    }

    private static async Task<long> CountAsync(ConnectorHarness h, string channel)
    {
        await using var conn = await h.Db.OpenAsync();
        return await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM messages WHERE channel = @channel", new { channel });
    }
}
