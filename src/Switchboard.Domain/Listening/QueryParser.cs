using System.Globalization;
using System.Text;

namespace Switchboard.Listening;

/// <summary>Why a query was rejected, and where (1-based column in the query text).</summary>
public sealed record QueryError(int Column, string Reason)
{
    public override string ToString() => $"{Reason} at column {Column.ToString(CultureInfo.InvariantCulture)}";
}

/// <summary>Either a compiled query or the error that rejected it.</summary>
public sealed record ParseResult(CompiledQuery? Query, QueryError? Error)
{
    public bool IsValid => Query is not null;
}

/// <summary>
/// Parses the listening query language (see docs/listening.md). Precedence: NOT binds tightest, then AND (also
/// implicit, between adjacent operands), then OR; NEAR joins two positional operands and cannot be chained.
/// </summary>
public static class QueryParser
{
    /// <summary>Longest accepted query, in characters.</summary>
    public const int MaxLength = 4000;
    /// <summary>Deepest nesting of parentheses and NOTs.</summary>
    public const int MaxDepth = 12;
    /// <summary>Most terms, phrase words, wildcards and fields in one query: bounds the work per candidate post.</summary>
    public const int MaxTerms = 200;
    public const int MaxNearDistance = 100;
    public const int MaxPhraseLength = 16;
    public const int MinWildcardPrefix = 3;

    public static ParseResult Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return new ParseResult(null, new QueryError(1, "the query is empty"));
        }

        if (text.Length > MaxLength)
        {
            return new ParseResult(null, new QueryError(MaxLength + 1, $"the query is longer than {MaxLength} characters"));
        }

        try
        {
            var parser = new Parser(text);
            var root = parser.ParseQuery();
            if (!IsPositive(root))
            {
                return new ParseResult(null, new QueryError(1, "a query needs at least one positive term"));
            }

            var sb = new StringBuilder();
            root.WriteCanonical(sb);
            return new ParseResult(new CompiledQuery(text, root, sb.ToString(), parser.Leaves), null);
        }
        catch (QuerySyntaxException e)
        {
            return new ParseResult(null, e.Error);
        }
    }

    /// <summary>
    /// True when every match needs something present (a term or a field), so NOT-only branches are rejected:
    /// <c>NOT spam</c> or <c>acme OR NOT spam</c> would match almost every post.
    /// </summary>
    internal static bool IsPositive(QueryNode node) => node switch
    {
        NotNode => false,
        AndNode a => a.Children.Any(IsPositive),
        OrNode o => o.Children.All(IsPositive),
        _ => true,
    };

    private sealed class QuerySyntaxException(QueryError error) : Exception(error.ToString())
    {
        public QueryError Error { get; } = error;
    }

    private enum Kind
    {
        Operand,
        And,
        Or,
        Not,
        Near,
        LParen,
        RParen,
        End,
    }

    private readonly record struct Lexeme(Kind Kind, int Column, QueryNode? Node = null, int Distance = 0, bool Ordered = false);

    private sealed class Parser(string text)
    {
        private readonly TokenBuffer _scratch = new();
        private int _pos;
        private Lexeme? _peeked;
        private int _depth;

        public int Leaves { get; private set; }

        private static QuerySyntaxException Fail(int column, string reason) => new(new QueryError(column, reason));

        public QueryNode ParseQuery()
        {
            var node = ParseOr();
            var next = Peek();
            if (next.Kind == Kind.RParen)
            {
                throw Fail(next.Column, "unbalanced parenthesis");
            }

            if (next.Kind != Kind.End)
            {
                throw Fail(next.Column, "unexpected " + Describe(next));
            }

            return node;
        }

        private QueryNode ParseOr()
        {
            var first = ParseAnd();
            List<QueryNode>? children = null;
            while (Peek().Kind == Kind.Or)
            {
                var op = Next();
                if (!StartsOperand(Peek().Kind))
                {
                    throw Fail(op.Column, "OR needs a term on both sides");
                }

                (children ??= [first]).Add(ParseAnd());
            }

            return children is null ? first : new OrNode(Flatten<OrNode>(children), first.Column);
        }

        private QueryNode ParseAnd()
        {
            var first = ParseUnary();
            List<QueryNode>? children = null;
            while (true)
            {
                var next = Peek();
                if (next.Kind == Kind.And)
                {
                    Next();
                    if (!StartsOperand(Peek().Kind))
                    {
                        throw Fail(next.Column, "AND needs a term on both sides");
                    }
                }
                else if (!StartsOperand(next.Kind))
                {
                    break;
                }

                // Adjacent operands without an operator are joined by AND.
                (children ??= [first]).Add(ParseUnary());
            }

            return children is null ? first : new AndNode(Flatten<AndNode>(children), first.Column);
        }

        private static List<QueryNode> Flatten<T>(List<QueryNode> children) where T : QueryNode
        {
            var flat = new List<QueryNode>(children.Count);
            foreach (var c in children)
            {
                switch (c)
                {
                    case AndNode a when typeof(T) == typeof(AndNode):
                        flat.AddRange(a.Children);
                        break;
                    case OrNode o when typeof(T) == typeof(OrNode):
                        flat.AddRange(o.Children);
                        break;
                    default:
                        flat.Add(c);
                        break;
                }
            }

            return flat;
        }

        private static bool StartsOperand(Kind kind) => kind is Kind.Operand or Kind.Not or Kind.LParen;

        private QueryNode ParseUnary()
        {
            var next = Peek();
            if (next.Kind != Kind.Not)
            {
                return ParseNear();
            }

            Next();
            if (!StartsOperand(Peek().Kind))
            {
                throw Fail(next.Column, "NOT needs a term after it");
            }

            Enter(next.Column);
            var operand = ParseUnary();
            _depth--;
            return new NotNode(operand, next.Column);
        }

        private QueryNode ParseNear()
        {
            var left = ParsePrimary();
            var next = Peek();
            if (next.Kind != Kind.Near)
            {
                return left;
            }

            Next();
            if (Peek().Kind is not (Kind.Operand or Kind.LParen))
            {
                throw Fail(next.Column, "NEAR needs a term on both sides");
            }

            var right = ParsePrimary();
            CheckNearOperand(left);
            CheckNearOperand(right);
            var after = Peek();
            if (after.Kind == Kind.Near)
            {
                throw Fail(after.Column, "NEAR cannot be chained; join two NEARs with AND");
            }

            return new NearNode(left, right, next.Distance, next.Ordered, next.Column);
        }

        private static void CheckNearOperand(QueryNode node)
        {
            if (!node.IsPositional)
            {
                throw Fail(node.Column, "NEAR operands must be terms, phrases, wildcards or parenthesised OR groups of them");
            }
        }

        private QueryNode ParsePrimary()
        {
            var next = Next();
            switch (next.Kind)
            {
                case Kind.Operand:
                    return next.Node!;
                case Kind.LParen:
                    {
                        if (Peek().Kind == Kind.RParen)
                        {
                            throw Fail(next.Column, "empty parentheses");
                        }

                        Enter(next.Column);
                        var inner = ParseOr();
                        _depth--;
                        var close = Peek();
                        if (close.Kind != Kind.RParen)
                        {
                            throw Fail(next.Column, "unbalanced parenthesis");
                        }

                        Next();
                        return inner;
                    }

                case Kind.RParen:
                    throw Fail(next.Column, "unbalanced parenthesis");
                case Kind.End:
                    throw Fail(next.Column, "the query ends where a term was expected");
                default:
                    throw Fail(next.Column, $"{Describe(next)} needs a term on both sides");
            }
        }

        private void Enter(int column)
        {
            if (++_depth > MaxDepth)
            {
                throw Fail(column, $"the query is nested more than {MaxDepth} levels deep");
            }
        }

        private static string Describe(Lexeme l) => l.Kind switch
        {
            Kind.And => "AND",
            Kind.Or => "OR",
            Kind.Not => "NOT",
            Kind.Near => "NEAR",
            Kind.LParen => "'('",
            Kind.RParen => "')'",
            Kind.End => "end of query",
            _ => "term",
        };

        private Lexeme Peek() => _peeked ??= Lex();

        private Lexeme Next()
        {
            var l = Peek();
            _peeked = null;
            return l;
        }

        private Lexeme Lex()
        {
            while (_pos < text.Length && char.IsWhiteSpace(text[_pos]))
            {
                _pos++;
            }

            if (_pos >= text.Length)
            {
                return new Lexeme(Kind.End, text.Length + 1);
            }

            var start = _pos;
            var column = start + 1;
            switch (text[_pos])
            {
                case '(':
                    _pos++;
                    return new Lexeme(Kind.LParen, column);
                case ')':
                    _pos++;
                    return new Lexeme(Kind.RParen, column);
                case '"':
                    return LexPhrase(column);
            }

            while (_pos < text.Length && !char.IsWhiteSpace(text[_pos]) && text[_pos] is not ('(' or ')' or '"'))
            {
                _pos++;
            }

            var chunk = text.AsSpan(start, _pos - start);
            switch (chunk)
            {
                case "AND":
                    return new Lexeme(Kind.And, column);
                case "OR":
                    return new Lexeme(Kind.Or, column);
                case "NOT":
                    return new Lexeme(Kind.Not, column);
            }

            if (chunk.StartsWith("NEAR", StringComparison.Ordinal) && (chunk.Length == 4 || chunk[4] == '/'))
            {
                return LexNear(chunk, column);
            }

            var colon = chunk.IndexOf(':');
            if (colon > 0 && IsAsciiLetters(chunk[..colon]))
            {
                return new Lexeme(Kind.Operand, column, LexField(chunk[..colon].ToString(), chunk[(colon + 1)..], column));
            }

            var elements = new List<QueryNode>();
            LexWords(chunk, column, elements);
            return new Lexeme(Kind.Operand, column, elements.Count == 1 ? elements[0] : new PhraseNode(elements, column));
        }

        private static bool IsAsciiLetters(ReadOnlySpan<char> s)
        {
            foreach (var c in s)
            {
                if (!char.IsAsciiLetter(c))
                {
                    return false;
                }
            }

            return true;
        }

        private static Lexeme LexNear(ReadOnlySpan<char> chunk, int column)
        {
            const string Help = "NEAR needs a distance, e.g. NEAR/3";
            if (chunk.Length <= 5)
            {
                throw Fail(column, Help);
            }

            var digits = chunk[5..];
            var ordered = digits.EndsWith('f');
            if (ordered)
            {
                digits = digits[..^1];
            }

            if (digits.Length == 0 || digits.Length > 6 || !int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var distance))
            {
                throw Fail(column, Help);
            }

            if (distance < 1 || distance > MaxNearDistance)
            {
                throw Fail(column, $"NEAR distance must be between 1 and {MaxNearDistance}");
            }

            return new Lexeme(Kind.Near, column, null, distance, ordered);
        }

        private Lexeme LexPhrase(int column)
        {
            var close = text.IndexOf('"', _pos + 1);
            if (close < 0)
            {
                throw Fail(column, "unclosed quote");
            }

            var contentStart = _pos + 1;
            _pos = close + 1;
            var elements = new List<QueryNode>();
            var i = contentStart;
            while (i < close)
            {
                while (i < close && char.IsWhiteSpace(text[i]))
                {
                    i++;
                }

                var s = i;
                while (i < close && !char.IsWhiteSpace(text[i]))
                {
                    i++;
                }

                if (i > s)
                {
                    LexWords(text.AsSpan(s, i - s), s + 1, elements);
                }
            }

            if (elements.Count == 0)
            {
                throw Fail(column, "empty phrase");
            }

            if (elements.Count > MaxPhraseLength)
            {
                throw Fail(column, $"a phrase can have at most {MaxPhraseLength} words");
            }

            return new Lexeme(Kind.Operand, column, elements.Count == 1 ? elements[0] : new PhraseNode(elements, column));
        }

        /// <summary>
        /// Turns one whitespace-free chunk into terms exactly as post text is tokenized, so <c>acme's</c> becomes
        /// the phrase "acme s" and <c>#acme</c> a hashtag; a trailing <c>*</c> makes the last token a wildcard.
        /// </summary>
        private void LexWords(ReadOnlySpan<char> chunk, int column, List<QueryNode> into)
        {
            var star = chunk.IndexOf('*');
            var wildcard = false;
            if (star >= 0)
            {
                if (star != chunk.Length - 1)
                {
                    throw Fail(column + star, "* is only allowed at the end of a word");
                }

                wildcard = true;
                chunk = chunk[..^1];
            }

            Tokenizer.Tokenize(chunk, _scratch);
            if (_scratch.Count == 0)
            {
                if (wildcard)
                {
                    throw Fail(column, $"a wildcard needs at least {MinWildcardPrefix} characters before *");
                }

                throw Fail(column, $"'{chunk.ToString()}' has no letters, digits or emoji to match");
            }

            for (var p = 0; p < _scratch.Count; p++)
            {
                var token = _scratch.Tokens[p];
                var scope = token.Kind switch { TokenKind.Hashtag => TermScope.Hashtag, TokenKind.Mention => TermScope.Mention, _ => TermScope.Any };
                var folded = _scratch.Text(p).ToString();
                var col = column + token.SourceStart - (scope == TermScope.Any ? 0 : 1);
                if (wildcard && p == _scratch.Count - 1)
                {
                    if (token.Kind == TokenKind.Emoji || token.SourceStart + token.SourceLength != chunk.Length || folded.Length < MinWildcardPrefix)
                    {
                        throw Fail(col, $"a wildcard needs at least {MinWildcardPrefix} characters before *");
                    }

                    into.Add(new WildcardNode(folded, scope, col));
                }
                else
                {
                    into.Add(new TermNode(folded, scope, col));
                }

                if (++Leaves > MaxTerms)
                {
                    throw Fail(col, $"a query can have at most {MaxTerms} terms");
                }
            }
        }

        private FieldNode LexField(string name, ReadOnlySpan<char> value, int column)
        {
            QueryField field = name.ToLowerInvariant() switch
            {
                "lang" => QueryField.Lang,
                "channel" => QueryField.Channel,
                "author" => QueryField.Author,
                "site" => QueryField.Site,
                "followers" => QueryField.Followers,
                "verified" => QueryField.Verified,
                _ => throw Fail(column, $"unknown field '{name}' (known: lang, channel, author, site, followers, verified)"),
            };
            var valueColumn = column + name.Length + 1;
            if (value.IsEmpty)
            {
                throw Fail(valueColumn, $"{name}: needs a value");
            }

            if (++Leaves > MaxTerms)
            {
                throw Fail(column, $"a query can have at most {MaxTerms} terms");
            }

            switch (field)
            {
                case QueryField.Followers:
                    {
                        var opLength = value.StartsWith(">=") || value.StartsWith("<=") ? 2 : value.Length > 0 && value[0] is '>' or '<' or '=' ? 1 : 0;
                        var cmp = value[..opLength] switch
                        {
                            ">=" => Comparison.GreaterOrEqual,
                            "<=" => Comparison.LessOrEqual,
                            ">" => Comparison.Greater,
                            "<" => Comparison.Less,
                            _ => Comparison.Equal,
                        };
                        var rest = value[opLength..];
                        if (!long.TryParse(rest, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
                        {
                            throw Fail(valueColumn, "followers: needs a number, e.g. followers:>1000");
                        }

                        return new FieldNode(field, "", cmp, n, column);
                    }

                case QueryField.Verified:
                    {
                        var v = value.ToString().ToLowerInvariant();
                        if (v is not ("true" or "false"))
                        {
                            throw Fail(valueColumn, "verified: needs true or false");
                        }

                        return new FieldNode(field, v, Comparison.Equal, 0, column);
                    }

                case QueryField.Author:
                    {
                        var v = value.TrimStart('@').ToString().ToLowerInvariant();
                        if (v.Length == 0)
                        {
                            throw Fail(valueColumn, "author: needs a handle");
                        }

                        return new FieldNode(field, v, Comparison.Equal, 0, column);
                    }

                case QueryField.Site:
                    {
                        var v = value.Trim('.').ToString().ToLowerInvariant();
                        if (v.Length == 0 || v.Contains("..", StringComparison.Ordinal) || v.Contains('/', StringComparison.Ordinal))
                        {
                            throw Fail(valueColumn, "site: needs a host name, e.g. site:example.com");
                        }

                        return new FieldNode(field, v, Comparison.Equal, 0, column);
                    }

                default:
                    return new FieldNode(field, value.ToString().ToLowerInvariant(), Comparison.Equal, 0, column);
            }
        }
    }
}
