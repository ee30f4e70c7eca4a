using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Switchboard.Channels.Feeds;

/// <summary>
/// Turns a text construct (RSS description, Atom text/html/xhtml content, Atom 0.3 escaped/base64/xml modes) into one
/// string. HTML stays HTML: it is stored as the feed sent it and sanitized by the host at render time, so a sanitizer
/// fix applies to stored history too. Relative URLs inside HTML are resolved here, because the base is only known now.
/// </summary>
internal static partial class FeedMarkup
{
    private static readonly HashSet<string> VoidElements = new(StringComparer.OrdinalIgnoreCase)
    {
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr",
    };

    public static string Text(XElement element, FeedContext context, bool htmlByDefault = false, bool atom10 = false)
    {
        var type = ((string?)element.Attribute("type"))?.Trim().ToLowerInvariant();
        var mode = ((string?)element.Attribute("mode"))?.Trim().ToLowerInvariant();
        bool xhtml = type is "xhtml" or "application/xhtml+xml";
        string value;
        if (mode == "base64" || IsBinaryMediaType(type))
            value = DecodeBase64(element.Value);
        else if (xhtml || mode == "xml" || element.HasElements)
            value = Serialize(atom10 || Unwrap(type, mode) ? UnwrapDiv(element) : element.Nodes());
        else
            value = element.Value;
        value = value.Trim();
        bool html = xhtml || type is "html" or "text/html" || mode is "escaped" || (type is null && htmlByDefault) || element.HasElements;
        if (html && value.Contains('<', StringComparison.Ordinal) && context.BaseOf(element) is { } baseUri)
            value = ResolveUrls(value, baseUri);
        return value;
    }

    private static string DecodeBase64(string text)
    {
        try
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(text.Trim()));
        }
        catch (FormatException)
        {
            return text; // not base64 after all; show what was sent
        }
    }

    // Atom 1.0 §3.1.1.3: type="xhtml" content is wrapped in one xhtml div that is not part of the content.
    // Atom 0.3 mode="xml" has no such rule, so its div is content and stays.
    private static bool Unwrap(string? type, string? mode) =>
        mode is null && type is not null && (type == "xhtml" || type.EndsWith("/xml", StringComparison.Ordinal) || type.EndsWith("+xml", StringComparison.Ordinal));

    private static IEnumerable<XNode> UnwrapDiv(XElement element)
    {
        var elements = element.Elements().ToList();
        var onlyDiv = elements.Count == 1 && elements[0].Name.LocalName == "div"
            && element.Nodes().OfType<XText>().All(t => string.IsNullOrWhiteSpace(t.Value));
        return onlyDiv ? elements[0].Nodes() : element.Nodes();
    }

    // Atom 1.0 §4.1.3.3: a MIME type that is neither text/*, XML nor (x)html is base64-encoded.
    private static bool IsBinaryMediaType(string? type) =>
        type is not null && type.Contains('/', StringComparison.Ordinal) && !type.StartsWith("text/", StringComparison.Ordinal)
        && !type.EndsWith("+xml", StringComparison.Ordinal) && !type.EndsWith("/xml", StringComparison.Ordinal)
        && type is not "application/xhtml+xml";

    /// <summary>Serializes inline XML as HTML text: no namespace declarations or prefixes, void elements self-closed.</summary>
    public static string Serialize(IEnumerable<XNode> nodes)
    {
        var sb = new StringBuilder();
        foreach (var node in nodes)
            Write(node, sb);
        return sb.ToString();
    }

    private static void Write(XNode node, StringBuilder sb)
    {
        switch (node)
        {
            case XText text:
                Escape(text.Value, sb, attribute: false);
                break;
            case XElement element:
                var name = element.Name.LocalName;
                sb.Append('<').Append(name);
                // Attributes sorted by name (feedparser's order); xhtml namespace declarations dropped, foreign ones (SVG, MathML, XLink) kept.
                var attributes = new List<(string Name, string Value)>();
                var elementNs = element.Name.NamespaceName;
                // A foreign vocabulary (SVG, MathML) declares its namespace where it starts, so the HTML stays meaningful.
                if (elementNs is not ("" or FeedNames.Xhtml or FeedNames.Atom10 or FeedNames.Atom03)
                    && element.Parent?.Name.NamespaceName != elementNs)
                    attributes.Add(("xmlns", elementNs));
                foreach (var attribute in element.Attributes())
                {
                    if (attribute.IsNamespaceDeclaration)
                    {
                        if (attribute.Value is FeedNames.Xhtml or FeedNames.Atom10 or FeedNames.Atom03)
                            continue;
                        var declared = attribute.Name.LocalName == "xmlns" ? "xmlns" : "xmlns:" + attribute.Name.LocalName;
                        if (!attributes.Any(a => a.Name == declared) && declared != "xmlns" || attribute.Value == elementNs && !attributes.Any(a => a.Name == "xmlns"))
                            attributes.Add((declared, attribute.Value));
                        continue;
                    }
                    var ns = attribute.Name.Namespace;
                    var prefix = ns == XNamespace.None ? null : ns == XNamespace.Xml ? "xml" : element.GetPrefixOfNamespace(ns);
                    attributes.Add((prefix is null ? attribute.Name.LocalName : prefix + ":" + attribute.Name.LocalName, attribute.Value));
                    if (prefix is not null and not "xml" && !attributes.Any(a => a.Name == "xmlns:" + prefix))
                        attributes.Add(("xmlns:" + prefix, ns.NamespaceName));
                }
                foreach (var (attributeName, attributeValue) in attributes.OrderBy(a => a.Name, StringComparer.Ordinal))
                {
                    sb.Append(' ').Append(attributeName).Append("=\"");
                    Escape(attributeValue, sb, attribute: true);
                    sb.Append('"');
                }
                if (!element.Nodes().Any() && VoidElements.Contains(name))
                {
                    sb.Append(" />");
                    break;
                }
                sb.Append('>');
                foreach (var child in element.Nodes())
                    Write(child, sb);
                sb.Append("</").Append(name).Append('>');
                break;
        }
    }

    private static void Escape(string value, StringBuilder sb, bool attribute)
    {
        foreach (var c in value)
        {
            switch (c)
            {
                case '&': sb.Append("&amp;"); break;
                case '<': sb.Append("&lt;"); break;
                case '>': sb.Append("&gt;"); break;
                case '"' when attribute: sb.Append("&quot;"); break;
                default: sb.Append(c); break;
            }
        }
    }

    /// <summary>Rewrites relative URL attributes (href, src, cite…) inside HTML tags against <paramref name="baseUri"/>; everything else is left byte for byte.</summary>
    public static string ResolveUrls(string html, Uri baseUri) =>
        TagPattern().Replace(html, tag => UrlAttributePattern().Replace(tag.Value, attribute =>
        {
            var quote = attribute.Groups["q"].Value;
            var url = attribute.Groups["v"].Value;
            if (FeedContext.HasScheme(url.Trim()) || url.StartsWith('#') || !Uri.TryCreate(baseUri, url.Trim(), out var resolved))
                return attribute.Value;
            return attribute.Groups["pre"].Value + quote + resolved.AbsoluteUri + quote;
        }));

    [GeneratedRegex(@"<[A-Za-z][^<>]*>", RegexOptions.CultureInvariant)]
    private static partial Regex TagPattern();

    [GeneratedRegex(@"(?<pre>\s(?:href|src|cite|background|action|longdesc|codebase|data|usemap|profile|poster|classid)\s*=\s*)(?:(?<q>"")(?<v>[^""]*)""|(?<q>')(?<v>[^']*)'|(?<v>[^\s>""']+))", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex UrlAttributePattern();
}
