namespace Switchboard.Posts;

/// <summary>
/// One message as Switchboard receives it, whatever the channel: the Switchboard post format
/// (docs/post-format.md). <see cref="Id"/> is the channel's own id, so (Channel, Id) is the natural
/// key that makes every ingest idempotent.
/// </summary>
public sealed record Post(
    string Id,
    string Channel,
    string Text,
    DateTimeOffset? CreatedAt = null,
    Author? Author = null,
    string? Lang = null,
    string? Url = null,
    string? InReplyTo = null,
    bool Outgoing = false);

/// <summary>Who wrote a post, as far as the channel tells us.</summary>
public sealed record Author(
    string? Id = null,
    string? Handle = null,
    string? Name = null,
    long? Followers = null,
    bool? Verified = null);
