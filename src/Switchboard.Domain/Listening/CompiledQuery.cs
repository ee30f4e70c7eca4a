namespace Switchboard.Listening;

/// <summary>
/// A valid listening query, produced only by <see cref="QueryParser.Parse"/>. Evaluating it directly
/// (<see cref="Matches"/>, <see cref="Explain"/>) scans the post's tokens: right for previews and explanations of
/// one query; for many queries per post use <see cref="ListeningIndex"/>.
/// </summary>
public sealed class CompiledQuery
{
    internal CompiledQuery(string source, QueryNode root, string canonical, int termCount)
    {
        Source = source;
        Root = root;
        Canonical = canonical;
        TermCount = termCount;
    }

    public string Source { get; }
    public QueryNode Root { get; }
    /// <summary>Normal form: equal canonical texts match the same posts (the index evaluates them once).</summary>
    public string Canonical { get; }
    public int TermCount { get; }

    public bool Matches(PostDocument doc) => QueryEvaluator.Matches(Root, doc);

    public MatchExplanation Explain(PostDocument doc) => QueryEvaluator.Explain(this, doc);

    public override string ToString() => Source;
}

/// <summary>Where one query operand (term, phrase, wildcard or field) was found in the post.</summary>
/// <param name="Operand">The operand as written in normal form: <c>acme</c>, <c>#acme</c>, <c>refund*</c>, <c>"acme support"</c>, <c>lang:en</c>.</param>
/// <param name="Column">1-based column of the operand in the query.</param>
/// <param name="Positions">Token positions (0-based) where it starts; empty for fields.</param>
/// <param name="Tokens">The post's tokens at those positions (for a phrase, its first token).</param>
public sealed record OperandMatch(string Operand, int Column, IReadOnlyList<int> Positions, IReadOnlyList<string> Tokens);

/// <summary>
/// Why a query matched (or not): the positive operands that were found, with their positions. Operands under NOT
/// are not listed; a NEAR lists the positions of its operands that satisfied the distance.
/// </summary>
public sealed record MatchExplanation(bool IsMatch, IReadOnlyList<OperandMatch> Operands);
