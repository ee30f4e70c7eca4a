using System.Globalization;
using System.Text;

namespace Switchboard.Tests.Channels;

/// <summary>
/// A small evaluator for the Python expressions in feedparser's test corpus ("not bozo and entries[0]['title'] == u'x'").
/// It covers the shapes that occur there: and/or/not, chained ==/!=/in/is comparisons, subscripts and attribute access,
/// u'' and "" strings with escapes, numbers, tuples, lists, dicts, string +. Anything else (len(), locals(), datetime…)
/// throws <see cref="NotSupportedException"/> and is classified as out of scope by the harness.
/// </summary>
internal sealed class PythonExpectation
{
    private readonly List<Token> _tokens;
    private int _pos;
    private readonly Func<string, object?> _names;

    private PythonExpectation(List<Token> tokens, Func<string, object?> names)
    {
        _tokens = tokens;
        _names = names;
    }

    internal enum Kind { Name, String, Number, Op, End }

    internal readonly record struct Token(Kind Kind, string Text, object? Value = null);

    /// <summary>Raised when a key is missing: in Python that is a KeyError, i.e. the expectation fails.</summary>
    internal sealed class MissingKeyException(string key) : Exception($"missing key '{key}'");

    public static bool Evaluate(string expression, Func<string, object?> names)
    {
        var evaluator = new PythonExpectation(Tokenize(expression), names);
        var value = evaluator.Or();
        if (evaluator.Peek.Kind != Kind.End)
            throw new NotSupportedException($"unexpected '{evaluator.Peek.Text}'");
        return Truthy(value);
    }

    /// <summary>Every access chain rooted at feed/entries, as "feed.title", "entries.links.*.href"; plus other bare names used.</summary>
    public static (List<string> Paths, HashSet<string> Names) Analyse(string expression)
    {
        var tokens = Tokenize(expression);
        var paths = new List<string>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < tokens.Count; i++)
        {
            var t = tokens[i];
            if (t.Kind != Kind.Name || (i > 0 && tokens[i - 1].Text == "."))
                continue;
            if (t.Text is not ("feed" or "entries"))
            {
                names.Add(t.Text);
                continue;
            }
            var path = new StringBuilder(t.Text);
            int j = i + 1;
            if (t.Text == "entries" && j + 2 < tokens.Count && tokens[j].Text == "[" && tokens[j + 1].Kind == Kind.Number)
                j += 3; // entries[n]
            while (j < tokens.Count)
            {
                if (tokens[j].Text == "[" && j + 2 < tokens.Count && tokens[j + 2].Text == "]")
                {
                    path.Append('.').Append(tokens[j + 1].Kind == Kind.String ? (string)tokens[j + 1].Value! : "*");
                    j += 3;
                }
                else if (tokens[j].Text == "." && j + 1 < tokens.Count && tokens[j + 1].Kind == Kind.Name)
                {
                    path.Append('.').Append(tokens[j + 1].Text);
                    j += 2;
                }
                else
                {
                    break;
                }
            }
            paths.Add(path.ToString());
        }
        return (paths, names);
    }

    private Token Peek => _tokens[_pos];

    private Token Next() => _tokens[_pos++];

    private bool Accept(string op)
    {
        if (Peek.Kind is Kind.Op or Kind.Name && Peek.Text == op)
        {
            _pos++;
            return true;
        }
        return false;
    }

    private void Expect(string op)
    {
        if (!Accept(op))
            throw new NotSupportedException($"expected '{op}' but found '{Peek.Text}'");
    }

    private object? Or()
    {
        var left = And();
        while (Accept("or"))
        {
            var right = And();
            left = Truthy(left) ? left : right;
        }
        return left;
    }

    private object? And()
    {
        var left = Not();
        while (Accept("and"))
        {
            // Python short-circuits: "not bozo and entries[0]..." must not touch entries when bozo.
            if (!Truthy(left))
            {
                SkipOperand();
                continue;
            }
            left = Not();
        }
        return left;
    }

    private void SkipOperand()
    {
        int depth = 0;
        while (Peek.Kind != Kind.End)
        {
            if (depth == 0 && (Peek.Text is "and" or "or") && Peek.Kind == Kind.Name)
                return;
            if (Peek.Text is "(" or "[" or "{")
                depth++;
            if (Peek.Text is ")" or "]" or "}")
            {
                if (depth == 0)
                    return;
                depth--;
            }
            _pos++;
        }
    }

    private object? Not() => Accept("not") ? !Truthy(Not()) : Comparison();

    private object? Comparison()
    {
        var left = Sum();
        bool result = true;
        bool any = false;
        while (true)
        {
            string? op = null;
            if (Accept("==")) op = "==";
            else if (Accept("!=")) op = "!=";
            else if (Accept("in")) op = "in";
            else if (Peek.Text == "not" && _tokens[_pos + 1].Text == "in") { _pos += 2; op = "not in"; }
            else if (Accept("is")) op = Accept("not") ? "is not" : "is";
            if (op is null)
                break;
            var right = Sum();
            any = true;
            bool holds = op switch
            {
                "==" or "is" => PyEquals(left, right),
                "!=" or "is not" => !PyEquals(left, right),
                "in" => Contains(right, left),
                _ => !Contains(right, left),
            };
            result &= holds;
            left = right;
        }
        return any ? result : left;
    }

    private static bool Contains(object? container, object? item) => container switch
    {
        string s when item is string i => s.Contains(i, StringComparison.Ordinal),
        IDictionary<string, object?> d when item is string k => d.ContainsKey(k),
        List<object?> l => l.Any(x => PyEquals(x, item)),
        _ => throw new NotSupportedException("'in' on " + container?.GetType().Name),
    };

    private object? Sum()
    {
        var left = Unary();
        while (Accept("+"))
        {
            var right = Unary();
            left = (left, right) switch
            {
                (string a, string b) => a + b,
                (long a, long b) => a + b,
                _ => throw new NotSupportedException("'+' on these operands"),
            };
        }
        return left;
    }

    private object? Unary()
    {
        if (Accept("-"))
        {
            return Unary() switch
            {
                long l => -l,
                double d => -d,
                _ => throw new NotSupportedException("unary minus"),
            };
        }
        return Postfix();
    }

    private object? Postfix()
    {
        var value = Atom();
        while (true)
        {
            if (Accept("["))
            {
                var index = Or();
                Expect("]");
                value = Subscript(value, index);
            }
            else if (Accept("."))
            {
                var name = Next();
                if (name.Kind != Kind.Name)
                    throw new NotSupportedException("attribute");
                if (Peek.Text == "(")
                    throw new NotSupportedException($"method call .{name.Text}()");
                value = Subscript(value, name.Text);
            }
            else if (Peek.Text == "(")
            {
                throw new NotSupportedException("function call");
            }
            else
            {
                return value;
            }
        }
    }

    private static object? Subscript(object? value, object? index)
    {
        switch (value)
        {
            case IDictionary<string, object?> dict when index is string key:
                return dict.TryGetValue(key, out var v) ? v : throw new MissingKeyException(key);
            case List<object?> list when index is long i:
                var at = i < 0 ? list.Count + i : i;
                return at >= 0 && at < list.Count ? list[(int)at] : throw new MissingKeyException($"[{i}]");
            case string s when index is long i:
                return s[(int)(i < 0 ? s.Length + i : i)].ToString();
            case null:
                throw new MissingKeyException(index?.ToString() ?? "None");
            default:
                throw new NotSupportedException($"subscript {value.GetType().Name}[{index}]");
        }
    }

    private object? Atom()
    {
        var t = Next();
        switch (t.Kind)
        {
            case Kind.String:
                return t.Value;
            case Kind.Number:
                return t.Value;
            case Kind.Name:
                return t.Text switch
                {
                    "None" => null,
                    "True" => true,
                    "False" => false,
                    _ => _names(t.Text),
                };
            case Kind.Op when t.Text == "(":
                if (Accept(")"))
                    return new List<object?>();
                var first = Or();
                if (Accept(")"))
                    return first;
                var tuple = new List<object?> { first };
                while (Accept(","))
                {
                    if (Peek.Text == ")")
                        break;
                    tuple.Add(Or());
                }
                Expect(")");
                return tuple;
            case Kind.Op when t.Text == "[":
                var list = new List<object?>();
                while (!Accept("]"))
                {
                    list.Add(Or());
                    Accept(",");
                }
                return list;
            case Kind.Op when t.Text == "{":
                var dict = new Dictionary<string, object?>(StringComparer.Ordinal);
                while (!Accept("}"))
                {
                    var key = Or() as string ?? throw new NotSupportedException("dict key");
                    Expect(":");
                    dict[key] = Or();
                    Accept(",");
                }
                return dict;
            default:
                throw new NotSupportedException($"unexpected '{t.Text}'");
        }
    }

    public static bool Truthy(object? value) => value switch
    {
        null => false,
        bool b => b,
        long l => l != 0,
        double d => d != 0,
        string s => s.Length > 0,
        List<object?> l => l.Count > 0,
        IDictionary<string, object?> d => d.Count > 0,
        _ => true,
    };

    public static bool PyEquals(object? a, object? b) => (a, b) switch
    {
        (null, null) => true,
        (null, _) or (_, null) => false,
        (long x, long y) => x == y,
        (bool x, bool y) => x == y,
        (bool x, long y) => (x ? 1 : 0) == y,
        (long x, bool y) => x == (y ? 1 : 0),
        (double x, double y) => x == y,
        (long x, double y) => x == y,
        (double x, long y) => x == y,
        (string x, string y) => string.Equals(x, y, StringComparison.Ordinal),
        (List<object?> x, List<object?> y) => x.Count == y.Count && x.Zip(y).All(p => PyEquals(p.First, p.Second)),
        (IDictionary<string, object?> x, IDictionary<string, object?> y) =>
            x.Count == y.Count && x.All(kv => y.TryGetValue(kv.Key, out var v) && PyEquals(kv.Value, v)),
        _ => false,
    };

    internal static List<Token> Tokenize(string s)
    {
        var tokens = new List<Token>();
        int i = 0;
        while (i < s.Length)
        {
            char c = s[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
                continue;
            }
            if ((c is 'u' or 'U' or 'r' or 'R' or 'b' or 'B') && i + 1 < s.Length && s[i + 1] is '\'' or '"')
            {
                bool raw = c is 'r' or 'R';
                i++;
                tokens.Add(new Token(Kind.String, "str", ReadString(s, ref i, raw)));
                continue;
            }
            if (c is '\'' or '"')
            {
                tokens.Add(new Token(Kind.String, "str", ReadString(s, ref i, raw: false)));
                continue;
            }
            if (char.IsAsciiDigit(c))
            {
                int start = i;
                while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] is '.' or 'e' or 'E'))
                    i++;
                var text = s[start..i];
                object value = text.Contains('.', StringComparison.Ordinal) || text.Contains('e', StringComparison.OrdinalIgnoreCase)
                    ? (object)double.Parse(text, CultureInfo.InvariantCulture)
                    : long.Parse(text, CultureInfo.InvariantCulture);
                tokens.Add(new Token(Kind.Number, text, value));
                continue;
            }
            if (char.IsLetter(c) || c == '_')
            {
                int start = i;
                while (i < s.Length && (char.IsLetterOrDigit(s[i]) || s[i] == '_'))
                    i++;
                tokens.Add(new Token(Kind.Name, s[start..i]));
                continue;
            }
            if (i + 1 < s.Length && s.Substring(i, 2) is "==" or "!=" or "<=" or ">=")
            {
                tokens.Add(new Token(Kind.Op, s.Substring(i, 2)));
                i += 2;
                continue;
            }
            tokens.Add(new Token(Kind.Op, c.ToString()));
            i++;
        }
        tokens.Add(new Token(Kind.End, "<end>"));
        return tokens;
    }

    private static string ReadString(string s, ref int i, bool raw)
    {
        char quote = s[i++];
        var sb = new StringBuilder();
        while (i < s.Length && s[i] != quote)
        {
            char c = s[i++];
            if (c != '\\' || raw || i >= s.Length)
            {
                sb.Append(c);
                continue;
            }
            char e = s[i++];
            switch (e)
            {
                case 'n': sb.Append('\n'); break;
                case 't': sb.Append('\t'); break;
                case 'r': sb.Append('\r'); break;
                case '0': sb.Append('\0'); break;
                case 'x': sb.Append((char)Convert.ToInt32(s.Substring(i, 2), 16)); i += 2; break;
                case 'u': sb.Append((char)Convert.ToInt32(s.Substring(i, 4), 16)); i += 4; break;
                case 'U': sb.Append(char.ConvertFromUtf32(Convert.ToInt32(s.Substring(i, 8), 16))); i += 8; break;
                case '\\' or '\'' or '"': sb.Append(e); break;
                default: sb.Append('\\').Append(e); break;
            }
        }
        if (i >= s.Length)
            throw new NotSupportedException("unterminated string");
        i++;
        return sb.ToString();
    }
}
