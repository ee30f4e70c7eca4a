using System.Globalization;
using System.Text;

namespace Switchboard.Listening;

/// <summary>Which tokens a term matches.</summary>
public enum TermScope : byte
{
    /// <summary><c>acme</c>: the word or the hashtag (and an emoji by its text), never the mention.</summary>
    Any = 0,
    /// <summary><c>#acme</c>: only the hashtag.</summary>
    Hashtag = 1,
    /// <summary><c>@acme</c>: only the mention.</summary>
    Mention = 2,
}

public enum QueryField : byte
{
    Lang,
    Channel,
    Author,
    Site,
    Followers,
    Verified,
}

public enum Comparison : byte
{
    Equal,
    Greater,
    GreaterOrEqual,
    Less,
    LessOrEqual,
}

/// <summary>A node of a parsed query. Immutable; <see cref="Column"/> is 1-based in the query text.</summary>
public abstract class QueryNode
{
    protected QueryNode(int column) => Column = column;

    public int Column { get; }

    /// <summary>A normal form: two queries with the same canonical text match exactly the same posts.</summary>
    internal abstract void WriteCanonical(StringBuilder sb);

    /// <summary>True for nodes that give token positions (usable as NEAR operands).</summary>
    internal virtual bool IsPositional => false;

    internal static string ScopePrefix(TermScope scope) => scope switch
    {
        TermScope.Hashtag => "#",
        TermScope.Mention => "@",
        _ => "",
    };

    internal static bool ScopeAccepts(TermScope scope, TokenKind kind) => scope switch
    {
        TermScope.Hashtag => kind == TokenKind.Hashtag,
        TermScope.Mention => kind == TokenKind.Mention,
        _ => kind != TokenKind.Mention,
    };
}

/// <summary>One token to match exactly (after folding).</summary>
public sealed class TermNode(string text, TermScope scope, int column) : QueryNode(column)
{
    public string Text { get; } = text;
    public TermScope Scope { get; } = scope;
    /// <summary>The key the index stores this term under: the folded text with its sigil.</summary>
    internal string Key => ScopePrefix(Scope) + Text;
    internal override bool IsPositional => true;
    internal override void WriteCanonical(StringBuilder sb) => sb.Append('t').Append(Key.Length).Append(':').Append(Key);
}

/// <summary><c>refund*</c>: any token starting with the (folded) prefix.</summary>
public sealed class WildcardNode(string prefix, TermScope scope, int column) : QueryNode(column)
{
    public string Prefix { get; } = prefix;
    public TermScope Scope { get; } = scope;
    internal string Key => ScopePrefix(Scope) + Prefix;
    internal override bool IsPositional => true;
    internal override void WriteCanonical(StringBuilder sb) => sb.Append('w').Append(Key.Length).Append(':').Append(Key);
}

/// <summary>Consecutive tokens; each element is a <see cref="TermNode"/> or <see cref="WildcardNode"/>.</summary>
public sealed class PhraseNode(IReadOnlyList<QueryNode> elements, int column) : QueryNode(column)
{
    public IReadOnlyList<QueryNode> Elements { get; } = elements;
    internal override bool IsPositional => true;

    internal override void WriteCanonical(StringBuilder sb)
    {
        sb.Append("p(");
        foreach (var e in Elements)
        {
            e.WriteCanonical(sb);
            sb.Append(' ');
        }

        sb.Append(')');
    }
}

public sealed class AndNode(IReadOnlyList<QueryNode> children, int column) : QueryNode(column)
{
    public IReadOnlyList<QueryNode> Children { get; } = children;
    internal override void WriteCanonical(StringBuilder sb) => WriteList(sb, "and(", Children);

    internal static void WriteList(StringBuilder sb, string head, IReadOnlyList<QueryNode> children)
    {
        // Children are sorted by their canonical text: AND and OR are commutative.
        var parts = children.Select(c =>
        {
            var s = new StringBuilder();
            c.WriteCanonical(s);
            return s.ToString();
        }).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
        sb.Append(head);
        foreach (var p in parts)
        {
            sb.Append(p).Append(',');
        }

        sb.Append(')');
    }
}

public sealed class OrNode(IReadOnlyList<QueryNode> children, int column) : QueryNode(column)
{
    public IReadOnlyList<QueryNode> Children { get; } = children;
    internal override bool IsPositional => Children.All(c => c.IsPositional);
    internal override void WriteCanonical(StringBuilder sb) => AndNode.WriteList(sb, "or(", Children);
}

public sealed class NotNode(QueryNode operand, int column) : QueryNode(column)
{
    public QueryNode Operand { get; } = operand;

    internal override void WriteCanonical(StringBuilder sb)
    {
        sb.Append("not(");
        Operand.WriteCanonical(sb);
        sb.Append(')');
    }
}

/// <summary><c>a NEAR/n b</c> (either order) or <c>a NEAR/nf b</c> (<c>b</c> after <c>a</c>).</summary>
public sealed class NearNode(QueryNode left, QueryNode right, int distance, bool ordered, int column) : QueryNode(column)
{
    public QueryNode Left { get; } = left;
    public QueryNode Right { get; } = right;
    public int Distance { get; } = distance;
    public bool Ordered { get; } = ordered;

    internal override void WriteCanonical(StringBuilder sb)
    {
        sb.Append(Ordered ? "nearf" : "near").Append(Distance.ToString(CultureInfo.InvariantCulture)).Append('(');
        Left.WriteCanonical(sb);
        sb.Append(',');
        Right.WriteCanonical(sb);
        sb.Append(')');
    }
}

/// <summary>A condition on the post's metadata: <c>lang:en</c>, <c>followers:&gt;1000</c>…</summary>
public sealed class FieldNode(QueryField field, string value, Comparison comparison, long number, int column) : QueryNode(column)
{
    public QueryField Field { get; } = field;
    /// <summary>Lower-cased value (without a leading <c>@</c> for authors); "true"/"false" for verified.</summary>
    public string Value { get; } = value;
    public Comparison Comparison { get; } = comparison;
    /// <summary>The number for <c>followers:</c>.</summary>
    public long Number { get; } = number;

    internal override void WriteCanonical(StringBuilder sb) =>
        sb.Append("f:").Append(Field).Append(':').Append(Comparison).Append(':').Append(Value).Append(':')
            .Append(Number.ToString(CultureInfo.InvariantCulture));
}
