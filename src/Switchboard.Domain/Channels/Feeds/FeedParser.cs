using System.Text;
using System.Text.RegularExpressions;
using System.Xml;
using System.Xml.Linq;

namespace Switchboard.Channels.Feeds;

/// <summary>Limits and context for one parse. <see cref="DocumentUri"/> is the URL fetched (or the Content-Location it answered with): relative links resolve against it.</summary>
internal sealed record FeedParseOptions
{
    /// <summary>Documents larger than this are refused before they are fully read (a 100 MB "feed" is an attack, not news).</summary>
    public long MaxBytes { get; init; } = 8 * 1024 * 1024;
    public int MaxEntries { get; init; } = 5_000;
    public Uri? DocumentUri { get; init; }
}

/// <summary>Why a document could not be read, with the XML position when the XML reader knows it (1-based; 0 when unknown).</summary>
internal sealed record FeedError(string Reason, int Line = 0, int Column = 0)
{
    public override string ToString() => Line > 0 ? $"line {Line}, column {Column}: {Reason}" : Reason;
}

/// <summary>Exactly one of <see cref="Feed"/> and <see cref="Error"/> is set.</summary>
internal sealed record FeedParseResult(Feed? Feed, FeedError? Error)
{
    public static FeedParseResult Fail(string reason, int line = 0, int column = 0) => new(null, new FeedError(reason, line, column));
}

/// <summary>
/// Reads RSS 0.9x/1.0 (RDF)/2.0, Atom 0.3/1.0 and CDF into one <see cref="Feed"/> model. XML is read with DTDs ignored,
/// no resolver (so no external entity or schema is ever fetched), a character cap and a byte cap: a hostile feed costs
/// bounded memory and time and causes no network access. Semantics follow feedparser where Switchboard stores the field
/// (docs/feed-corpus.md measures how closely): last value wins, a second summary-like element is content, a permalink
/// guid is the link when there is none, relative URLs resolve against xml:base and the document URI.
/// </summary>
internal static partial class FeedParser
{
    [GeneratedRegex(@"\s*Line \d+, position \d+\.$")]
    private static partial Regex TrailingPosition();

    static FeedParser() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance); // windows-1252 and friends are common in old feeds

    public static FeedParseResult Parse(string xml, FeedParseOptions? options = null)
    {
        options ??= new FeedParseOptions();
        if (xml.Length > options.MaxBytes)
            return FeedParseResult.Fail($"feed is larger than the limit of {options.MaxBytes} bytes");
        using var reader = new StringReader(xml);
        return Load(() => XmlReader.Create(reader, Settings(options)), options);
    }

    public static FeedParseResult Parse(Stream stream, FeedParseOptions? options = null)
    {
        options ??= new FeedParseOptions();
        using var bounded = new BoundedReadStream(stream, options.MaxBytes);
        return Load(() => XmlReader.Create(bounded, Settings(options)), options);
    }

    private static XmlReaderSettings Settings(FeedParseOptions options) => new()
    {
        DtdProcessing = DtdProcessing.Ignore,
        XmlResolver = null,
        MaxCharactersInDocument = options.MaxBytes,
        MaxCharactersFromEntities = 1024,
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
        CloseInput = false,
    };

    private static FeedParseResult Load(Func<XmlReader> open, FeedParseOptions options)
    {
        XDocument document;
        try
        {
            using var reader = open();
            document = XDocument.Load(reader, LoadOptions.SetLineInfo);
        }
        catch (XmlException ex)
        {
            // The XML reader appends " Line 1, position 54." to its message; FeedError states the position already.
            return FeedParseResult.Fail(TrailingPosition().Replace(ex.Message, ""), ex.LineNumber, ex.LinePosition);
        }
        catch (FeedTooLargeException ex)
        {
            return FeedParseResult.Fail(ex.Message);
        }
        catch (DecoderFallbackException ex)
        {
            return FeedParseResult.Fail("invalid text encoding: " + ex.Message);
        }
        catch (ArgumentException ex)
        {
            // An encoding name the runtime does not know ("encoding=\"x-foo\"") surfaces as ArgumentException.
            return FeedParseResult.Fail("unsupported encoding: " + ex.Message);
        }
        return Read(document, options);
    }

    private static FeedParseResult Read(XDocument document, FeedParseOptions options)
    {
        var root = document.Root;
        if (root is null)
            return FeedParseResult.Fail("the document has no root element");
        var context = new FeedContext(options.DocumentUri, root.Name.NamespaceName);
        var local = root.Name.LocalName;
        XElement? channel;
        IEnumerable<XElement> items;
        FeedFormat format;
        switch (local)
        {
            case "rss":
                format = RssVersion((string?)root.Attribute("version"));
                channel = root.Elements().FirstOrDefault(e => context.Key(e) == "channel");
                items = (channel?.Elements() ?? []).Concat(root.Elements()).Where(e => context.Key(e) == "item");
                break;
            case "RDF":
                channel = root.Elements().FirstOrDefault(e => context.Key(e) == "channel");
                format = channel?.Name.NamespaceName == FeedNames.Rss090 ? FeedFormat.Rss090 : FeedFormat.Rss10;
                items = root.Elements().Concat(channel?.Elements() ?? []).Where(e => context.Key(e) == "item");
                break;
            case "feed":
                format = root.Name.NamespaceName == FeedNames.Atom10 ? FeedFormat.Atom10 : FeedFormat.Atom03;
                channel = root;
                items = root.Elements().Where(e => context.Key(e) == "entry");
                break;
            case "CHANNEL" or "channel":
                format = FeedFormat.Cdf;
                channel = root;
                items = root.Descendants().Where(e => context.Key(e) == "item");
                break;
            default:
                return FeedParseResult.Fail($"not a feed: the root element is <{root.Name.LocalName}>, expected <rss>, <rdf:RDF>, <feed> or <CHANNEL>", Line(root), Column(root));
        }

        var head = channel is null ? new FieldBag() : ReadFields(channel, context, format);
        var entries = new List<FeedEntry>();
        foreach (var item in items)
        {
            if (entries.Count == options.MaxEntries)
                break; // the newest entries come first in practice; the rest wait for the next poll or are gone
            entries.Add(ReadFields(item, context, format).ToEntry());
        }
        return new FeedParseResult(new Feed(format, head.Title, head.Link, head.Id, head.Updated, head.Links, entries), null);
    }

    private static FeedFormat RssVersion(string? version) => version?.Trim() switch
    {
        "0.90" => FeedFormat.Rss090,
        "0.91" => FeedFormat.Rss091,
        "0.92" => FeedFormat.Rss092,
        "0.93" => FeedFormat.Rss093,
        "0.94" => FeedFormat.Rss094,
        "2.0" or "2" or "2.0.1" or "2.01" => FeedFormat.Rss20,
        _ => FeedFormat.Rss,
    };

    private static FieldBag ReadFields(XElement container, FeedContext context, FeedFormat format)
    {
        var bag = new FieldBag();
        if (container.Attribute(XName.Get("about", "http://www.w3.org/1999/02/22-rdf-syntax-ns#")) is { } about && context.Key(container) == "item")
            bag.Id = about.Value.Trim(); // RSS 1.0: the item's rdf:about is its identity; a later <guid>/<id> still wins
        if (format == FeedFormat.Cdf)
        {
            if ((container.Attribute("HREF") ?? container.Attribute("href")) is { } href)
                bag.SetLink(context.Resolve(container, href.Value), null, null, "alternate");
            if ((container.Attribute("LASTMOD") ?? container.Attribute("lastmod"))?.Value is { } lastmod)
                bag.SetUpdated(lastmod);
        }
        foreach (var child in container.Elements())
        {
            switch (context.Key(child))
            {
                case "title" or "dc:title":
                    bag.Title = FeedMarkup.Text(child, context, atom10: format == FeedFormat.Atom10);
                    break;
                case "link":
                    ReadLink(child, context, bag);
                    break;
                case "enclosure" when child.Attribute("url") is { } url:
                    bag.Links.Add(new FeedLink(context.Resolve(child, url.Value), "enclosure", (string?)child.Attribute("type")));
                    break;
                case "guid":
                    bag.GuidIsPermaLink = !string.Equals(((string?)child.Attribute("isPermaLink"))?.Trim(), "false", StringComparison.OrdinalIgnoreCase);
                    bag.Id = bag.GuidIsPermaLink ? ResolveId(child, context) : child.Value.Trim();
                    bag.IdIsGuid = true;
                    break;
                case "id":
                    bag.Id = ResolveId(child, context);
                    bag.IdIsGuid = false;
                    break;
                case "pubdate" or "published" or "issued" or "dcterms:issued":
                    bag.SetPublished(child.Value);
                    break;
                case "updated" or "modified" or "dc:date" or "dcterms:modified" or "lastbuilddate":
                    bag.SetUpdated(child.Value);
                    break;
                case "author" or "dc:creator" or "dc:author" or "itunes:author" or "managingeditor":
                    ReadAuthor(child, context, bag);
                    break;
                case "description" or "summary" or "abstract" or "dc:description" or "itunes:summary":
                    // feedparser's rule: a second summary-like element is the full content (RSS feeds that carry both).
                    if (bag.Summary is null)
                        bag.Summary = FeedMarkup.Text(child, context, htmlByDefault: true, atom10: format == FeedFormat.Atom10);
                    else
                        bag.Content ??= FeedMarkup.Text(child, context, htmlByDefault: true, atom10: format == FeedFormat.Atom10);
                    break;
                case "content:encoded" or "content" or "xhtml:body" or "body" or "fullitem":
                    bag.Content = FeedMarkup.Text(child, context, htmlByDefault: context.Key(child) != "content" || format != FeedFormat.Atom10, atom10: format == FeedFormat.Atom10);
                    break;
                case "comments":
                    bag.Comments = context.Resolve(child, child.Value.Trim());
                    break;
                case "wfw:commentrss":
                    bag.CommentsFeed = context.Resolve(child, child.Value.Trim());
                    break;
                case "wfw:comment":
                    bag.CommentApi = context.Resolve(child, child.Value.Trim());
                    break;
                case "thr:in-reply-to" when child.Attribute("ref") is { } reference:
                    bag.InReplyTo = reference.Value.Trim();
                    break;
            }
        }
        return bag;
    }

    private static void ReadLink(XElement link, FeedContext context, FieldBag bag)
    {
        if (link.Attribute("href") is { } href)
        {
            var rel = ((string?)link.Attribute("rel"))?.Trim() is { Length: > 0 } r ? r : "alternate";
            var type = ((string?)link.Attribute("type"))?.Trim();
            type ??= rel == "self" ? "application/atom+xml" : "text/html";
            var url = context.Resolve(link, href.Value.Trim());
            bag.Links.Add(new FeedLink(url, rel, type, (string?)link.Attribute("title")));
            if (rel == "alternate" && type is "text/html" or "application/xhtml+xml" or "html" or "xhtml")
                bag.Link = url;
            return;
        }
        var text = link.Value.Trim();
        if (text.Length == 0)
            return;
        var resolved = context.Resolve(link, text);
        var textRel = ((string?)link.Attribute("rel"))?.Trim() is { Length: > 0 } given ? given : "alternate";
        if (textRel == "alternate")
            bag.SetLink(resolved, "text/html", null, "alternate");
        else
            bag.Links.Add(new FeedLink(resolved, textRel, (string?)link.Attribute("type")));
    }

    // Ids are opaque strings ("right", "tag:…", "Correct Value"); only a path-absolute one ("/2004/01/post") is a relative URL meant to be resolved.
    private static string ResolveId(XElement element, FeedContext context)
    {
        var id = element.Value.Trim();
        return id.StartsWith('/') ? context.Resolve(element, id) : id;
    }

    private static void ReadAuthor(XElement author, FeedContext context, FieldBag bag)
    {
        if (author.HasElements)
        {
            string? Child(string name) => author.Elements().FirstOrDefault(e => context.Key(e) == name)?.Value.Trim() is { Length: > 0 } v ? v : null;
            bag.AuthorName = Child("name");
            bag.AuthorEmail = Child("email");
            var uri = Child("uri") ?? Child("url");
            bag.AuthorUri = uri is null ? null : context.Resolve(author, uri);
            bag.Author = bag.AuthorName is { } n && bag.AuthorEmail is { } e ? $"{n} ({e})" : bag.AuthorName ?? bag.AuthorEmail;
            return;
        }
        var text = author.Value.Trim();
        if (text.Length == 0)
            return;
        bag.Author = text;
        (bag.AuthorName, bag.AuthorEmail) = FeedNames.SplitAuthor(text);
        bag.AuthorUri = null;
    }

    private static int Line(XElement e) => ((IXmlLineInfo)e).LineNumber;

    private static int Column(XElement e) => ((IXmlLineInfo)e).LinePosition;

    /// <summary>Mutable accumulator for one channel or entry while its children are read; last value wins, as in feedparser.</summary>
    private sealed class FieldBag
    {
        public string? Title, Link, Id, Author, AuthorName, AuthorEmail, AuthorUri, Content, Summary, Comments, CommentsFeed, CommentApi, InReplyTo;
        public string? PublishedText, UpdatedText;
        public DateTimeOffset? Published, Updated;
        public bool GuidIsPermaLink, IdIsGuid;
        public List<FeedLink> Links { get; } = [];

        public void SetLink(string url, string? type, string? title, string rel)
        {
            Link = url;
            Links.Add(new FeedLink(url, rel, type, title));
        }

        public void SetPublished(string text)
        {
            PublishedText = text.Trim();
            Published = FeedDates.Parse(PublishedText);
        }

        public void SetUpdated(string text)
        {
            UpdatedText = text.Trim();
            Updated = FeedDates.Parse(UpdatedText);
        }

        public FeedEntry ToEntry()
        {
            var link = Link;
            if (link is null && IdIsGuid && GuidIsPermaLink && !string.IsNullOrEmpty(Id))
                link = Id;
            return new FeedEntry
            {
                Id = string.IsNullOrEmpty(Id) ? null : Id,
                GuidIsPermaLink = IdIsGuid ? GuidIsPermaLink : false,
                Title = Title,
                Link = link,
                Links = Links,
                Published = Published,
                PublishedText = PublishedText,
                Updated = Updated,
                UpdatedText = UpdatedText,
                Author = Author,
                AuthorName = AuthorName,
                AuthorEmail = AuthorEmail,
                AuthorUri = AuthorUri,
                Content = Content,
                Summary = Summary ?? Content,
                Comments = Comments,
                CommentsFeed = CommentsFeed,
                CommentApi = CommentApi,
                InReplyTo = InReplyTo,
            };
        }
    }
}
