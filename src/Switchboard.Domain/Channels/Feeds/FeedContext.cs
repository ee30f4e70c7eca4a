using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Switchboard.Channels.Feeds;

/// <summary>Resolves relative URLs the way feed readers do: against the nearest xml:base in scope, itself resolved against the document URI.</summary>
internal sealed partial class FeedContext(Uri? documentUri, string rootNamespace = "")
{
    public string RootNamespace { get; } = rootNamespace;

    public string Key(XElement element) => FeedNames.Key(element, RootNamespace);

    public Uri? BaseOf(XElement element)
    {
        var chain = element.AncestorsAndSelf().Select(e => (string?)e.Attribute(XNamespace.Xml + "base")).Where(b => b is not null).Reverse();
        var current = documentUri;
        foreach (var value in chain)
        {
            var trimmed = value!.Trim();
            if (HasScheme(trimmed) && Uri.TryCreate(trimmed, UriKind.Absolute, out var absolute))
                current = absolute;
            else if (current is not null && Uri.TryCreate(current, trimmed, out var combined))
                current = combined;
        }
        return current;
    }

    public string Resolve(XElement element, string url)
    {
        if (HasScheme(url))
            return url; // absolute: kept exactly as written
        var baseUri = BaseOf(element);
        // ToString, not AbsoluteUri: IRIs (non-ASCII hosts and paths) stay readable; HttpClient re-escapes when fetching.
        return baseUri is not null && Uri.TryCreate(baseUri, url, out var resolved) ? resolved.ToString() : url;
    }

    // Uri.TryCreate("/x", UriKind.Absolute) succeeds on Unix (as file:///x), so "absolute" is decided by the scheme syntax.
    public static bool HasScheme(string url) => SchemePattern().IsMatch(url);

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9+.\-]*:", RegexOptions.CultureInvariant)]
    private static partial Regex SchemePattern();
}
