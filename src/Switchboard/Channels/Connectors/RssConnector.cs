using System.Text.Json;
using Switchboard.Channels.Accounts;
using Switchboard.Channels.Feeds;
using Switchboard.Channels.SafeHttp;
using Switchboard.Posts;

namespace Switchboard.Channels.Connectors;

/// <summary>
/// Polls one RSS/Atom feed: conditional GET (ETag / If-Modified-Since, 304 = unchanged), exponential backoff on errors
/// (<see cref="FeedPolling"/>), every fetch through <see cref="SafeHttpClient"/> (SSRF checks, size and time limits),
/// parsing with DTDs and external entities off. Entries are deduplicated by guid, or link + content hash
/// (<see cref="FeedEntry.DedupeKey"/>). The comment feeds of the newest articles (wfw:commentRss) are polled too, and
/// their entries threaded under the article. Validators are saved only after the posts they cover are committed.
/// </summary>
internal sealed class RssConnector(ConnectorContext context) : ConnectorRunner
{
    private readonly ILogger _log = context.Logger("Rss");

    /// <summary>
    /// What is remembered between polls (the cursor column, as JSON), including when to poll next and how many polls in a
    /// row failed: a restart keeps a failing feed's backoff and a healthy feed's interval instead of polling at once.
    /// </summary>
    internal sealed record RssCursor(string? ETag, DateTimeOffset? LastModified, List<CommentFeed> Comments,
        DateTimeOffset? NextPollAt = null, int Failures = 0);

    /// <summary>An article's comment feed: where it is, the article's post id, and its own validators.</summary>
    internal sealed record CommentFeed(string Url, string ArticleId, string? ETag, DateTimeOffset? LastModified);

    public override async Task RunAsync(ChannelAccount account, CancellationToken ct)
    {
        var url = FeedUrl(account);
        var options = PollOptions(account);
        using var http = new SafeHttpClient(context.Http);
        var cursor = Read(await context.Health.CursorAsync(account.Id, ct));
        var state = FeedPolling.Resume(new FeedPollState(cursor.ETag, cursor.LastModified, ConsecutiveFailures: cursor.Failures, NextPollAt: cursor.NextPollAt),
            context.Time.GetUtcNow(), options);
        while (!ct.IsCancellationRequested)
        {
            var now = context.Time.GetUtcNow();
            if (state.NextPollAt is { } next && next > now)
                await Task.Delay(next - now, context.Time, ct);
            (state, cursor) = await PollOnceAsync(account, url, http, state, cursor, options, ct);
        }
    }

    /// <summary>One poll of the feed and its comment feeds; returns the state for the next one. Errors are recorded, not thrown.</summary>
    internal async Task<(FeedPollState, RssCursor)> PollOnceAsync(ChannelAccount account, Uri url, SafeHttpClient http,
        FeedPollState state, RssCursor cursor, FeedPollOptions options, CancellationToken ct)
    {
        var channel = Channel(url);
        var fetched = await http.GetAsync(url, new ConditionalGet(state.ETag, state.LastModified), ct);
        var now = context.Time.GetUtcNow();
        int delivered;
        TimeSpan? lag = null;
        switch (fetched.Status)
        {
            case FetchStatus.NotModified:
                state = FeedPolling.AfterNotModified(state, now, options);
                delivered = 0;
                break;
            case FetchStatus.Ok:
                var parsed = Parse(fetched);
                if (parsed.Error is { } parseError)
                    return await FailAsync(account, state, cursor, $"not a readable feed: {parseError}", null, options, ct);
                var feed = parsed.Feed!;
                var articles = feed.Entries.Select(e => FeedPosts.ToPost(e, channel)).ToList();
                delivered = await context.IngestAsync(account.Id, articles, ct);
                lag = Lag(feed.Entries, now);
                cursor = cursor with { Comments = Track(cursor.Comments, feed, url, account) };
                state = FeedPolling.AfterSuccess(state, fetched.ETag, fetched.LastModified, now, options);
                break;
            default:
                return await FailAsync(account, state, cursor, $"{fetched.Status}: {fetched.Error}", fetched.RetryAfter, options, ct);
        }

        if (ChannelAccountRules.Bool(account.Settings, "comment_feeds", true))
        {
            var (comments, commentsDelivered) = await PollCommentsAsync(account.Id, cursor.Comments, channel, http, ct);
            cursor = cursor with { Comments = comments };
            delivered += commentsDelivered;
        }
        cursor = cursor with { ETag = state.ETag, LastModified = state.LastModified, NextPollAt = state.NextPollAt, Failures = 0 };
        // The posts above are committed (IngestAsync returned): only now do the validators move forward.
        await context.Health.RecordSuccessAsync(account.Id, delivered, JsonSerializer.Serialize(cursor), lag, ct);
        return (state, cursor);
    }

    private async Task<(FeedPollState, RssCursor)> FailAsync(ChannelAccount account, FeedPollState state, RssCursor cursor, string error,
        TimeSpan? retryAfter, FeedPollOptions options, CancellationToken ct)
    {
        _log.LogWarning("Feed {Account}: {Error}", account.ToString(), error);
        state = FeedPolling.AfterFailure(state, error, context.Time.GetUtcNow(), retryAfter, options);
        // The validators stay where the last success left them; only the schedule moves.
        cursor = cursor with { NextPollAt = state.NextPollAt, Failures = state.ConsecutiveFailures };
        await context.Health.RecordErrorAsync(account.Id, error, JsonSerializer.Serialize(cursor), ct);
        return (state, cursor);
    }

    /// <summary>
    /// Comment feeds are secondary: a failing one is skipped (its validators kept) without failing the article feed,
    /// since a blog whose comments are closed still publishes articles.
    /// </summary>
    private async Task<(List<CommentFeed>, int)> PollCommentsAsync(long accountId, List<CommentFeed> feeds, string channel, SafeHttpClient http, CancellationToken ct)
    {
        var result = new List<CommentFeed>(feeds.Count);
        var delivered = 0;
        foreach (var cf in feeds)
        {
            if (!Uri.TryCreate(cf.Url, UriKind.Absolute, out var url))
                continue;
            var fetched = await http.GetAsync(url, new ConditionalGet(cf.ETag, cf.LastModified), ct);
            if (fetched.Status == FetchStatus.Ok && Parse(fetched) is { Feed: { } feed })
            {
                delivered += await context.IngestAsync(accountId, [.. feed.Entries.Select(e => FeedPosts.ToPost(e, channel, cf.ArticleId))], ct);
                result.Add(cf with { ETag = fetched.ETag, LastModified = fetched.LastModified });
            }
            else
            {
                if (fetched.Status != FetchStatus.NotModified)
                    _log.LogDebug("Comment feed {Url}: {Status} {Error}", cf.Url, fetched.Status, fetched.Error);
                result.Add(cf);
            }
        }
        return (result, delivered);
    }

    /// <summary>Keeps the comment feeds of the newest articles (by date, then feed order), validators carried over.</summary>
    private static List<CommentFeed> Track(List<CommentFeed> known, Feed feed, Uri feedUrl, ChannelAccount account)
    {
        var max = ChannelAccountRules.Int(account.Settings, "max_comment_feeds", 20);
        var byUrl = known.ToDictionary(c => c.Url, StringComparer.Ordinal);
        var fresh = feed.Entries
            .Select((e, i) => (Entry: e, Index: i))
            .Where(x => x.Entry.CommentsFeed is { Length: > 0 and <= 2048 })
            .OrderByDescending(x => x.Entry.Published ?? x.Entry.Updated ?? DateTimeOffset.MinValue)
            .ThenBy(x => x.Index)
            .Select(x => byUrl.TryGetValue(x.Entry.CommentsFeed!, out var old)
                ? old with { ArticleId = x.Entry.DedupeKey }
                : new CommentFeed(x.Entry.CommentsFeed!, x.Entry.DedupeKey, null, null))
            .Where(c => c.Url != feedUrl.AbsoluteUri)
            .DistinctBy(c => c.Url)
            .Take(max)
            .ToList();
        return fresh;
    }

    private static FeedParseResult Parse(FetchResult fetched)
    {
        using var body = new MemoryStream(fetched.Body!, writable: false);
        return FeedParser.Parse(body, new FeedParseOptions { DocumentUri = fetched.ContentLocation ?? fetched.Url });
    }

    private static TimeSpan? Lag(IReadOnlyList<FeedEntry> entries, DateTimeOffset now)
    {
        var newest = entries.Select(e => e.Published ?? e.Updated).Where(d => d is not null && d <= now).Max();
        return newest is { } n ? now - n : null;
    }

    internal static Uri FeedUrl(ChannelAccount account) =>
        Uri.TryCreate(account.Setting("url"), UriKind.Absolute, out var url)
            ? url
            : throw new ConnectorException("the account has no valid feed url");

    /// <summary>Posts of a feed (and of its comment feeds) share one channel, named after the feed URL.</summary>
    internal static string Channel(Uri feedUrl) => Posts.Channels.Normalize("rss:" + feedUrl.AbsoluteUri);

    internal static FeedPollOptions PollOptions(ChannelAccount account) => new()
    {
        Interval = TimeSpan.FromSeconds(Math.Max(1, ChannelAccountRules.Int(account.Settings, "poll_interval_seconds", 900))),
    };

    internal static RssCursor Read(string? json)
    {
        if (string.IsNullOrEmpty(json))
            return new RssCursor(null, null, []);
        try
        {
            var c = JsonSerializer.Deserialize<RssCursor>(json);
            return c is null ? new RssCursor(null, null, []) : c with { Comments = c.Comments ?? [] };
        }
        catch (JsonException)
        {
            // A cursor from an older format: start over; dedupe makes the re-read harmless.
            return new RssCursor(null, null, []);
        }
    }
}
