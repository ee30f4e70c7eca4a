using System.Runtime.CompilerServices;

namespace Switchboard.Classification.Text;

internal enum TokenKind : byte
{
    Word,
    Hashtag,
    Mention,
    Url,
    Number,
    Emoticon,
    Emoji,
    Exclamation,
    Question,
    // A clause boundary (. , ; : and similar): ends negation scope and "but" contrast windows.
    Break,
}

// A token is a slice of TokenBuffer.Chars holding its normalised form: lower-case, with runs of a repeated letter
// squeezed to two ("sooooo" -> "soo"), so lexicon look-ups never allocate. Tokens are written one after another
// separated by a single space, so two adjacent tokens form a contiguous bigram span.
internal struct Token
{
    public int Start;
    public int Length;
    public TokenKind Kind;
    // The original word was written in capitals ("HATE"), at least two letters.
    public bool AllCaps;
    // The original word had a letter repeated three or more times ("loooove").
    public bool Elongated;
    // What the word tables know about this token and about the bigram it starts (null: nothing); filled by
    // WordTable.Annotate so that every analyser reads one shared look-up instead of doing its own.
    public WordEntry? Uni;
    public WordEntry? Bi;

    public readonly bool IsWordLike => Kind is TokenKind.Word or TokenKind.Hashtag;
}

// Reusable scratch space: one per thread in the hot path, so tokenising a post allocates nothing.
internal sealed class TokenBuffer
{
    public char[] Chars = new char[512];
    public Token[] Items = new Token[128];
    public int Count;
    public int CharCount;
    // Letters seen and upper-case letters seen over the whole text, for the "whole post in capitals" check.
    public int Letters;
    public int UpperLetters;
    public int Urls;
    public int Mentions;
    public int Hashtags;
    // The text was longer than the tokenizer's limit and only its beginning was read.
    public bool Truncated;
    // Uni/Bi of the tokens are filled for the current text.
    public bool Annotated;

    public ReadOnlySpan<char> Text(in Token t) => Chars.AsSpan(t.Start, t.Length);

    public ReadOnlySpan<char> Text(int index) => Chars.AsSpan(Items[index].Start, Items[index].Length);

    // The span covering tokens [from, to] inclusive, with their single separating spaces.
    public ReadOnlySpan<char> Span(int from, int to) =>
        Chars.AsSpan(Items[from].Start, Items[to].Start + Items[to].Length - Items[from].Start);

    internal void Reset()
    {
        Count = 0;
        CharCount = 0;
        Letters = 0;
        UpperLetters = 0;
        Urls = 0;
        Mentions = 0;
        Hashtags = 0;
        Truncated = false;
        Annotated = false;
    }
}

// A hand-written single-pass tokenizer for short social texts: URLs, @mentions, #hashtags, emoticons, emoji,
// words with inner apostrophes, numbers, and ! ? as their own tokens. No regex: this runs on every ingested post.
internal static class Tokenizer
{
    // Long texts (a pasted e-mail, a hostile 10 MB field) are classified from their beginning; the labels of a
    // social post are decided in its first few thousand characters and this bounds the work per post.
    public const int MaxChars = 8_000;

    // Longest first, so ":-)" wins over ":-" and ">:(" over ":(".
    private static readonly string[] Emoticons =
    [
        ">:-(", ":'-(", ":'-)", "</3", ">:(", ":-)", ":-(", ":-D", ":-P", ":-p", ":-/", ":-|", ":-o", ":-O", ";-)", ":'(",
        ":')", "^_^", "^^", ":)", ":]", ":D", ":P", ":p", ":(", ":[", ":/", ":\\", ":|", ":o", ":O", ":@", ":*", ";)", ";D",
        ";p", "=)", "=D", "=(", "<3",
    ];

    public static void Tokenize(string text, TokenBuffer buffer)
    {
        buffer.Reset();
        var n = text.Length;
        if (n > MaxChars)
        {
            n = MaxChars;
            buffer.Truncated = true;
        }

        var i = 0;
        while (i < n)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
                continue;
            }

            if ((c is 'h' or 'H' or 'w' or 'W') && IsUrlStart(text, i, n))
            {
                var end = i;
                while (end < n && !char.IsWhiteSpace(text[end]))
                {
                    end++;
                }

                Add(buffer, TokenKind.Url, ReadOnlySpan<char>.Empty);
                buffer.Urls++;
                i = end;
                continue;
            }

            if ((c == '@' || c == '#') && i + 1 < n && IsWordChar(text[i + 1]))
            {
                var end = i + 1;
                while (end < n && (IsWordChar(text[end]) || text[end] == '_'))
                {
                    end++;
                }

                if (c == '@')
                {
                    buffer.Mentions++;
                    AddWord(buffer, TokenKind.Mention, text.AsSpan(i + 1, end - i - 1), countLetters: false);
                }
                else
                {
                    buffer.Hashtags++;
                    AddWord(buffer, TokenKind.Hashtag, text.AsSpan(i + 1, end - i - 1), countLetters: false);
                }

                i = end;
                continue;
            }

            if (IsWordChar(c))
            {
                var end = i + 1;
                while (end < n)
                {
                    var d = text[end];
                    if (IsWordChar(d))
                    {
                        end++;
                    }
                    else if ((d is '\'' or '\u2019') && end + 1 < n && char.IsLetter(text[end + 1]))
                    {
                        end++;
                    }
                    else
                    {
                        break;
                    }
                }

                AddWord(buffer, TokenKind.Word, text.AsSpan(i, end - i), countLetters: true);
                i = end;
                continue;
            }

            if (c is ':' or ';' or '=' or '<' or '>' or '^')
            {
                var matched = MatchEmoticon(text, i, n);
                if (matched is not null)
                {
                    Add(buffer, TokenKind.Emoticon, matched);
                    i += matched.Length;
                    continue;
                }
            }

            if (char.IsHighSurrogate(c) && i + 1 < n && char.IsLowSurrogate(text[i + 1]))
            {
                var cp = char.ConvertToUtf32(c, text[i + 1]);
                // Skin-tone modifiers carry no meaning of their own.
                if (cp is < 0x1F3FB or > 0x1F3FF)
                {
                    Add(buffer, TokenKind.Emoji, text.AsSpan(i, 2));
                }

                i += 2;
                continue;
            }

            switch (c)
            {
                case '!':
                    Add(buffer, TokenKind.Exclamation, ReadOnlySpan<char>.Empty);
                    break;
                case '?':
                    Add(buffer, TokenKind.Question, ReadOnlySpan<char>.Empty);
                    break;
                case '.' or ',' or ';' or ':' or '\u2026' or '(' or ')' or '\n' or '-' or '\u2013' or '\u2014':
                    Add(buffer, TokenKind.Break, ReadOnlySpan<char>.Empty);
                    break;
                default:
                    // Symbols in the Basic Multilingual Plane that are emoji (☺ ☹ ❤ ✔ ★ ...).
                    if (c is >= '\u2600' and <= '\u27BF')
                    {
                        Add(buffer, TokenKind.Emoji, text.AsSpan(i, 1));
                    }

                    break;
            }

            i++;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool IsWordChar(char c) => char.IsLetterOrDigit(c);

    private static bool IsUrlStart(string text, int i, int n)
    {
        var rest = text.AsSpan(i, n - i);
        return rest.StartsWith("http://", StringComparison.OrdinalIgnoreCase)
            || rest.StartsWith("https://", StringComparison.OrdinalIgnoreCase)
            || rest.StartsWith("www.", StringComparison.OrdinalIgnoreCase);
    }

    private static string? MatchEmoticon(string text, int i, int n)
    {
        var rest = text.AsSpan(i, n - i);
        foreach (var e in Emoticons)
        {
            if (rest.StartsWith(e, StringComparison.Ordinal))
            {
                // "a:b" or "10:30" are not emoticons: require the emoticon not to run into a letter or digit.
                var after = i + e.Length;
                if (after < n && char.IsLetterOrDigit(text[after]) && !char.IsLetterOrDigit(e[^1]))
                {
                    continue;
                }

                if (after < n && char.IsLetterOrDigit(e[^1]) && char.IsLetterOrDigit(text[after]))
                {
                    continue;
                }

                return e;
            }
        }

        return null;
    }

    private static void Add(TokenBuffer b, TokenKind kind, ReadOnlySpan<char> chars)
    {
        EnsureCapacity(b, chars.Length);
        ref var t = ref b.Items[b.Count++];
        t.Start = b.CharCount;
        t.Length = chars.Length;
        t.Kind = kind;
        t.AllCaps = false;
        t.Elongated = false;
        chars.CopyTo(b.Chars.AsSpan(b.CharCount));
        b.CharCount += chars.Length;
        b.Chars[b.CharCount++] = ' ';
    }

    private static void AddWord(TokenBuffer b, TokenKind kind, ReadOnlySpan<char> word, bool countLetters)
    {
        EnsureCapacity(b, word.Length);
        var dest = b.Chars;
        var start = b.CharCount;
        var w = start;
        var letters = 0;
        var upper = 0;
        var digits = 0;
        var elongated = false;
        var run = 0;
        var prev = '\0';
        foreach (var raw in word)
        {
            var ch = raw == '\u2019' ? '\'' : raw;
            if (char.IsLetter(ch))
            {
                letters++;
                if (char.IsUpper(ch))
                {
                    upper++;
                }
            }
            else if (char.IsDigit(ch))
            {
                digits++;
            }

            var lower = char.ToLowerInvariant(ch);
            if (lower == prev && char.IsLetter(lower))
            {
                run++;
                if (run >= 2)
                {
                    // Third and later repeats are dropped: "sooooo" -> "soo".
                    elongated = true;
                    continue;
                }
            }
            else
            {
                run = 0;
            }

            prev = lower;
            dest[w++] = lower;
        }

        if (countLetters)
        {
            b.Letters += letters;
            b.UpperLetters += upper;
        }

        ref var t = ref b.Items[b.Count++];
        t.Start = start;
        t.Length = w - start;
        t.Kind = kind == TokenKind.Word && letters == 0 && digits > 0 ? TokenKind.Number : kind;
        t.AllCaps = letters >= 2 && upper == letters;
        t.Elongated = elongated;
        b.CharCount = w;
        dest[b.CharCount++] = ' ';
    }

    private static void EnsureCapacity(TokenBuffer b, int chars)
    {
        if (b.Count == b.Items.Length)
        {
            Array.Resize(ref b.Items, b.Items.Length * 2);
        }

        if (b.CharCount + chars + 1 > b.Chars.Length)
        {
            Array.Resize(ref b.Chars, Math.Max(b.Chars.Length * 2, b.CharCount + chars + 1));
        }
    }

    // Writes the word with every run of a repeated letter squeezed to one ("soo" -> "so") into dest and returns
    // its length: the second look-up for elongated words, after the two-letter form ("goood" -> "good").
    public static int SqueezeToSingle(ReadOnlySpan<char> word, Span<char> dest)
    {
        var w = 0;
        var prev = '\0';
        foreach (var ch in word)
        {
            if (ch == prev && char.IsLetter(ch))
            {
                continue;
            }

            dest[w++] = ch;
            prev = ch;
        }

        return w;
    }
}
