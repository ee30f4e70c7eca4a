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
internal static class HtmlSanitizer
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

    public static string Sanitize(string? html)
    {
        if (string.IsNullOrEmpty(html))
            return "";
        var document = Parser.ParseDocument("<!doctype html><body></body>");
        var nodes = Parser.ParseFragment(html, document.Body!);
        var sb = new StringBuilder(html.Length);
        foreach (var node in nodes)
            WriteSanitized(node, sb, depth: 0);
        return sb.ToString();
    }

    /// <summary>Plain text for matching and previews: paragraphs separated by blank lines, &lt;br&gt; as newlines, links as their text.</summary>
    public static string ToText(string? html)
    {
        if (string.IsNullOrEmpty(html))
            return "";
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
                bool keep = AllowedElements.Contains(name) && depth < MaxDepth && (name != "img" || SafeImage(element) is not null);
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
                if (DroppedWithContent.Contains(name) || depth > MaxDepth)
                    return;
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
