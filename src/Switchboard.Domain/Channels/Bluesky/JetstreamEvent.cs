using Switchboard.Posts;

namespace Switchboard.Channels.Bluesky;

internal enum JetstreamEventKind
{
    PostCreated,
    /// <summary>An edit: the record replaces the stored text of the same at:// URI.</summary>
    PostUpdated,
    PostDeleted,
    /// <summary>Handle or DID document change: refresh the author's handle.</summary>
    Identity,
    /// <summary>Account activated/deactivated/taken down: hide or show the author's posts.</summary>
    Account,
    /// <summary>Any other collection (likes, reposts, follows…): skipped without decoding its record.</summary>
    Ignored,
}

/// <summary>
/// One Jetstream event. <see cref="TimeUs"/> is Jetstream's cursor (microseconds since the Unix epoch); the consumer
/// saves it only after the event's effect is committed and resumes from it (see <see cref="JetstreamCursor"/>).
/// </summary>
internal sealed record JetstreamEvent(
    JetstreamEventKind Kind,
    string Did,
    long TimeUs,
    string? Collection = null,
    string? Rkey = null,
    string? Cid = null,
    BlueskyPost? Post = null,
    string? Handle = null,
    bool? Active = null,
    string? Status = null)
{
    /// <summary>at://did/collection/rkey: the record's identity, and the natural key for dedupe.</summary>
    public string? AtUri => Collection is null || Rkey is null ? null : $"at://{Did}/{Collection}/{Rkey}";
}

/// <summary>An <c>app.bsky.feed.post</c> record as Switchboard keeps it.</summary>
internal sealed record BlueskyPost(
    string Uri,
    string Did,
    string Rkey,
    string Text,
    DateTimeOffset? CreatedAt,
    IReadOnlyList<string> Langs,
    string? ReplyRoot,
    string? ReplyParent,
    string? Cid = null,
    string? ReplyRootCid = null)
{
    /// <summary>The shared post shape: id is the at:// URI, threading by the reply parent (the root is kept for whole-thread views).</summary>
    public Post ToPost() => new(
        Id: Uri,
        Channel: "bluesky",
        Text: Text,
        CreatedAt: CreatedAt,
        Author: new Author(Id: Did),
        Lang: Langs.Count > 0 ? Langs[0] : null,
        Url: $"https://bsky.app/profile/{Did}/post/{Rkey}",
        InReplyTo: ReplyParent);
}

/// <summary>A parse failure with the byte offset the JSON reader reached.</summary>
internal sealed record JetstreamParseResult(JetstreamEvent? Event, string? Error, long BytePosition = 0)
{
    public bool Ok => Event is not null;
}
