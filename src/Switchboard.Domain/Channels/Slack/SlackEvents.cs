using System.Globalization;
using System.Text.Json;
using Switchboard.Posts;

namespace Switchboard.Channels.Slack;

/// <summary>
/// What a verified Slack Events API delivery means for Switchboard. <see cref="Invalid"/> is set when the body could not
/// be read (a string that is not Unicode): the caller refuses it, where <see cref="Ignored"/> is acknowledged.
/// </summary>
internal sealed record SlackDelivery(string? EventId, string? Challenge, Post? Post, string? Ignored, string? Invalid = null);

/// <summary>
/// Reads Slack Events API bodies (after <see cref="Webhooks.SlackSignature"/> accepted them): url_verification,
/// and message/app_mention events as posts. Posts written by bots (including Switchboard's own replies) and message
/// edits/deletions are ignored here. Slack retries deliveries (X-Slack-Retry-Num); the post id
/// "channel:ts" is the natural key that absorbs them.
/// </summary>
internal static class SlackEvents
{
    public static SlackDelivery Read(ReadOnlySpan<byte> body) =>
        Webhooks.WebhookJson.Read(body, ReadRoot, reason => new SlackDelivery(null, null, null, null, reason));

    private static SlackDelivery ReadRoot(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
            return new SlackDelivery(null, null, null, "not a JSON object");
        var type = Str(root, "type");
        if (type == "url_verification")
        {
            // Slack's challenge is always a string; anything else gets a reason rather than an empty echo.
            var challenge = Str(root, "challenge");
            return challenge is null
                ? new SlackDelivery(null, null, null, "url_verification without a challenge string")
                : new SlackDelivery(null, challenge, null, null);
        }
        if (type != "event_callback" || !root.TryGetProperty("event", out var e) || e.ValueKind != JsonValueKind.Object)
            return new SlackDelivery(Str(root, "event_id"), null, null, $"event type '{type}' is not handled");
        var eventId = Str(root, "event_id");
        var eventType = Str(e, "type");
        if (eventType is not ("message" or "app_mention"))
            return new SlackDelivery(eventId, null, null, $"event '{eventType}' is not handled");
        if (Str(e, "subtype") is { } subtype && subtype != "thread_broadcast")
            return new SlackDelivery(eventId, null, null, $"message subtype '{subtype}' is not a new human message");
        if (Str(e, "bot_id") is not null)
            return new SlackDelivery(eventId, null, null, "message from a bot");
        var channel = Str(e, "channel");
        var ts = Str(e, "ts");
        if (channel is null || ts is null)
            return new SlackDelivery(eventId, null, null, "message without channel or ts");
        var thread = Str(e, "thread_ts");
        var team = Str(root, "team_id") ?? Str(e, "team") ?? "unknown";
        var post = new Post(
            Id: channel + ":" + ts,
            Channel: "slack:" + team,
            Text: Str(e, "text") ?? "",
            CreatedAt: TsToTime(ts),
            Author: new Author(Id: Str(e, "user")),
            InReplyTo: thread is not null && thread != ts ? channel + ":" + thread : null);
        return new SlackDelivery(eventId, null, post, null);
    }

    /// <summary>The chat.postMessage body for a reply in the thread of <paramref name="postId"/> ("channel:ts").</summary>
    public static string ReplyBody(string postId, string? threadRootPostId, string text)
    {
        var (channel, ts) = Split(threadRootPostId ?? postId);
        return JsonSerializer.Serialize(new Dictionary<string, string> { ["channel"] = channel, ["thread_ts"] = ts, ["text"] = text });
    }

    private static (string Channel, string Ts) Split(string postId)
    {
        var colon = postId.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
            throw new ArgumentException($"'{postId}' is not a Slack post id (channel:ts)", nameof(postId));
        return (postId[..colon], postId[(colon + 1)..]);
    }

    private static DateTimeOffset? TsToTime(string ts) =>
        decimal.TryParse(ts, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds) && seconds is > 0 and < 253402300799m
            ? DateTimeOffset.FromUnixTimeMilliseconds((long)(seconds * 1000))
            : null;

    private static string? Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
