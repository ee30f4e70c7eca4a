using Switchboard.Channels.Html;
using Switchboard.Posts;

namespace Switchboard.Channels.Feeds;

/// <summary>Feed entries as Switchboard posts.</summary>
internal static class FeedPosts
{
    /// <summary>
    /// <paramref name="channel"/> names the feed (e.g. "rss:" + feed URL) and <see cref="FeedEntry.DedupeKey"/> is the id,
    /// so (channel, id) stays the natural key. For an entry read from an article's comment feed (wfw:commentRss),
    /// pass the article's post id as <paramref name="parentPostId"/>: the comment threads under the article.
    /// </summary>
    public static Post ToPost(FeedEntry entry, string channel, string? parentPostId = null)
    {
        var body = HtmlSanitizer.ToText(entry.Content ?? entry.Summary);
        var title = entry.Title is null ? null : HtmlSanitizer.ToText(entry.Title);
        // Comment entries repeat "Re: article" as their title; articles lead with their title.
        var text = parentPostId is null && !string.IsNullOrEmpty(title) && !body.StartsWith(title, StringComparison.Ordinal)
            ? (body.Length > 0 ? title + "\n\n" + body : title)
            : (body.Length > 0 ? body : title ?? "");
        var author = entry.AuthorName ?? entry.Author;
        // Blog commenters often have a name and nothing else (dc:creator, or an Atom author without email or uri). The
        // name is then their key within this feed: without a key the author was not stored and showed as "unknown".
        var key = entry.AuthorUri ?? entry.AuthorEmail ?? (string.IsNullOrWhiteSpace(author) ? null : "name:" + author.Trim());
        return new Post(
            Id: entry.DedupeKey,
            Channel: channel,
            Text: text,
            CreatedAt: entry.Published ?? entry.Updated,
            Author: key is null ? null : new Author(Id: key, Name: author),
            Url: entry.Link,
            InReplyTo: parentPostId ?? entry.InReplyTo);
    }
}
