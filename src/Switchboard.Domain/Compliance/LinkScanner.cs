using System.Globalization;
using System.Text.RegularExpressions;

namespace Switchboard.Compliance;

/// <summary>A link in a reply: its span, the host it really points to (punycode, lower case), or null when unparsable.</summary>
internal sealed record LinkMatch(int Start, int Length, string Text, string? Host);

/// <summary>
/// Finds links the way networks auto-link them (scheme URLs, "www." and bare domains with a common top-level domain)
/// and parses the host with <see cref="Uri"/>, so "https://allowed.com@evil.com", "https://evil.com?allowed.com",
/// "https://evil.com\@allowed.com" and "allowed.com.evil.com" all resolve to their real host. Hosts are compared in
/// IDNA (punycode) form, so a lookalike "аllowed.com" with a Cyrillic а is a different host. The pattern needs
/// lookarounds (word boundaries around bare domains), so it runs on the backtracking engine under a match timeout.
/// </summary>
internal static class LinkScanner
{
    private static readonly Regex Links = new(
        @"(?:[a-z][a-z0-9+.\-]{1,15}:(?://)?[^\s<>""]+)|(?:www\.[^\s<>""]+)|(?:(?<![\p{L}\p{N}@.\-])(?:[\p{L}\p{N}\-]+\.)+(?:com|net|org|io|co|info|biz|xyz|app|dev|ly|me|gl|gg|ai|shop|online|site|link|click|top|de|fr|uk|us|eu|es|it|nl|ru|cn|tk)(?![\p{L}\p{N}\-])(?:[/?#][^\s<>""]*)?)",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(250));

    /// <summary>Schemes that are not links to a web host (mailto is personal data's business).</summary>
    private static readonly HashSet<string> IgnoredSchemes = new(StringComparer.OrdinalIgnoreCase) { "mailto", "tel" };

    public static IReadOnlyList<LinkMatch> Scan(string text)
    {
        var found = new List<LinkMatch>();
        MatchCollection matches;
        try
        {
            matches = Links.Matches(text);
            _ = matches.Count; // forces the scan here, inside the timeout guard
        }
        catch (RegexMatchTimeoutException)
        {
            // Fail closed: a text we could not scan for links in time is reported as one unverifiable link.
            return [new LinkMatch(0, text.Length, text, null)];
        }

        foreach (Match m in matches)
        {
            // Sentence punctuation after a link is not part of it.
            var value = m.Value.TrimEnd('.', ',', ';', ':', '!', '?', ')', ']', '\'', '"');
            if (value.Length == 0)
            {
                continue;
            }

            var colon = value.IndexOf(':', StringComparison.Ordinal);
            var hasScheme = colon > 0 && !value.StartsWith("www.", StringComparison.OrdinalIgnoreCase) && LooksLikeScheme(value[..colon]);
            if (hasScheme && IgnoredSchemes.Contains(value[..colon]))
            {
                continue;
            }

            // "12:30" or "note:" are not links: a scheme needs letters and something after it.
            if (hasScheme && colon == value.Length - 1)
            {
                continue;
            }

            found.Add(new LinkMatch(m.Index, value.Length, value, HostOf(hasScheme ? value : "https://" + value)));
        }

        return found;
    }

    private static bool LooksLikeScheme(string s) => s.Length >= 2 && char.IsAsciiLetter(s[0]) && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '+' or '.' or '-');

    /// <summary>The host a URL points to in IDNA form, or null when it has none we can trust (javascript:, data:, garbage).</summary>
    internal static string? HostOf(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https" or "ftp"))
        {
            return null;
        }

        try
        {
            var host = uri.IdnHost.TrimEnd('.').ToLower(CultureInfo.InvariantCulture);
            return host.Length == 0 ? null : host;
        }
        catch (UriFormatException)
        {
            return null;
        }
    }

    /// <summary>Whether host is an allowed domain or a subdomain of one (label boundary: "notallowed.com" is not "allowed.com").</summary>
    public static bool IsAllowed(string host, IEnumerable<string> allowedDomains) =>
        allowedDomains.Select(Normalize).Any(d => d is not null && (host == d || host.EndsWith("." + d, StringComparison.Ordinal)));

    /// <summary>An allowed domain in the same IDNA, lower-case form as hosts.</summary>
    internal static string? Normalize(string domain) => HostOf("https://" + domain.Trim().TrimStart('.'));
}
