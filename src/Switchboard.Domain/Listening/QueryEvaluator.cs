namespace Switchboard.Listening;

/// <summary>A run of token positions <c>[Start, End]</c> matched by a term (Start = End) or phrase.</summary>
internal readonly record struct PositionSpan(int Start, int End);

/// <summary>
/// Evaluates a query tree directly against a post by scanning its tokens: the reference semantics. The index
/// (<see cref="ListeningIndex"/>) must agree with it on every post; tests check that on random queries.
/// </summary>
internal static class QueryEvaluator
{
    public static bool Matches(QueryNode node, PostDocument doc) => node switch
    {
        AndNode a => a.Children.All(c => Matches(c, doc)),
        OrNode o => o.Children.Any(c => Matches(c, doc)),
        NotNode n => !Matches(n.Operand, doc),
        FieldNode f => doc.MatchesField(f),
        NearNode near => NearMatches(near, doc, null),
        _ => Spans(node, doc).Count > 0,
    };

    /// <summary>Spans matched by a positional node, sorted by start.</summary>
    public static List<PositionSpan> Spans(QueryNode node, PostDocument doc)
    {
        var spans = new List<PositionSpan>();
        AddSpans(node, doc, spans);
        spans.Sort((x, y) => x.Start != y.Start ? x.Start.CompareTo(y.Start) : x.End.CompareTo(y.End));
        return spans;
    }

    private static void AddSpans(QueryNode node, PostDocument doc, List<PositionSpan> into)
    {
        var tokens = doc.Tokens;
        switch (node)
        {
            case TermNode or WildcardNode:
                for (var p = 0; p < tokens.Count; p++)
                {
                    if (ElementMatches(node, tokens, p))
                    {
                        into.Add(new PositionSpan(p, p));
                    }
                }

                break;
            case PhraseNode phrase:
                var n = phrase.Elements.Count;
                for (var p = 0; p + n <= tokens.Count; p++)
                {
                    var all = true;
                    for (var i = 0; i < n && all; i++)
                    {
                        all = ElementMatches(phrase.Elements[i], tokens, p + i);
                    }

                    if (all)
                    {
                        into.Add(new PositionSpan(p, p + n - 1));
                    }
                }

                break;
            case OrNode or:
                foreach (var c in or.Children)
                {
                    AddSpans(c, doc, into);
                }

                break;
            default:
                throw new InvalidOperationException($"{node.GetType().Name} has no positions");
        }
    }

    private static bool ElementMatches(QueryNode element, TokenBuffer tokens, int p)
    {
        var kind = tokens.Tokens[p].Kind;
        return element switch
        {
            TermNode t => QueryNode.ScopeAccepts(t.Scope, kind) && tokens.Text(p).SequenceEqual(t.Text),
            WildcardNode w => QueryNode.ScopeAccepts(w.Scope, kind) && kind != TokenKind.Emoji && tokens.Text(p).StartsWith(w.Prefix, StringComparison.Ordinal),
            _ => false,
        };
    }

    /// <summary>
    /// Operands must not overlap; the distance is from the end of the earlier span to the start of the later one
    /// (for a phrase, its closest token). With <paramref name="witness"/> the satisfying spans are collected.
    /// </summary>
    private static bool NearMatches(NearNode near, PostDocument doc, List<(PositionSpan Left, PositionSpan Right)>? witness)
    {
        var left = Spans(near.Left, doc);
        var right = Spans(near.Right, doc);
        var found = false;
        foreach (var a in left)
        {
            foreach (var b in right)
            {
                var ok = (b.Start > a.End && b.Start - a.End <= near.Distance)
                         || (!near.Ordered && a.Start > b.End && a.Start - b.End <= near.Distance);
                if (ok)
                {
                    if (witness is null)
                    {
                        return true;
                    }

                    found = true;
                    witness.Add((a, b));
                }
            }
        }

        return found;
    }

    public static MatchExplanation Explain(CompiledQuery query, PostDocument doc)
    {
        var isMatch = Matches(query.Root, doc);
        var operands = new List<OperandMatch>();
        Collect(query.Root, doc, operands);
        return new MatchExplanation(isMatch, operands);
    }

    private static void Collect(QueryNode node, PostDocument doc, List<OperandMatch> into)
    {
        switch (node)
        {
            case AndNode a:
                foreach (var c in a.Children)
                {
                    Collect(c, doc, into);
                }

                break;
            case OrNode o when !o.IsPositional:
                foreach (var c in o.Children)
                {
                    Collect(c, doc, into);
                }

                break;
            case NotNode:
                break;
            case FieldNode f:
                if (doc.MatchesField(f))
                {
                    into.Add(new OperandMatch(Display(f), f.Column, [], []));
                }

                break;
            case NearNode near:
                {
                    var pairs = new List<(PositionSpan Left, PositionSpan Right)>();
                    if (NearMatches(near, doc, pairs))
                    {
                        AddOperand(near.Left, pairs.Select(p => p.Left), doc, into);
                        AddOperand(near.Right, pairs.Select(p => p.Right), doc, into);
                    }

                    break;
                }

            default:
                AddOperand(node, Spans(node, doc), doc, into);
                break;
        }
    }

    private static void AddOperand(QueryNode node, IEnumerable<PositionSpan> spans, PostDocument doc, List<OperandMatch> into)
    {
        var positions = spans.Select(s => s.Start).Distinct().Order().ToList();
        if (positions.Count > 0)
        {
            into.Add(new OperandMatch(Display(node), node.Column, positions, positions.Select(doc.TokenText).ToList()));
        }
    }

    internal static string Display(QueryNode node) => node switch
    {
        TermNode t => t.Key,
        WildcardNode w => w.Key + "*",
        PhraseNode p => "\"" + string.Join(' ', p.Elements.Select(Display)) + "\"",
        OrNode o => "(" + string.Join(" OR ", o.Children.Select(Display)) + ")",
        FieldNode f => f.Field switch
        {
            QueryField.Followers => "followers:" + f.Comparison switch
            {
                Comparison.Greater => ">",
                Comparison.GreaterOrEqual => ">=",
                Comparison.Less => "<",
                Comparison.LessOrEqual => "<=",
                _ => "=",
            } + f.Number.ToString(System.Globalization.CultureInfo.InvariantCulture),
            _ => f.Field.ToString().ToLowerInvariant() + ":" + f.Value,
        },
        _ => node.GetType().Name,
    };
}
