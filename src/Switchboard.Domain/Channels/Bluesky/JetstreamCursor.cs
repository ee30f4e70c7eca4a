using System.Globalization;

namespace Switchboard.Channels.Bluesky;

/// <summary>
/// Where a Jetstream consumer resumes. Jetstream is at-least-once and replays from any <c>time_us</c> cursor, so the
/// consumer saves the cursor in the same transaction as the posts it stored, and on reconnect asks for a few seconds
/// before it: events are not strictly ordered by time_us across the relay's shards, and the duplicates this replays
/// are absorbed by the (channel, at:// URI) natural key.
/// </summary>
internal static class JetstreamCursor
{
    public static readonly TimeSpan DefaultRewind = TimeSpan.FromSeconds(5);

    /// <summary>The cursor to resume from; null (live tail) when nothing was committed yet.</summary>
    public static long? Resume(long? lastCommittedTimeUs, TimeSpan? rewind = null)
    {
        if (lastCommittedTimeUs is not { } last || last <= 0)
            return null;
        var back = (long)((rewind ?? DefaultRewind).TotalMilliseconds * 1000);
        return Math.Max(1, last - back);
    }

    /// <summary>The highest time_us of a committed batch: the value to save with it.</summary>
    public static long? Advance(long? current, IEnumerable<JetstreamEvent> committed)
    {
        var max = current ?? 0;
        foreach (var e in committed)
            max = Math.Max(max, e.TimeUs);
        return max > 0 ? max : current;
    }

    /// <summary>The subscribe URL: e.g. wss://jetstream2.us-east.bsky.network/subscribe, posts only, optionally resuming.</summary>
    public static Uri SubscribeUrl(Uri endpoint, long? cursor, IEnumerable<string>? wantedDids = null)
    {
        var query = "wantedCollections=" + JetstreamParser.PostCollection;
        foreach (var did in wantedDids ?? [])
            query += "&wantedDids=" + Uri.EscapeDataString(did);
        if (cursor is { } c)
            query += "&cursor=" + c.ToString(CultureInfo.InvariantCulture);
        var builder = new UriBuilder(endpoint) { Query = query };
        if (builder.Path is "" or "/")
            builder.Path = "/subscribe";
        return builder.Uri;
    }
}
