using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Switchboard.Channels.Bluesky;

/// <summary>
/// Pure request bodies for replying on Bluesky through the account's PDS (XRPC): a session from an app password, then
/// <c>com.atproto.repo.createRecord</c> with reply references. The record key is derived from the draft, so a retry
/// after an unknown outcome cannot create a second post: the PDS rejects the repeated key, and the host then looks the
/// record up (<c>com.atproto.repo.getRecord</c> with the same key) to reconcile.
/// </summary>
internal static class BlueskyApi
{
    public const string CreateSessionPath = "/xrpc/com.atproto.server.createSession";
    public const string CreateRecordPath = "/xrpc/com.atproto.repo.createRecord";

    /// <summary>Body of createSession; use an app password, never the account password.</summary>
    public static string CreateSessionBody(string handle, string appPassword) =>
        JsonSerializer.Serialize(new Dictionary<string, string> { ["identifier"] = handle, ["password"] = appPassword });

    /// <summary>
    /// Body of createRecord for a reply to <paramref name="target"/> (which needs its cid, as Jetstream gives it).
    /// The thread root is the target's root, or the target itself when it starts the thread.
    /// </summary>
    public static string ReplyBody(string repoDid, BlueskyPost target, string text, string draftId, DateTimeOffset draftCreatedAt)
    {
        if (target.Cid is null)
            throw new ArgumentException("the target post's cid is needed to reply", nameof(target));
        var rootUri = target.ReplyRoot ?? target.Uri;
        var rootCid = target.ReplyRoot is null ? target.Cid : target.ReplyRootCid ?? throw new ArgumentException("the thread root's cid is unknown", nameof(target));
        var body = new Dictionary<string, object>
        {
            ["repo"] = repoDid,
            ["collection"] = JetstreamParser.PostCollection,
            ["rkey"] = RecordKey(draftId, draftCreatedAt),
            ["record"] = new Dictionary<string, object>
            {
                ["$type"] = JetstreamParser.PostCollection,
                ["text"] = text,
                ["createdAt"] = draftCreatedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture),
                ["reply"] = new Dictionary<string, object>
                {
                    ["root"] = new Dictionary<string, string> { ["uri"] = rootUri, ["cid"] = rootCid },
                    ["parent"] = new Dictionary<string, string> { ["uri"] = target.Uri, ["cid"] = target.Cid },
                },
            },
        };
        return JsonSerializer.Serialize(body);
    }

    private const string SortableBase32 = "234567abcdefghijklmnopqrstuvwxyz";

    /// <summary>
    /// A TID (the record-key format of posts): 53 bits of microseconds since the epoch and a 10-bit clock id, in
    /// sortable base32. Time from the draft's creation and clock id from its id make it deterministic per draft.
    /// </summary>
    public static string RecordKey(string draftId, DateTimeOffset draftCreatedAt)
    {
        var micros = (ulong)(draftCreatedAt.ToUnixTimeMilliseconds() * 1000) & ((1UL << 53) - 1);
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(draftId));
        var clock = (ulong)(hash[0] | (hash[1] << 8)) & 0x3FF;
        var value = (micros << 10) | clock;
        Span<char> chars = stackalloc char[13];
        for (int i = 12; i >= 0; i--)
        {
            chars[i] = SortableBase32[(int)(value & 31)];
            value >>= 5;
        }
        return new string(chars);
    }
}
