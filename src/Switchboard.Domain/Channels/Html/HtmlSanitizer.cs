using System.Text;
using AngleSharp.Dom;
using AngleSharp.Html.Parser;

namespace Switchboard.Channels.Html;

/// <summary>
/// Allow-list HTML sanitizer and HTML-to-text for content Switchboard did not write (Mastodon <c>content</c>, RSS
/// descriptions). HTML is parsed by a real HTML5 parser (AngleSharp, which loads no resources), then rebuilt: allowed
/// elements keep only allowed attributes, links keep only http(s)/mailto targets and get rel="nofollow noopener
/// noreferrer", dangerous containers (script, style, iframe, object, svg, math, template…) are dropped with their
/// content, and any other element is unwrapped (its text kept). Output is re-serialized, never copied, so malformed
/// markup cannot smuggle anything past the allow-list. Render it under a strict CSP as a second line of defence.
/// </summary>
internal static partial class HtmlSanitizer
{
    private static readonly HtmlParser Parser = new(new HtmlParserOptions { IsScripting = false });

    private static readonly HashSet<string> AllowedElements = new(StringComparer.OrdinalIgnoreCase)
    {
        "p", "br", "a", "span", "strong", "b", "em", "i", "u", "s", "del", "code", "pre", "blockquote",
        "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6", "sub", "sup", "abbr", "hr", "img",
    };

    private static readonly HashSet<string> DroppedWithContent = new(StringComparer.OrdinalIgnoreCase)
    {
        "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet", "template", "noscript", "noembed",
        "svg", "math", "form", "input", "button", "select", "textarea", "head", "title", "meta", "link", "base", "xmp", "plaintext",
    };

    // Mastodon marks up mentions, hashtags and shortened links with these classes; nothing else is kept.
    private static readonly HashSet<string> AllowedClasses = new(StringComparer.Ordinal)
    {
        "mention", "hashtag", "u-url", "h-card", "invisible", "ellipsis", "quote-inline",
    };

    private static readonly HashSet<string> VoidElements = new(StringComparer.OrdinalIgnoreCase) { "br", "hr", "img" };

    /// <summary>
    /// Longer input is cut before parsing: HTML5 tree building is superlinear on pathological nesting, and no post or
    /// feed entry Switchboard shows needs more (Mastodon's default limit is 500 characters).
    /// </summary>
    public const int MaxInputChars = 256 * 1024;

    public static string Sanitize(string? html)
    {
        if (string.IsNullOrEmpty(html))
            return "";
        if (html.Length > MaxInputChars)
            html = html[..MaxInputChars];
        var sb = new StringBuilder(html.Length);
        if (ApproximateDepth(html) > MaxDepth)
        {
            Escape(StripTags(html), sb, attribute: false);
            return sb.ToString();
        }
        var document = Parser.ParseDocument("<!doctype html><body></body>");
        var nodes = Parser.ParseFragment(html, document.Body!);
        foreach (var node in nodes)
            WriteSanitized(node, sb, depth: 0);
        return sb.ToString();
    }

    /// <summary>Plain text for matching and previews: paragraphs separated by blank lines, &lt;br&gt; as newlines, links as their text.</summary>
    public static string ToText(string? html)
    {
        if (string.IsNullOrEmpty(html))
            return "";
        if (html.Length > MaxInputChars)
            html = html[..MaxInputChars];
        if (ApproximateDepth(html) > MaxDepth)
            return StripTags(html).Trim();
        var document = Parser.ParseDocument("<!doctype html><body></body>");
        var nodes = Parser.ParseFragment(html, document.Body!);
        var sb = new StringBuilder(html.Length);
        foreach (var node in nodes)
            WriteText(node, sb, depth: 0);
        return CollapseBlankLines(sb.ToString()).Trim();
    }

    private const int MaxDepth = 200; // deeper nesting is flattened: its text survives, its structure does not

    private static void WriteSanitized(INode node, StringBuilder sb, int depth)
    {
        switch (node)
        {
            case IText text:
                Escape(text.Data, sb, attribute: false);
                return;
            case IElement element:
                var name = element.LocalName;
                if (DroppedWithContent.Contains(name))
                    return;
                if (depth >= MaxDepth)
                {
                    Escape(FlatText(element), sb, attribute: false);
                    return;
                }
                bool keep = AllowedElements.Contains(name) && (name != "img" || SafeImage(element) is not null);
                if (keep)
                {
                    sb.Append('<').Append(name);
                    WriteAttributes(element, sb);
                    sb.Append('>');
                    if (VoidElements.Contains(name))
                        return;
                }
                foreach (var child in element.ChildNodes)
                    WriteSanitized(child, sb, depth + 1);
                if (keep)
                    sb.Append("</").Append(name).Append('>');
                return;
            default:
                return; // comments, processing instructions, doctype
        }
    }

    private static void WriteAttributes(IElement element, StringBuilder sb)
    {
        switch (element.LocalName)
        {
            case "a":
                if (SafeUrl(element.GetAttribute("href"), allowMailto: true) is { } href)
                {
                    Attribute(sb, "href", href);
                    Attribute(sb, "rel", "nofollow noopener noreferrer");
                    Attribute(sb, "target", "_blank");
                }
                break;
            case "img":
                Attribute(sb, "src", SafeImage(element)!);
                if (element.GetAttribute("alt") is { } alt)
                    Attribute(sb, "alt", alt);
                break;
            case "abbr" when element.GetAttribute("title") is { } title:
                Attribute(sb, "title", title);
                break;
        }
        if (element.GetAttribute("class") is { } classes)
        {
            var kept = classes.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(AllowedClasses.Contains).ToList();
            if (kept.Count > 0)
                Attribute(sb, "class", string.Join(' ', kept));
        }
    }

    private static string? SafeImage(IElement img) => SafeUrl(img.GetAttribute("src"), allowMailto: false);

    /// <summary>Only absolute http(s) (and mailto for links); javascript:, data:, vbscript:, protocol-relative and relative URLs are dropped.</summary>
    public static string? SafeUrl(string? url, bool allowMailto)
    {
        if (string.IsNullOrWhiteSpace(url))
            return null;
        var trimmed = url.Trim();
        if (!Uri.TryCreate(trimmed, UriKind.Absolute, out var uri))
            return null;
        return uri.Scheme is "http" or "https" || (allowMailto && uri.Scheme == "mailto") ? uri.AbsoluteUri : null;
    }

    private static void Attribute(StringBuilder sb, string name, string value)
    {
        sb.Append(' ').Append(name).Append("=\"");
        Escape(value, sb, attribute: true);
        sb.Append('"');
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
                case '\'' when attribute: sb.Append("&#39;"); break;
                default: sb.Append(c); break;
            }
        }
    }

    private static void WriteText(INode node, StringBuilder sb, int depth)
    {
        switch (node)
        {
            case IText text:
                sb.Append(text.Data);
                return;
            case IElement element:
                var name = element.LocalName;
                if (DroppedWithContent.Contains(name))
                    return;
                if (depth >= MaxDepth)
                {
                    sb.Append(FlatText(element));
                    return;
                }
                if (name == "br")
                {
                    sb.Append('\n');
                    return;
                }
                bool block = name is "p" or "div" or "blockquote" or "pre" or "li" or "ul" or "ol" or "h1" or "h2" or "h3" or "h4" or "h5" or "h6" or "hr";
                if (block)
                    sb.Append("\n\n");
                foreach (var child in element.ChildNodes)
                    WriteText(child, sb, depth + 1);
                if (block)
                    sb.Append("\n\n");
                return;
        }
    }

    /// <summary>
    /// Upper bound of the element nesting a parser would build (start tags minus end tags, void and self-closed tags
    /// excluded). HTML5 tree building checks the stack of open elements on every tag, so thousands of nested elements
    /// cost quadratic time; such input (never legitimate in a post) is reduced to its text instead of parsed.
    /// </summary>
    internal static int ApproximateDepth(string html)
    {
        int depth = 0, max = 0;
        for (int i = html.IndexOf('<', StringComparison.Ordinal); i >= 0 && i < html.Length - 1; i = html.IndexOf('<', i + 1))
        {
            var next = html[i + 1];
            if (next == '/')
            {
                depth = Math.Max(0, depth - 1);
                continue;
            }
            if (!char.IsAsciiLetter(next))
                continue;
            int end = i + 1;
            while (end < html.Length && char.IsAsciiLetterOrDigit(html[end]))
                end++;
            var close = html.IndexOf('>', end);
            bool selfClosed = close > 0 && html[close - 1] == '/';
            if (!selfClosed && !VoidElements.Contains(html[(i + 1)..end]) && html[(i + 1)..end] is not ("input" or "meta" or "link" or "col" or "wbr" or "source" or "param" or "area" or "base" or "embed" or "track"))
                max = Math.Max(max, ++depth);
        }
        return max;
    }

    private static string StripTags(string html) => System.Net.WebUtility.HtmlDecode(TagPattern().Replace(html, " "));

    [System.Text.RegularExpressions.GeneratedRegex("<[^>]*>?", System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex TagPattern();

    /// <summary>The text under a too-deeply nested element, gathered without recursion (so no stack overflow), dropped containers excluded.</summary>
    private static string FlatText(IElement root)
    {
        var sb = new StringBuilder();
        var stack = new Stack<INode>();
        stack.Push(root);
        while (stack.Count > 0)
        {
            var node = stack.Pop();
            if (node is IText text)
            {
                sb.Append(text.Data);
                continue;
            }
            if (node is IElement e && DroppedWithContent.Contains(e.LocalName))
                continue;
            for (int i = node.ChildNodes.Length - 1; i >= 0; i--)
                stack.Push(node.ChildNodes[i]);
        }
        return sb.ToString();
    }

    private static string CollapseBlankLines(string text)
    {
        var sb = new StringBuilder(text.Length);
        int newlines = 0;
        foreach (var c in text)
        {
            if (c == '\n')
            {
                if (++newlines <= 2)
                    sb.Append(c);
                continue;
            }
            newlines = 0;
            sb.Append(c);
        }
        return sb.ToString();
    }
}
