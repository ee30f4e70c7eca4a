namespace Switchboard.Listening;

/// <summary>A run of a post's original text; <see cref="Hit"/> when a positive operand of the query matched it.</summary>
public readonly record struct TextSegment(string Text, bool Hit);

/// <summary>
/// Cuts a post's text into plain and highlighted runs for a query, from <see cref="CompiledQuery.Explain"/>: the
/// tokens its positive operands matched (whole phrases, hashtags and mentions with their sigil). Operands under NOT
/// are never highlighted. Used by the live preview of a topic being edited.
/// </summary>
public static class MatchHighlights
{
    /// <param name="text">The text <paramref name="doc"/> was loaded from (the post's own text).</param>
    public static IReadOnlyList<TextSegment> Of(CompiledQuery query, PostDocument doc, string text)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(doc);
        ArgumentNullException.ThrowIfNull(text);
        var marks = new List<(int Start, int End)>();
        foreach (var operand in query.Explain(doc).Operands)
        {
            // A phrase's explanation names its first token; its elements are separated by single spaces.
            var width = operand.Operand.StartsWith('"') ? operand.Operand.Count(c => c == ' ') + 1 : 1;
            foreach (var p in operand.Positions)
            {
                // A phrase is one run from its first token to its last, spacing and punctuation between included.
                var last = Math.Min(p + width, doc.Tokens.Count) - 1;
                if (p > last)
                {
                    continue;
                }

                var first = doc.Tokens.Tokens[p];
                var end = doc.Tokens.Tokens[last];
                var start = first.Kind is TokenKind.Hashtag or TokenKind.Mention ? first.SourceStart - 1 : first.SourceStart;
                var stop = end.SourceStart + end.SourceLength;
                if (start >= 0 && stop <= text.Length)
                {
                    marks.Add((start, stop));
                }
            }
        }

        marks.Sort();
        var segments = new List<TextSegment>();
        var at = 0;
        foreach (var (start, end) in marks)
        {
            if (end <= at)
            {
                continue;
            }

            var from = Math.Max(start, at);
            if (from > at)
            {
                segments.Add(new TextSegment(text[at..from], false));
            }

            // Touching hits (a hashtag matched by two operands, say) become one highlighted run.
            if (segments.Count > 0 && segments[^1].Hit && from == at)
            {
                segments[^1] = new TextSegment(segments[^1].Text + text[from..end], true);
            }
            else
            {
                segments.Add(new TextSegment(text[from..end], true));
            }

            at = end;
        }

        if (at < text.Length)
        {
            segments.Add(new TextSegment(text[at..], false));
        }

        return segments;
    }
}
