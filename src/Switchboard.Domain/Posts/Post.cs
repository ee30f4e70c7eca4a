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
    bool Outgoing = false)
{
    /// <summary>
    /// This post with U+0000 replaced by U+FFFD in every text field. PostgreSQL's text type cannot hold U+0000: the
    /// insert fails and, in a group commit, takes every other post of the batch with it (a poison message). Replacing
    /// rather than removing keeps ids that differ only there distinct, and never leaves an empty id; doing it the same
    /// way every time keeps (Channel, Id) stable for dedupe, on SQLite too.
    /// </summary>
    public Post Storable()
    {
        if (!HasNul(Id) && !HasNul(Channel) && !HasNul(Text) && !HasNul(Lang) && !HasNul(Url) && !HasNul(InReplyTo)
            && (Author is null || (!HasNul(Author.Id) && !HasNul(Author.Handle) && !HasNul(Author.Name))))
            return this;
        return this with
        {
            Id = Strip(Id)!,
            Channel = Strip(Channel)!,
            Text = Strip(Text)!,
            Lang = Strip(Lang),
            Url = Strip(Url),
            InReplyTo = Strip(InReplyTo),
            Author = Author is null ? null : Author with { Id = Strip(Author.Id), Handle = Strip(Author.Handle), Name = Strip(Author.Name) },
        };
    }

    static bool HasNul(string? s) => s is not null && s.Contains('\0', StringComparison.Ordinal);

    static string? Strip(string? s) => HasNul(s) ? s!.Replace('\0', '\uFFFD') : s;
}

/// <summary>Who wrote a post, as far as the channel tells us.</summary>
public sealed record Author(
    string? Id = null,
    string? Handle = null,
    string? Name = null,
    long? Followers = null,
    bool? Verified = null);
