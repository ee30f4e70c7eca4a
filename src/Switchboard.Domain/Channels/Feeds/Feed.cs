namespace Switchboard.Channels.Feeds;

/// <summary>Which dialect a document was read as; the parser accepts all of them through one model.</summary>
internal enum FeedFormat
{
    Rss090,
    Rss091,
    Rss092,
    Rss093,
    Rss094,
    Rss20,
    /// <summary>An <c>&lt;rss&gt;</c> root without a version attribute.</summary>
    Rss,
    /// <summary>RSS 1.0 (RDF).</summary>
    Rss10,
    Atom03,
    Atom10,
    /// <summary>Microsoft's Channel Definition Format.</summary>
    Cdf,
}

/// <summary>A link element: Atom <c>&lt;link&gt;</c>, an RSS <c>&lt;link&gt;</c> (rel alternate) or an enclosure.</summary>
internal sealed record FeedLink(string Href, string Rel = "alternate", string? Type = null, string? Title = null);

/// <summary>
/// What Switchboard reads from a feed document. Values are as the feed gives them after XML decoding: HTML stays
/// HTML text (the host sanitizes before rendering), URLs are resolved against xml:base and the document URI.
/// </summary>
internal sealed record Feed(
    FeedFormat Format,
    string? Title,
    string? Link,
    string? Id,
    DateTimeOffset? Updated,
    IReadOnlyList<FeedLink> Links,
    IReadOnlyList<FeedEntry> Entries);

/// <summary>One item/entry. Raw date texts are kept beside the parsed values so a manager can see what the feed said.</summary>
internal sealed record FeedEntry
{
    public string? Id { get; init; }
    /// <summary>False when an RSS guid says <c>isPermaLink="false"</c>; the guid is then not a URL to show.</summary>
    public bool GuidIsPermaLink { get; init; }
    public string? Title { get; init; }
    public string? Link { get; init; }
    public IReadOnlyList<FeedLink> Links { get; init; } = [];
    public DateTimeOffset? Published { get; init; }
    public string? PublishedText { get; init; }
    public DateTimeOffset? Updated { get; init; }
    public string? UpdatedText { get; init; }
    /// <summary>Display form, as feed readers show it: "Name (email)" when both are known.</summary>
    public string? Author { get; init; }
    public string? AuthorName { get; init; }
    public string? AuthorEmail { get; init; }
    public string? AuthorUri { get; init; }
    /// <summary>Full content (content:encoded, Atom content); falls back to the summary when absent.</summary>
    public string? Content { get; init; }
    /// <summary>Summary/description; falls back to the content when absent, as feedparser does.</summary>
    public string? Summary { get; init; }
    /// <summary>RSS <c>&lt;comments&gt;</c>: the page where comments are read.</summary>
    public string? Comments { get; init; }
    /// <summary><c>wfw:commentRss</c>: a feed of this entry's comments (WordPress and others), polled to thread comments under the article.</summary>
    public string? CommentsFeed { get; init; }
    /// <summary><c>wfw:comment</c>: the comment API endpoint.</summary>
    public string? CommentApi { get; init; }
    /// <summary>Atom <c>thr:in-reply-to</c> ref, set on entries of comment feeds.</summary>
    public string? InReplyTo { get; init; }

    /// <summary>
    /// The natural key that makes polling idempotent: the guid/id when the feed gives one, otherwise the link plus a
    /// hash of title and content (feeds without guids re-publish the same link with edited text as the same item
    /// only when the text is unchanged; an edit is a new delivery, which dedupe downstream threads by link).
    /// </summary>
    public string DedupeKey => FeedEntryKey.For(this);
}
