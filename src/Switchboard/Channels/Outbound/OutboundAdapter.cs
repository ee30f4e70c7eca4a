namespace Switchboard.Channels.Outbound;

/// <summary>
/// A reply ready to leave Switchboard. IdempotencyKey is stable for the reply across every retry, so a network that
/// supports idempotency keys (Mastodon) never posts it twice, and a reconcile can look it up. CreatedAt (the reply's
/// creation) is stable too, for networks whose record keys derive from a time (Bluesky).
/// </summary>
internal sealed record OutboundReply(
    long ReplyId,
    string Channel,
    long? ChannelAccountId,
    string InReplyToExternalId,
    string? ConversationRootExternalId,
    string Text,
    string IdempotencyKey,
    DateTimeOffset? CreatedAt = null);

/// <summary>How a send ended.</summary>
internal enum SendStatus
{
    /// <summary>The network accepted it; ExternalId is its id there.</summary>
    Sent,

    /// <summary>The network refused it (4xx other than 429): retrying the same request cannot succeed.</summary>
    Failed,

    /// <summary>A transient refusal before the request was processed (429, 503, connection refused): safe to retry after RetryAfter.</summary>
    RetryLater,

    /// <summary>The request may have left (timeout, reset after sending): never retried blindly; reconcile first.</summary>
    Unknown,
}

internal sealed record SendOutcome(SendStatus Status, string? ExternalId = null, string? Url = null, string? Error = null, TimeSpan? RetryAfter = null);

/// <summary>
/// One network's way of posting a reply. Each channel kind (demo, mastodon, bluesky, slack, meta) has one subclass;
/// OutboundAdapters picks by the conversation's channel.
/// </summary>
internal abstract class OutboundAdapter
{
    /// <summary>The channel names (Post.Channel values) this adapter sends to.</summary>
    public abstract IReadOnlyCollection<string> Channels { get; }

    /// <summary>Maximum characters of a reply on this network (the composer's counter uses it).</summary>
    public abstract int MaxLength { get; }

    public abstract Task<SendOutcome> SendAsync(OutboundReply reply, CancellationToken ct);

    /// <summary>
    /// After an Unknown outcome: looks the reply up on the network (by idempotency key, or our text in the thread).
    /// Returns Sent when found, Failed when certainly absent, Unknown when the network cannot tell (then an agent decides).
    /// </summary>
    public abstract Task<SendOutcome> ReconcileAsync(OutboundReply reply, CancellationToken ct);
}
