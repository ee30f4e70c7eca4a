using System.Text;

namespace Switchboard.Listening;

public enum TokenKind : byte
{
    Word = 0,
    /// <summary>A run directly preceded by <c>#</c>.</summary>
    Hashtag = 1,
    /// <summary>A run directly preceded by <c>@</c>.</summary>
    Mention = 2,
    /// <summary>One emoji (or other pictographic symbol), with its modifiers and joined sequence.</summary>
    Emoji = 3,
}

/// <summary>
/// One token. Its position is its index in <see cref="TokenBuffer"/>; its folded text is
/// <c>Chars[Start..Start+Length]</c>, and for hashtags and mentions <c>Chars[Start-1]</c> holds the sigil, so
/// <c>Chars[Start-1..]</c> spells "#acme" without copying.
/// </summary>
/// <param name="Hash">
/// <see cref="TextHash.Of"/> of the folded text (without sigil), computed while the characters are in cache, so
/// the index can skip tokens no query mentions with one bit test instead of a dictionary lookup.
/// </param>
internal readonly record struct Token(int Start, int Length, TokenKind Kind, int SourceStart, int SourceLength, uint Hash);

/// <summary>FNV-1a over UTF-16 code units: cheap, incremental (prefix hashes come for free), stable across runs.</summary>
internal static class TextHash
{
    public const uint Seed = 2166136261;
    /// <summary>Seeds for wildcard prefixes limited to hashtags or mentions, so they hash apart from plain ones.</summary>
    public const uint HashtagSeed = Seed ^ 0x9E3779B9;
    public const uint MentionSeed = Seed ^ 0x7F4A7C15;

    public static uint Step(uint hash, char c) => (hash ^ c) * 16777619;

    public static uint Of(ReadOnlySpan<char> text, uint seed = Seed)
    {
        var h = seed;
        foreach (var c in text)
        {
            h = Step(h, c);
        }

        return h;
    }
}

/// <summary>Reusable output of <see cref="Tokenizer"/>: no allocation per post once the arrays have grown.</summary>
internal sealed class TokenBuffer
{
    public char[] Chars = new char[256];
    public int CharCount;
    public Token[] Tokens = new Token[64];
    public int Count;
    /// <summary>Hosts of URLs found in the text (lower case), for <c>site:</c>.</summary>
    public readonly List<string> Hosts = [];

    public void Clear()
    {
        CharCount = 0;
        Count = 0;
        Hosts.Clear();
    }

    public ReadOnlySpan<char> Text(int position) => Chars.AsSpan(Tokens[position].Start, Tokens[position].Length);

    /// <summary>The folded text with its sigil (<c>#</c> or <c>@</c>) for hashtags and mentions.</summary>
    public ReadOnlySpan<char> TextWithSigil(int position)
    {
        ref readonly var t = ref Tokens[position];
        return t.Kind is TokenKind.Hashtag or TokenKind.Mention ? Chars.AsSpan(t.Start - 1, t.Length + 1) : Chars.AsSpan(t.Start, t.Length);
    }

    internal void EnsureChars(int extra)
    {
        if (CharCount + extra > Chars.Length)
        {
            Array.Resize(ref Chars, Math.Max(Chars.Length * 2, CharCount + extra));
        }
    }

    internal void Add(Token token)
    {
        if (Count == Tokens.Length)
        {
            Array.Resize(ref Tokens, Tokens.Length * 2);
        }

        Tokens[Count++] = token;
    }
}

/// <summary>
/// Splits text into tokens: maximal runs of Unicode letters, combining marks, digits and <c>_</c>, folded for case
/// and diacritics (<c>Café</c> → <c>cafe</c>); a run directly after <c>#</c> is a hashtag, after <c>@</c> a mention;
/// each emoji is a token of its own (variation selectors and skin tones dropped, so 👍🏽 = 👍; ZWJ sequences and
/// flags stay one token). Everything else separates tokens. Hosts of <c>http(s)://</c> and <c>www.</c> URLs are
/// collected for <c>site:</c>; the URL's words are still tokens.
/// </summary>
internal static class Tokenizer
{
    private const int Zwj = 0x200D;

    public static void Tokenize(ReadOnlySpan<char> text, TokenBuffer buffer)
    {
        buffer.Clear();
        // Folding never lengthens a code unit sequence; one extra char per token holds the sigil.
        buffer.EnsureChars(text.Length * 2 + 2);
        var chars = buffer.Chars;
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            CharClass cls;
            var width = 1;
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                cls = ClassOfRune(new Rune(c, text[i + 1]));
                width = 2;
            }
            else
            {
                cls = TextFolding.Classify(c);
            }

            if (cls is CharClass.Word or CharClass.Mark)
            {
                i = ReadRun(text, i, buffer, chars);
            }
            else if (cls == CharClass.Symbol)
            {
                i = ReadEmoji(text, i, buffer, chars);
            }
            else
            {
                i += width;
            }
        }
    }

    private static CharClass ClassOfRune(Rune r)
    {
        var cls = TextFolding.ClassOf(Rune.GetUnicodeCategory(r));
        return cls;
    }

    private static int ReadRun(ReadOnlySpan<char> text, int start, TokenBuffer buffer, char[] chars)
    {
        var sigil = start > 0 ? text[start - 1] : ' ';
        var kind = sigil switch { '#' => TokenKind.Hashtag, '@' => TokenKind.Mention, _ => TokenKind.Word };
        var sigilAt = buffer.CharCount;
        chars[sigilAt] = kind switch { TokenKind.Hashtag => '#', TokenKind.Mention => '@', _ => '\0' };
        var w = sigilAt + 1;
        var i = start;
        while (i < text.Length)
        {
            var c = text[i];
            if (c < 128)
            {
                if (c is >= 'a' and <= 'z' or >= '0' and <= '9' or '_')
                {
                    chars[w++] = c;
                }
                else if (c is >= 'A' and <= 'Z')
                {
                    chars[w++] = (char)(c + 32);
                }
                else
                {
                    break;
                }

                i++;
                continue;
            }

            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                var rune = new Rune(c, text[i + 1]);
                var rc = ClassOfRune(rune);
                if (rc == CharClass.Word)
                {
                    var lower = Rune.ToLowerInvariant(rune);
                    w += lower.EncodeToUtf16(chars.AsSpan(w));
                }
                else if (rc != CharClass.Mark)
                {
                    break;
                }

                i += 2;
                continue;
            }

            var cls = TextFolding.Classify(c);
            if (cls == CharClass.Word)
            {
                chars[w++] = TextFolding.Fold(c);
            }
            else if (cls != CharClass.Mark)
            {
                break;
            }

            i++;
        }

        var length = w - sigilAt - 1;
        if (length > 0)
        {
            buffer.CharCount = w;
            buffer.Add(new Token(sigilAt + 1, length, kind, start, i - start, TextHash.Of(chars.AsSpan(sigilAt + 1, length))));
            if (text.Length - i > 3 && text[i] == ':' && text[i + 1] == '/' && text[i + 2] == '/' && IsScheme(chars.AsSpan(sigilAt + 1, length)))
            {
                AddHost(text[(i + 3)..], buffer.Hosts);
            }
            else if (length == 3 && i < text.Length && text[i] == '.' && chars.AsSpan(sigilAt + 1, 3).SequenceEqual("www")
                     && (start == 0 || char.IsWhiteSpace(text[start - 1]) || text[start - 1] is '(' or '<' or '"' or '\''))
            {
                AddHost(text[start..], buffer.Hosts);
            }
        }

        return i;
    }

    private static bool IsScheme(ReadOnlySpan<char> folded) => folded.SequenceEqual("http") || folded.SequenceEqual("https");

    private static int ReadEmoji(ReadOnlySpan<char> text, int start, TokenBuffer buffer, char[] chars)
    {
        var sigilAt = buffer.CharCount;
        chars[sigilAt] = '\0';
        var w = sigilAt + 1;
        var i = start;
        var first = ReadRune(text, ref i);
        w += first.EncodeToUtf16(chars.AsSpan(w));
        if (IsRegionalIndicator(first) && i < text.Length)
        {
            // A flag is a pair of regional indicators.
            var j = i;
            var second = ReadRune(text, ref j);
            if (IsRegionalIndicator(second))
            {
                w += second.EncodeToUtf16(chars.AsSpan(w));
                i = j;
            }
        }

        while (i < text.Length)
        {
            var j = i;
            var next = ReadRune(text, ref j);
            var v = next.Value;
            if (v is 0xFE0E or 0xFE0F or 0x20E3 || v is >= 0x1F3FB and <= 0x1F3FF)
            {
                // Presentation selectors, keycap and skin tones: dropped, so 👍🏽 and 👍 are the same token.
                i = j;
            }
            else if (v is >= 0xE0020 and <= 0xE007F)
            {
                // Tag sequence of a subdivision flag: part of the emoji.
                w += next.EncodeToUtf16(chars.AsSpan(w));
                i = j;
            }
            else if (v == Zwj && j < text.Length)
            {
                var k = j;
                var joined = ReadRune(text, ref k);
                if (ClassOfRune(joined) != CharClass.Symbol)
                {
                    break;
                }

                w += next.EncodeToUtf16(chars.AsSpan(w));
                w += joined.EncodeToUtf16(chars.AsSpan(w));
                i = k;
            }
            else
            {
                break;
            }
        }

        buffer.CharCount = w;
        buffer.Add(new Token(sigilAt + 1, w - sigilAt - 1, TokenKind.Emoji, start, i - start, TextHash.Of(chars.AsSpan(sigilAt + 1, w - sigilAt - 1))));
        return i;
    }

    private static bool IsRegionalIndicator(Rune r) => r.Value is >= 0x1F1E6 and <= 0x1F1FF;

    private static Rune ReadRune(ReadOnlySpan<char> text, ref int i)
    {
        if (Rune.DecodeFromUtf16(text[i..], out var rune, out var consumed) != System.Buffers.OperationStatus.Done)
        {
            i += 1;
            return Rune.ReplacementChar;
        }

        i += consumed;
        return rune;
    }

    /// <summary>
    /// Reads a host name at the start of <paramref name="rest"/> (after "scheme://" or at "www."), dropping
    /// user info and port; adds it lower-cased when it looks like a domain (has a dot and no empty label).
    /// </summary>
    internal static void AddHost(ReadOnlySpan<char> rest, List<string> hosts)
    {
        var end = 0;
        while (end < rest.Length && !char.IsWhiteSpace(rest[end]) && rest[end] is not ('/' or '?' or '#' or '"' or '\'' or '<' or '>' or '(' or ')' or '[' or ']' or '\\' or '|' or ',' or ';'))
        {
            end++;
        }

        var host = rest[..end];
        var at = host.LastIndexOf('@');
        if (at >= 0)
        {
            host = host[(at + 1)..];
        }

        var colon = host.IndexOf(':');
        if (colon >= 0)
        {
            host = host[..colon];
        }

        host = host.TrimEnd('.');
        if (host.Length == 0 || host.IndexOf('.') < 0 || host.Contains("..", StringComparison.Ordinal) || host[0] == '.' || host.Length > 253)
        {
            return;
        }

        foreach (var ch in host)
        {
            if (!(char.IsLetterOrDigit(ch) || ch is '-' or '.' or '_'))
            {
                return;
            }
        }

        var s = host.ToString().ToLowerInvariant();
        if (!hosts.Contains(s))
        {
            hosts.Add(s);
        }
    }

    /// <summary>The host of a post's own URL, if it has one.</summary>
    internal static void AddUrlHost(string? url, List<string> hosts)
    {
        if (string.IsNullOrWhiteSpace(url))
        {
            return;
        }

        var span = url.AsSpan().Trim();
        var scheme = span.IndexOf("://", StringComparison.Ordinal);
        AddHost(scheme >= 0 ? span[(scheme + 3)..] : span, hosts);
    }

    /// <summary>Tokenizes into fresh strings: for tests, explanations and the naive evaluator's callers.</summary>
    internal static List<(string Text, TokenKind Kind)> TokenizeToList(string text)
    {
        var buffer = new TokenBuffer();
        Tokenize(text, buffer);
        var list = new List<(string, TokenKind)>(buffer.Count);
        for (var p = 0; p < buffer.Count; p++)
        {
            list.Add((buffer.Text(p).ToString(), buffer.Tokens[p].Kind));
        }

        return list;
    }
}
