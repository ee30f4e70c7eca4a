namespace Switchboard.Channels.Feeds;

/// <summary>What the host remembers per feed between polls (stored on the feed's row).</summary>
internal sealed record FeedPollState(
    string? ETag = null,
    DateTimeOffset? LastModified = null,
    int ConsecutiveFailures = 0,
    DateTimeOffset? LastSuccess = null,
    DateTimeOffset? NextPollAt = null,
    string? LastError = null);

internal sealed record FeedPollOptions
{
    public TimeSpan Interval { get; init; } = TimeSpan.FromMinutes(15);
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromHours(6);
    /// <summary>A feed is "silent" (health alert) when it has not been read successfully for this many intervals.</summary>
    public int SilentAfterIntervals { get; init; } = 4;
}

/// <summary>
/// Pure polling decisions for one feed: conditional GET validators, exponential backoff on errors (honouring
/// Retry-After), and the silence check behind the health alert. The host performs the fetch (through the SSRF-safe
/// client) and the storage; ingesting the returned entries is idempotent by <see cref="FeedEntry.DedupeKey"/>, so
/// polling the same feed any number of times creates no duplicates.
/// </summary>
internal static class FeedPolling
{
    /// <summary>200 with a parsed feed: new validators, failures reset, next poll one interval later.</summary>
    public static FeedPollState AfterSuccess(FeedPollState state, string? etag, DateTimeOffset? lastModified, DateTimeOffset now, FeedPollOptions? options = null) =>
        state with
        {
            ETag = etag,
            LastModified = lastModified,
            ConsecutiveFailures = 0,
            LastSuccess = now,
            NextPollAt = now + (options ?? new()).Interval,
            LastError = null,
        };

    /// <summary>304: the feed is alive and unchanged; validators stay.</summary>
    public static FeedPollState AfterNotModified(FeedPollState state, DateTimeOffset now, FeedPollOptions? options = null) =>
        state with { ConsecutiveFailures = 0, LastSuccess = now, NextPollAt = now + (options ?? new()).Interval, LastError = null };

    /// <summary>
    /// A failed poll (network error, timeout, 4xx/5xx, unparseable feed): wait interval × 2^failures, capped, and never
    /// less than the server's Retry-After. Validators are kept so the next success can still be a cheap 304.
    /// </summary>
    public static FeedPollState AfterFailure(FeedPollState state, string error, DateTimeOffset now, TimeSpan? retryAfter = null, FeedPollOptions? options = null)
    {
        options ??= new();
        var failures = state.ConsecutiveFailures + 1;
        var factor = Math.Pow(2, Math.Min(failures, 20));
        var backoff = TimeSpan.FromTicks((long)Math.Min(options.Interval.Ticks * factor, options.MaxBackoff.Ticks));
        if (retryAfter is { } wait && wait > backoff)
            backoff = wait < options.MaxBackoff * 4 ? wait : options.MaxBackoff * 4; // a hostile Retry-After cannot park a feed forever
        return state with { ConsecutiveFailures = failures, NextPollAt = now + backoff, LastError = error };
    }

    /// <summary>
    /// The schedule a restarted poller continues from (the stored next poll time and failure count), never later than the
    /// current options allow: a manager who shortens the interval, or a stored time from a clock that was wrong, does
    /// not leave the feed waiting on the old schedule. (A Retry-After longer than the backoff is not kept over a restart.)
    /// </summary>
    public static FeedPollState Resume(FeedPollState stored, DateTimeOffset now, FeedPollOptions? options = null)
    {
        options ??= new();
        if (stored.NextPollAt is not { } next)
            return stored;
        var failures = Math.Max(0, stored.ConsecutiveFailures);
        var longest = failures == 0
            ? options.Interval
            : TimeSpan.FromTicks((long)Math.Min(options.Interval.Ticks * Math.Pow(2, Math.Min(failures, 20)), options.MaxBackoff.Ticks));
        return stored with { ConsecutiveFailures = failures, NextPollAt = next - now > longest ? now + longest : next };
    }

    public static bool IsDue(FeedPollState state, DateTimeOffset now) => state.NextPollAt is not { } next || next <= now;

    /// <summary>The health alert: no successful read for <see cref="FeedPollOptions.SilentAfterIntervals"/> intervals (or never, once that long has passed since <paramref name="since"/>).</summary>
    public static bool IsSilent(FeedPollState state, DateTimeOffset now, DateTimeOffset since, FeedPollOptions? options = null)
    {
        options ??= new();
        var last = state.LastSuccess ?? since;
        return now - last > options.Interval * options.SilentAfterIntervals;
    }
}
