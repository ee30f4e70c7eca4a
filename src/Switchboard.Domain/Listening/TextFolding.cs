using System.Globalization;
using System.Text;

namespace Switchboard.Listening;

/// <summary>How a character takes part in tokenizing.</summary>
internal enum CharClass : byte
{
    Other = 0,
    /// <summary>Letter, digit or <c>_</c>: part of a word run and kept (folded).</summary>
    Word = 1,
    /// <summary>Non-spacing or enclosing mark: part of a word run but dropped (diacritic folding).</summary>
    Mark = 2,
    /// <summary>A pictographic symbol: a token of its own.</summary>
    Symbol = 3,
}

/// <summary>
/// Case and diacritic folding of single UTF-16 code units, with the classification the tokenizer needs.
/// Both are table lookups so the tokenizer's hot loop never normalizes strings: the table for a code unit is
/// computed on first use (the work is deterministic, so a benign race between threads only repeats it).
/// </summary>
internal static class TextFolding
{
    // '\uFFFF' is a noncharacter: it never appears as a fold result, so it marks "not computed yet".
    private const char NotComputed = '\uFFFF';
    private static readonly char[] Folds = CreateFolds();
    // Class + 1 per code unit; 0 marks "not computed yet" (one array, so no torn reads between two arrays).
    private static readonly byte[] Classes = new byte[65536];

    private static char[] CreateFolds()
    {
        var folds = new char[65536];
        Array.Fill(folds, NotComputed);
        for (var c = 0; c < 128; c++)
        {
            folds[c] = c is >= 'A' and <= 'Z' ? (char)(c + 32) : (char)c;
        }

        return folds;
    }

    /// <summary>Folded form of a BMP code unit; <c>'\0'</c> when the unit is dropped (a diacritic mark).</summary>
    public static char Fold(char c)
    {
        var f = Folds[c];
        if (f != NotComputed)
        {
            return f;
        }

        f = ComputeFold(c);
        Folds[c] = f;
        return f;
    }

    public static CharClass Classify(char c)
    {
        if (c < 128)
        {
            return c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9' or '_' ? CharClass.Word : CharClass.Other;
        }

        var stored = Classes[c];
        if (stored != 0)
        {
            return (CharClass)(stored - 1);
        }

        var cls = char.IsSurrogate(c) ? CharClass.Other : ClassOf(CharUnicodeInfo.GetUnicodeCategory(c));
        Classes[c] = (byte)(cls + 1);
        return cls;
    }

    public static CharClass ClassOf(UnicodeCategory category) => category switch
    {
        UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
            or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter or UnicodeCategory.DecimalDigitNumber
            or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.ConnectorPunctuation => CharClass.Word,
        UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark => CharClass.Mark,
        UnicodeCategory.OtherSymbol => CharClass.Symbol,
        _ => CharClass.Other,
    };

    private static char ComputeFold(char c)
    {
        if (char.IsSurrogate(c))
        {
            return c;
        }

        var category = CharUnicodeInfo.GetUnicodeCategory(c);
        if (category is UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark)
        {
            return '\0';
        }

        if (category == UnicodeCategory.ConnectorPunctuation)
        {
            // Every connector (e.g. the full-width low line) is the same '_' as far as matching goes.
            return '_';
        }

        var lower = char.ToLowerInvariant(c);
        // Compatibility decomposition folds full-width and other presentation forms too (Ａ → a). Only a
        // decomposition into one base character plus marks is taken: ligatures like "ﬁ" stay as they are, because
        // a fold must map one code unit to at most one so token lengths stay predictable.
        var decomposed = lower.ToString().Normalize(NormalizationForm.FormKD);
        if (decomposed.Length == 0)
        {
            return lower;
        }

        var baseChar = decomposed[0];
        for (var i = 1; i < decomposed.Length; i++)
        {
            var cat = CharUnicodeInfo.GetUnicodeCategory(decomposed[i]);
            if (cat is not (UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark))
            {
                return lower;
            }
        }

        if (char.IsSurrogate(baseChar) || ClassOf(CharUnicodeInfo.GetUnicodeCategory(baseChar)) != CharClass.Word)
        {
            return lower;
        }

        return char.ToLowerInvariant(baseChar);
    }

    /// <summary>Folds a whole string the way the tokenizer folds a token (used for field values and tests).</summary>
    public static string FoldString(string s)
    {
        var sb = new StringBuilder(s.Length);
        foreach (var c in s)
        {
            var f = Fold(c);
            if (f != '\0')
            {
                sb.Append(f);
            }
        }

        return sb.ToString();
    }
}
