using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Switchboard.Channels.Mastodon;

/// <summary>A request the host sends as is: method, path relative to the instance, headers and JSON body.</summary>
internal sealed record MastodonRequest(HttpMethod Method, string PathAndQuery, IReadOnlyDictionary<string, string> Headers, string? JsonBody = null);

/// <summary>
/// Pure builders for the Mastodon REST calls a connector makes: timelines and notifications with pagination and
/// backfill after a reconnect, and replies that can be retried safely.
/// </summary>
internal static partial class MastodonApi
{
    /// <summary>
    /// Backfill after a reconnect: everything newer than the last id seen, oldest page first (<c>min_id</c> pages
    /// forward from that id, whereas <c>since_id</c> would return only the newest page and leave a gap).
    /// Timeline: "notifications" (mentions), "tag/{name}", "public", "home", "list/{id}".
    /// </summary>
    public static string TimelinePath(string timeline, string? minId = null, string? maxId = null, int limit = 40)
    {
        var path = timeline == "notifications" ? "/api/v1/notifications" : "/api/v1/timelines/" + EscapeTimeline(timeline);
        var query = new List<string> { "limit=" + Math.Clamp(limit, 1, 40).ToString(CultureInfo.InvariantCulture) };
        if (timeline == "notifications")
            query.Add("types[]=mention");
        if (minId is not null)
            query.Add("min_id=" + Uri.EscapeDataString(minId));
        if (maxId is not null)
            query.Add("max_id=" + Uri.EscapeDataString(maxId));
        return path + "?" + string.Join('&', query);
    }

    private static string EscapeTimeline(string timeline) =>
        string.Join('/', timeline.Split('/').Select(Uri.EscapeDataString));

    /// <summary>Reads an RFC 8288 Link header: <c>&lt;…max_id=1&gt;; rel="next", &lt;…min_id=9&gt;; rel="prev"</c>.</summary>
    public static (Uri? Next, Uri? Prev) ParseLinkHeader(string? header)
    {
        Uri? next = null, prev = null;
        if (string.IsNullOrEmpty(header))
            return (null, null);
        foreach (Match m in LinkPattern().Matches(header))
        {
            if (!Uri.TryCreate(m.Groups["url"].Value, UriKind.Absolute, out var url))
                continue;
            var rel = m.Groups["rel"].Value;
            if (rel == "next")
                next = url;
            else if (rel == "prev")
                prev = url;
        }
        return (next, prev);
    }

    [GeneratedRegex(@"<(?<url>[^>]+)>\s*;\s*rel=""?(?<rel>[a-z]+)""?", RegexOptions.CultureInvariant)]
    private static partial Regex LinkPattern();

    /// <summary>
    /// A reply to <paramref name="inReplyToId"/>. The Idempotency-Key is derived from the draft id, so a retry after a
    /// timeout (request sent, outcome unknown) is recognised by the server for about an hour and never posts twice;
    /// after that window the host must reconcile (look the reply up in the thread) instead of retrying blindly.
    /// </summary>
    public static MastodonRequest Reply(string draftId, string inReplyToId, string text, string visibility = "public", string? spoilerText = null)
    {
        var body = new Dictionary<string, object?>
        {
            ["status"] = text,
            ["in_reply_to_id"] = inReplyToId,
            ["visibility"] = visibility,
        };
        if (!string.IsNullOrEmpty(spoilerText))
            body["spoiler_text"] = spoilerText;
        var headers = new Dictionary<string, string> { ["Idempotency-Key"] = IdempotencyKey(draftId) };
        return new MastodonRequest(HttpMethod.Post, "/api/v1/statuses", headers, JsonSerializer.Serialize(body));
    }

    public static string IdempotencyKey(string draftId) =>
        "switchboard-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(draftId)))[..32];

    /// <summary>
    /// The WebSocket streaming path for a stream name: one endpoint, the stream (and tag) in the query. The access
    /// token goes in the Authorization header of the upgrade request, never in the URL (URLs end up in logs).
    /// </summary>
    public static string WebSocketPath(string stream, string? tag = null) => stream switch
    {
        "user" or "user:notification" or "public" or "public:local" => "/api/v1/streaming?stream=" + Uri.EscapeDataString(stream),
        "hashtag" or "hashtag:local" when tag is not null => "/api/v1/streaming?stream=" + stream + "&tag=" + Uri.EscapeDataString(tag),
        _ => throw new ArgumentException($"unknown stream '{stream}'", nameof(stream)),
    };

    /// <summary>The streaming path for a stream name ("user:notification", "hashtag", "public"…), for SSE.</summary>
    public static string StreamingPath(string stream, string? tag = null) => stream switch
    {
        "user" => "/api/v1/streaming/user",
        "user:notification" => "/api/v1/streaming/user/notification",
        "public" => "/api/v1/streaming/public",
        "public:local" => "/api/v1/streaming/public/local",
        "hashtag" when tag is not null => "/api/v1/streaming/hashtag?tag=" + Uri.EscapeDataString(tag),
        "hashtag:local" when tag is not null => "/api/v1/streaming/hashtag/local?tag=" + Uri.EscapeDataString(tag),
        _ => throw new ArgumentException($"unknown stream '{stream}'", nameof(stream)),
    };
}
