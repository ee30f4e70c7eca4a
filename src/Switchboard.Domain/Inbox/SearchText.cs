using System.Text;

namespace Switchboard.Inbox;

/// <summary>A parsed full-text search: plain words, matched all together (AND), the last one also as a prefix.</summary>
public sealed record SearchText(IReadOnlyList<string> Terms)
{
    public const int MaxLength = 200;
    public const int MaxTerms = 12;

    /// <summary>
    /// Parses what a user typed into words. Operators of either engine (FTS5 `NEAR`, `*`, `"`, `:`; tsquery `&amp;`,
    /// `|`, `!`) are never passed through: every word is quoted, so no input can be a syntax error or reach a column
    /// filter. Returns null with a reason for input that cannot be searched.
    /// </summary>
    public static (SearchText? Search, string? Error) Parse(string? raw)
    {
        if (string.IsNullOrWhiteSpace(raw))
        {
            return (null, "the search is empty");
        }

        if (raw.Length > MaxLength)
        {
            return (null, $"the search is longer than {MaxLength} characters");
        }

        var terms = new List<string>();
        var word = new StringBuilder();
        void Flush()
        {
            if (word.Length > 0 && !terms.Contains(word.ToString(), StringComparer.Ordinal))
            {
                terms.Add(word.ToString());
            }

            word.Clear();
        }

        string normalized;
        try
        {
            normalized = raw.Normalize(NormalizationForm.FormKC);
        }
        catch (ArgumentException)
        {
            // Lone surrogates (possible in JSON strings) are not text.
            return (null, "the search contains invalid characters");
        }

        foreach (var ch in normalized)
        {
            // Letters and digits make words (as both engines' tokenizers see them); everything else separates.
            if (char.IsLetterOrDigit(ch))
            {
                word.Append(char.ToLowerInvariant(ch));
            }
            else if (char.GetUnicodeCategory(ch) == System.Globalization.UnicodeCategory.NonSpacingMark)
            {
                word.Append(ch);
            }
            else
            {
                Flush();
            }
        }

        Flush();
        if (terms.Count == 0)
        {
            return (null, "the search has no words to look for");
        }

        return terms.Count > MaxTerms
            ? (null, $"the search has more than {MaxTerms} words")
            : (new SearchText(terms), null);
    }

    /// <summary>The FTS5 MATCH expression: each term a quoted string; the last also matches as a prefix (type-ahead).</summary>
    public string ToFts5()
    {
        var parts = Terms.Select(t => "\"" + t.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"").ToList();
        parts[^1] += "*";
        return string.Join(" ", parts);
    }

    /// <summary>A PostgreSQL to_tsquery('simple', …) expression: quoted lexemes joined by &amp;, the last with :* prefix.</summary>
    public string ToTsQuery()
    {
        var parts = Terms.Select(t => "'" + t.Replace("'", "''", StringComparison.Ordinal).Replace("\\", "\\\\", StringComparison.Ordinal) + "'").ToList();
        parts[^1] += ":*";
        return string.Join(" & ", parts);
    }
}
