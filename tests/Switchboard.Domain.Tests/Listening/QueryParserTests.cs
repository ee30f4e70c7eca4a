using Switchboard.Listening;
using Xunit;

namespace Switchboard.Tests.Listening;

public class QueryParserTests
{
    private static QueryError Error(string query)
    {
        var result = QueryParser.Parse(query);
        Assert.False(result.IsValid, $"expected '{query}' to be rejected");
        return result.Error!;
    }

    private static string Canonical(string query)
    {
        var result = QueryParser.Parse(query);
        Assert.True(result.IsValid, result.Error?.ToString());
        return result.Query!.Canonical;
    }

    [Theory]
    [InlineData("(acme OR foo", 1, "unbalanced parenthesis")]
    [InlineData("acme OR (foo AND (bar)", 9, "unbalanced parenthesis")]
    [InlineData("acme OR foo) bar", 12, "unbalanced parenthesis")]
    [InlineData("acme NEAR foo", 6, "NEAR needs a distance, e.g. NEAR/3")]
    [InlineData("acme NEAR/ foo", 6, "NEAR needs a distance, e.g. NEAR/3")]
    [InlineData("acme NEAR/x foo", 6, "NEAR needs a distance, e.g. NEAR/3")]
    [InlineData("acme NEAR/3x foo", 6, "NEAR needs a distance, e.g. NEAR/3")]
    [InlineData("acme NEAR/0 foo", 6, "NEAR distance must be between 1 and 100")]
    [InlineData("acme NEAR/101 foo", 6, "NEAR distance must be between 1 and 100")]
    [InlineData("acme re*", 6, "a wildcard needs at least 3 characters before *")]
    [InlineData("acme *", 6, "a wildcard needs at least 3 characters before *")]
    [InlineData("acme.*", 1, "a wildcard needs at least 3 characters before *")]
    [InlineData("😀*", 1, "a wildcard needs at least 3 characters before *")]
    [InlineData("acme ac*me", 8, "* is only allowed at the end of a word")]
    [InlineData("acme **", 6, "* is only allowed at the end of a word")]
    [InlineData("NOT spam", 1, "a query needs at least one positive term")]
    [InlineData("acme OR NOT spam", 1, "a query needs at least one positive term")]
    [InlineData("NOT (acme AND foo)", 1, "a query needs at least one positive term")]
    [InlineData("acme \"great support", 6, "unclosed quote")]
    [InlineData("acme \"  \"", 6, "empty phrase")]
    [InlineData("acme ()", 6, "empty parentheses")]
    [InlineData("acme AND", 6, "AND needs a term on both sides")]
    [InlineData("AND acme", 1, "AND needs a term on both sides")]
    [InlineData("acme OR", 6, "OR needs a term on both sides")]
    [InlineData("acme OR OR foo", 6, "OR needs a term on both sides")]
    [InlineData("acme NOT", 6, "NOT needs a term after it")]
    [InlineData("acme NEAR/3", 6, "NEAR needs a term on both sides")]
    [InlineData("NEAR/3 acme", 1, "NEAR needs a term on both sides")]
    [InlineData("(acme AND foo) NEAR/3 bar", 2, "NEAR operands must be terms, phrases, wildcards or parenthesised OR groups of them")]
    [InlineData("acme NEAR/3 lang:en", 13, "NEAR operands must be terms, phrases, wildcards or parenthesised OR groups of them")]
    [InlineData("a NEAR/3 b NEAR/3 c", 12, "NEAR cannot be chained; join two NEARs with AND")]
    [InlineData("acme foo:bar", 6, "unknown field 'foo' (known: lang, channel, author, site, followers, verified)")]
    [InlineData("acme lang:", 11, "lang: needs a value")]
    [InlineData("followers:>lots", 11, "followers: needs a number, e.g. followers:>1000")]
    [InlineData("verified:maybe", 10, "verified: needs true or false")]
    [InlineData("site:a..b", 6, "site: needs a host name, e.g. site:example.com")]
    [InlineData("acme -", 6, "'-' has no letters, digits or emoji to match")]
    [InlineData("   ", 1, "the query is empty")]
    public void Rejects_with_column_and_reason(string query, int column, string reason)
    {
        var error = Error(query);
        Assert.Equal(reason, error.Reason);
        Assert.Equal(column, error.Column);
        Assert.Equal($"{reason} at column {column}", error.ToString());
    }

    [Fact]
    public void Rejects_overlong_queries()
    {
        var error = Error(string.Join(" OR ", Enumerable.Repeat("acme", 1000)));
        Assert.Equal(QueryParser.MaxLength + 1, error.Column);
        Assert.Contains("longer than", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Rejects_deep_nesting()
    {
        var depth = QueryParser.MaxDepth + 1;
        var query = new string('(', depth) + "acme" + new string(')', depth);
        var error = Error(query);
        Assert.Equal(QueryParser.MaxDepth + 1, error.Column);
        Assert.Contains("nested", error.Reason, StringComparison.Ordinal);
        Assert.True(QueryParser.Parse(new string('(', QueryParser.MaxDepth) + "acme" + new string(')', QueryParser.MaxDepth)).IsValid);
    }

    [Fact]
    public void Rejects_deep_not_chains_without_stack_overflow()
    {
        var query = "acme " + string.Concat(Enumerable.Repeat("NOT ", 500)) + "spam";
        Assert.Contains("nested", Error(query).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Rejects_too_many_terms()
    {
        var query = string.Join(' ', Enumerable.Range(0, QueryParser.MaxTerms + 1).Select(i => "w" + i));
        Assert.Contains("at most", Error(query).Reason, StringComparison.Ordinal);
        Assert.True(QueryParser.Parse(string.Join(' ', Enumerable.Range(0, QueryParser.MaxTerms).Select(i => "w" + i))).IsValid);
    }

    [Fact]
    public void Rejects_long_phrases() =>
        Assert.Contains("phrase", Error("\"" + string.Join(' ', Enumerable.Range(0, 17).Select(i => "w" + i)) + "\"").Reason, StringComparison.Ordinal);

    [Fact]
    public void Implicit_and_equals_explicit_and() => Assert.Equal(Canonical("acme refund"), Canonical("acme AND refund"));

    [Fact]
    public void Not_binds_tighter_than_and_which_binds_tighter_than_or()
    {
        Assert.Equal(Canonical("(NOT a) AND b"), Canonical("NOT a b"));
        Assert.Equal(Canonical("a OR (b AND c)"), Canonical("a OR b c"));
        Assert.Equal(Canonical("a OR (b AND NOT c)"), Canonical("a OR b NOT c"));
        Assert.NotEqual(Canonical("(a OR b) c"), Canonical("a OR b c"));
    }

    [Fact]
    public void Lowercase_operators_are_terms()
    {
        var root = (AndNode)QueryParser.Parse("acme and foo").Query!.Root;
        Assert.Equal(["acme", "and", "foo"], root.Children.Cast<TermNode>().Select(t => t.Text));
    }

    [Fact]
    public void Terms_are_folded_like_text()
    {
        var term = (TermNode)QueryParser.Parse("CAFÉ").Query!.Root;
        Assert.Equal("cafe", term.Text);
        var hashtag = (TermNode)QueryParser.Parse("#Acme").Query!.Root;
        Assert.Equal(TermScope.Hashtag, hashtag.Scope);
        var mention = (TermNode)QueryParser.Parse("@Acme").Query!.Root;
        Assert.Equal(TermScope.Mention, mention.Scope);
    }

    [Fact]
    public void Punctuated_words_become_phrases()
    {
        var phrase = Assert.IsType<PhraseNode>(QueryParser.Parse("acme's").Query!.Root);
        Assert.Equal(["acme", "s"], phrase.Elements.Cast<TermNode>().Select(t => t.Text));
    }

    [Fact]
    public void Phrases_may_end_words_with_wildcards()
    {
        var phrase = Assert.IsType<PhraseNode>(QueryParser.Parse("\"refund* please\"").Query!.Root);
        Assert.IsType<WildcardNode>(phrase.Elements[0]);
        Assert.IsType<TermNode>(phrase.Elements[1]);
    }

    [Fact]
    public void Near_parses_distance_and_order()
    {
        var near = Assert.IsType<NearNode>(QueryParser.Parse("(acme OR acmecorp) NEAR/5f (refund* OR broken)").Query!.Root);
        Assert.Equal(5, near.Distance);
        Assert.True(near.Ordered);
        Assert.IsType<OrNode>(near.Left);
        Assert.IsType<OrNode>(near.Right);
    }

    [Fact]
    public void Fields_parse_case_insensitively()
    {
        var f = Assert.IsType<FieldNode>(QueryParser.Parse("Author:@AcmeHelp").Query!.Root);
        Assert.Equal(QueryField.Author, f.Field);
        Assert.Equal("acmehelp", f.Value);
        var followers = Assert.IsType<FieldNode>(QueryParser.Parse("followers:>=1000").Query!.Root);
        Assert.Equal(Comparison.GreaterOrEqual, followers.Comparison);
        Assert.Equal(1000, followers.Number);
    }

    [Fact]
    public void Field_only_queries_are_positive() => Assert.True(QueryParser.Parse("lang:en NOT verified:true").IsValid);

    [Fact]
    public void Hostile_random_queries_never_throw()
    {
        var seed = Environment.TickCount;
        Console.WriteLine($"Hostile_random_queries_never_throw seed={seed}");
        var random = new Random(seed);
        const string alphabet = "ab *()\"#@:NEAR/3fANDORNOT😀é-";
        for (var i = 0; i < 3000; i++)
        {
            var chars = new char[random.Next(0, 40)];
            for (var j = 0; j < chars.Length; j++)
            {
                chars[j] = alphabet[random.Next(alphabet.Length)];
            }

            var result = QueryParser.Parse(new string(chars));
            Assert.True(result.IsValid ^ (result.Error is not null), $"seed {seed}: '{new string(chars)}'");
            if (result.Error is { } e)
            {
                Assert.InRange(e.Column, 1, chars.Length + 1);
            }
        }
    }
}
