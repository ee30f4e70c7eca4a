using System.Globalization;
using System.Text.Json;
using Switchboard.Posts;

namespace Switchboard.Channels.Meta;

/// <summary>A comment to answer: the post, and where the reply goes (Graph API path).</summary>
internal sealed record MetaComment(Post Post, string ReplyPath);

/// <summary>
/// Reads Meta webhook bodies (after <see cref="Webhooks.HubSignature"/> accepted the raw bytes): Facebook Page
/// <c>feed</c> changes with <c>item: comment, verb: add</c> and Instagram <c>comments</c> changes, as posts.
/// Other changes (likes, edits, removals, messaging) are skipped. Meta retries for about 36 hours; the comment id is
/// the natural key. Replies: Facebook <c>POST /{comment-id}/comments</c>, Instagram <c>POST /{comment-id}/replies</c>,
/// each with a <c>message</c> parameter.
/// </summary>
internal static class MetaWebhookEvents
{
    /// <summary>9999-12-31T23:59:59Z, the last second <see cref="DateTimeOffset"/> holds.</summary>
    private const long MaxUnixSeconds = 253_402_300_799;

    public static (IReadOnlyList<MetaComment> Comments, string? Error) Read(ReadOnlySpan<byte> body) =>
        Webhooks.WebhookJson.Read<(IReadOnlyList<MetaComment>, string?)>(body, ReadRoot, reason => ([], reason));

    private static (IReadOnlyList<MetaComment> Comments, string? Error) ReadRoot(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("entry", out var entries) || entries.ValueKind != JsonValueKind.Array)
            return ([], "not a Meta webhook body (no entry array)");
        var objectType = Str(root, "object");
        var comments = new List<MetaComment>();
        foreach (var entry in entries.EnumerateArray())
        {
            if (entry.ValueKind != JsonValueKind.Object || !entry.TryGetProperty("changes", out var changes) || changes.ValueKind != JsonValueKind.Array)
                continue;
            var ownerId = Str(entry, "id") ?? "unknown";
            foreach (var change in changes.EnumerateArray())
            {
                if (change.ValueKind != JsonValueKind.Object || !change.TryGetProperty("value", out var value) || value.ValueKind != JsonValueKind.Object)
                    continue;
                var field = Str(change, "field");
                if (objectType == "page" && field == "feed" && Str(value, "item") == "comment" && Str(value, "verb") == "add")
                    AddFacebook(value, ownerId, comments);
                else if (objectType == "instagram" && field == "comments")
                    AddInstagram(value, ownerId, comments);
            }
        }
        return (comments, null);
    }

    private static void AddFacebook(JsonElement v, string pageId, List<MetaComment> into)
    {
        if (Str(v, "comment_id") is not { } id)
            return;
        var from = v.TryGetProperty("from", out var f) && f.ValueKind == JsonValueKind.Object ? f : default;
        // A reply to a comment has parent_id = that comment; a top-level comment has parent_id = the post.
        var parent = Str(v, "parent_id") ?? Str(v, "post_id");
        // A time outside years 1970–9999 is no time Meta sends; FromUnixTimeSeconds would throw on one past either end of
        // DateTimeOffset (a signed body with created_time 9223372036854775807 answered 500), so it is read as unknown.
        var created = v.TryGetProperty("created_time", out var t) && t.ValueKind == JsonValueKind.Number && t.TryGetInt64(out var unix)
            && unix is > 0 and <= MaxUnixSeconds
            ? DateTimeOffset.FromUnixTimeSeconds(unix) : (DateTimeOffset?)null;
        var post = new Post(id, "facebook:" + pageId, Str(v, "message") ?? "", created,
            from.ValueKind == JsonValueKind.Object ? new Author(Id: Str(from, "id"), Name: Str(from, "name")) : null,
            InReplyTo: parent);
        into.Add(new MetaComment(post, $"/{Uri.EscapeDataString(id)}/comments"));
    }

    private static void AddInstagram(JsonElement v, string accountId, List<MetaComment> into)
    {
        if (Str(v, "id") is not { } id)
            return;
        var from = v.TryGetProperty("from", out var f) && f.ValueKind == JsonValueKind.Object ? f : default;
        var media = v.TryGetProperty("media", out var m) && m.ValueKind == JsonValueKind.Object ? Str(m, "id") : null;
        var post = new Post(id, "instagram:" + accountId, Str(v, "text") ?? "", null,
            from.ValueKind == JsonValueKind.Object ? new Author(Id: Str(from, "id"), Handle: Str(from, "username")) : null,
            InReplyTo: Str(v, "parent_id") ?? media);
        into.Add(new MetaComment(post, $"/{Uri.EscapeDataString(id)}/replies"));
    }

    private static string? Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v)
            ? v.ValueKind switch { JsonValueKind.String => v.GetString(), JsonValueKind.Number => v.GetRawText(), _ => null }
            : null;
}
