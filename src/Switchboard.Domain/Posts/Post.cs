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
    /// This post with U+0000 and unpaired UTF-16 surrogates replaced by U+FFFD in every text field. PostgreSQL's text
    /// type cannot hold U+0000, and a lone surrogate (a JSON "\ud800" escape) has no UTF-8 form at all: either made the
    /// insert fail and, in a group commit, took every other post of the batch with it (a poison message). Replacing
    /// rather than removing keeps ids that differ only there distinct and never leaves an empty id; doing it the same
    /// way every time keeps (Channel, Id) stable for dedupe.
    /// </summary>
    /// <remarks>
    /// Keys are also bounded: a channel longer than <see cref="MaxChannelLength"/> or an id, reply id, author id or
    /// handle longer than <see cref="MaxKeyLength"/> (a connector's RSS channel is "rss:" + the feed URL, its ids can be
    /// links) becomes its start plus a SHA-256 of the whole. PostgreSQL cannot index a key of more than about 2.7 KB,
    /// so an unbounded one failed its batch like a NUL did; the digest keeps long keys distinct and stable.
    /// </remarks>
    public Post Storable()
    {
        // Scrub and Key return their argument when there is nothing to change, so a clean post compares equal.
        var next = this with
        {
            Id = Key(Scrub(Id), MaxKeyLength)!,
            Channel = Key(Scrub(Channel), MaxChannelLength)!,
            Text = Scrub(Text)!,
            Lang = Scrub(Lang),
            Url = Scrub(Url),
            InReplyTo = Key(Scrub(InReplyTo), MaxKeyLength),
            Author = Author is null ? null : Author with
            {
                Id = Key(Scrub(Author.Id), MaxKeyLength),
                Handle = Key(Scrub(Author.Handle), MaxKeyLength),
                Name = Scrub(Author.Name),
            },
        };
        return next == this ? this : next;
    }

    public const int MaxChannelLength = 200;
    public const int MaxKeyLength = 512;

    static string? Key(string? s, int max)
    {
        if (s is null || s.Length <= max)
            return s;
        var digest = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(s)));
        var keep = max - digest.Length - 1;
        // Never cut a surrogate pair in half.
        if (char.IsHighSurrogate(s[keep - 1]))
            keep--;
        return s[..keep] + "~" + digest;
    }

    static bool Clean(string? s)
    {
        if (s is null)
            return true;
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (c == '\0')
                return false;
            if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
                i++;
            else if (char.IsSurrogate(c))
                return false;
        }
        return true;
    }

    static string? Scrub(string? s)
    {
        if (Clean(s))
            return s;
        var chars = s!.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (char.IsHighSurrogate(chars[i]) && i + 1 < chars.Length && char.IsLowSurrogate(chars[i + 1]))
                i++;
            else if (chars[i] == '\0' || char.IsSurrogate(chars[i]))
                chars[i] = '\uFFFD';
        }
        return new string(chars);
    }
}

/// <summary>Who wrote a post, as far as the channel tells us.</summary>
public sealed record Author(
    string? Id = null,
    string? Handle = null,
    string? Name = null,
    long? Followers = null,
    bool? Verified = null);
