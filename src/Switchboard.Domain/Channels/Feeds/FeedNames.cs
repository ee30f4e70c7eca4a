using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Switchboard.Channels.Feeds;

/// <summary>
/// Element names as the parser matches them: the core vocabularies (RSS in any of its namespaces, Atom 0.3/1.0, CDF)
/// map to their lower-cased local name, known extensions to "prefix:name", anything else to "?:name" so that an
/// unknown namespace's &lt;title&gt; never overwrites the real one.
/// </summary>
internal static partial class FeedNames
{
    public const string Rss090 = "http://my.netscape.com/rdf/simple/0.9/";
    public const string Rss10 = "http://purl.org/rss/1.0/";
    public const string Atom03 = "http://purl.org/atom/ns#";
    public const string Atom10 = "http://www.w3.org/2005/Atom";
    public const string Xhtml = "http://www.w3.org/1999/xhtml";

    /// <param name="element">The element to name.</param>
    /// <param name="rootNamespace">The root element's namespace: a feed in a namespace we do not know (an Atom draft, a vendor fork) still has its own vocabulary read as core.</param>
    public static string Key(XElement element, string rootNamespace = "")
    {
        if (element.Name.NamespaceName.Length > 0 && element.Name.NamespaceName == rootNamespace)
            return element.Name.LocalName.ToLowerInvariant();
        var prefix = element.Name.NamespaceName switch
        {
            "" or Rss090 or Rss10 or Atom03 or Atom10 or "http://backend.userland.com/rss2" or "http://blogs.law.harvard.edu/tech/rss"
                or "http://backend.userland.com/rss" or "http://purl.org/net/rss1.1#" => "",
            "http://purl.org/dc/elements/1.1/" => "dc:",
            "http://purl.org/dc/terms/" => "dcterms:",
            "http://purl.org/rss/1.0/modules/content/" => "content:",
            "http://wellformedweb.org/CommentAPI/" => "wfw:",
            Xhtml => "xhtml:",
            "http://www.itunes.com/dtds/podcast-1.0.dtd" or "http://www.itunes.com/DTDs/Podcast-1.0.dtd" => "itunes:",
            "http://purl.org/syndication/thread/1.0" => "thr:",
            "http://www.w3.org/1999/02/22-rdf-syntax-ns#" => "rdf:",
            _ => "?:",
        };
        return prefix + element.Name.LocalName.ToLowerInvariant();
    }

    /// <summary>RSS author text comes as "me@example.com (Name)", "Name &lt;me@example.com&gt;" or just one of them.</summary>
    public static (string? Name, string? Email) SplitAuthor(string text)
    {
        var email = EmailPattern().Match(text);
        if (!email.Success)
            return (text, null);
        var rest = text.Remove(email.Index, email.Length).Replace("mailto:", "", StringComparison.OrdinalIgnoreCase);
        rest = rest.Trim().Trim('(', ')', '<', '>').Trim();
        return (rest.Length == 0 ? null : rest, email.Value);
    }

    [GeneratedRegex(@"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+", RegexOptions.CultureInvariant)]
    private static partial Regex EmailPattern();
}
