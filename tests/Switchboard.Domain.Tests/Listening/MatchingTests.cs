using Switchboard.Listening;
using Switchboard.Posts;
using Xunit;

namespace Switchboard.Tests.Listening;

/// <summary>Every rule of the language, checked on both the reference evaluator and the index.</summary>
public class MatchingTests
{
    private static bool Matches(string query, Post post)
    {
        var parsed = QueryParser.Parse(query);
        Assert.True(parsed.IsValid, parsed.Error?.ToString());
        var doc = PostDocument.From(post);
        var naive = parsed.Query!.Matches(doc);
        var index = new ListeningIndex();
        index.Upsert("q", parsed.Query);
        var indexed = index.Match(doc).Count == 1;
        Assert.True(naive == indexed, $"reference says {naive}, index says {indexed} for {query} on {post.Text}");
        return naive;
    }

    private static bool Matches(string query, string text) => Matches(query, new Post("p", "test", text));

    [Theory]
    [InlineData("acme", "I love Acme!", true)]
    [InlineData("acme", "I love #acme", true)]
    [InlineData("acme", "ping @acme", false)]
    [InlineData("acme", "acmecorp", false)]
    [InlineData("#acme", "I love #Acme", true)]
    [InlineData("#acme", "I love acme", false)]
    [InlineData("#acme", "ping @acme", false)]
    [InlineData("@acme", "ping @ACME now", true)]
    [InlineData("@acme", "ping acme #acme", false)]
    public void Terms_hashtags_and_mentions(string query, string text, bool expected) => Assert.Equal(expected, Matches(query, text));

    [Theory]
    [InlineData("cafe", "Best Café in town", true)]
    [InlineData("CAFÉ", "best cafe", true)]
    [InlineData("naïve", "so naive", true)]
    [InlineData("ＡＣＭＥ", "acme", true)]
    [InlineData("привет", "ПРИВЕТ мир", true)]
    public void Case_and_diacritics_are_ignored(string query, string text, bool expected) => Assert.Equal(expected, Matches(query, text));

    [Theory]
    [InlineData("😀", "great 😀", true)]
    [InlineData("😀", "great 😃", false)]
    [InlineData("👍", "ok 👍🏽", true)]
    [InlineData("❤️", "I❤acme", true)]
    [InlineData("acme NEAR/1 ❤", "acme❤", true)]
    [InlineData("\"love 😀\"", "love😀", true)]
    public void Emoji(string query, string text, bool expected) => Assert.Equal(expected, Matches(query, text));

    [Theory]
    [InlineData("\"acme support\"", "Acme support is slow", true)]
    [InlineData("\"acme support\"", "acme, support!", true)]
    [InlineData("\"acme support\"", "acme great support", false)]
    [InlineData("\"acme support\"", "support acme", false)]
    [InlineData("\"acme support\"", "#acme support", true)]
    [InlineData("\"acme support\"", "@acme support", false)]
    [InlineData("acme's", "acme s", true)]
    [InlineData("\"acme acme\"", "acme x acme", false)]
    [InlineData("\"acme acme\"", "acme acme", true)]
    [InlineData("\"refund* please\"", "refunds please", true)]
    public void Phrases(string query, string text, bool expected) => Assert.Equal(expected, Matches(query, text));

    [Theory]
    [InlineData("refund*", "refunds now", true)]
    [InlineData("refund*", "refund", true)]
    [InlineData("refund*", "#refunded", true)]
    [InlineData("refund*", "@refundbot", false)]
    [InlineData("refund*", "prerefund", false)]
    [InlineData("refund*", "refun", false)]
    [InlineData("#refund*", "refunds", false)]
    [InlineData("#refund*", "#refunds", true)]
    [InlineData("@acme*", "@acmehelp", true)]
    [InlineData("café*", "cafeteria", true)]
    public void Wildcards(string query, string text, bool expected) => Assert.Equal(expected, Matches(query, text));

    [Theory]
    [InlineData("acme refund", "refund from acme", true)]
    [InlineData("acme refund", "acme only", false)]
    [InlineData("acme OR refund", "refund only", true)]
    [InlineData("acme NOT spam", "acme deals", true)]
    [InlineData("acme NOT spam", "acme spam", false)]
    [InlineData("a OR b c", "a", true)]
    [InlineData("a OR b c", "b", false)]
    [InlineData("a OR b c", "c b", true)]
    [InlineData("NOT a b", "b", true)]
    [InlineData("NOT a b", "a b", false)]
    [InlineData("(a OR b) c", "a", false)]
    [InlineData("acme acme", "acme", true)]
    [InlineData("acme and foo", "acme foo", false)]
    [InlineData("acme and foo", "acme and foo", true)]
    public void Boolean_operators_and_precedence(string query, string text, bool expected) => Assert.Equal(expected, Matches(query, text));

    [Theory]
    [InlineData("acme NEAR/3 refund", "acme x x refund", true)]
    [InlineData("acme NEAR/2 refund", "acme x x refund", false)]
    [InlineData("acme NEAR/1 refund", "acme refund", true)]
    [InlineData("acme NEAR/3 refund", "refund x x acme", true)]
    [InlineData("acme NEAR/3f refund", "refund x x acme", false)]
    [InlineData("acme NEAR/3f refund", "acme x x refund", true)]
    [InlineData("acme NEAR/3f refund", "refund acme x refund", true)]
    [InlineData("acme NEAR/3 acme", "acme", false)]
    [InlineData("acme NEAR/3 acme", "acme x acme", true)]
    [InlineData("acme NEAR/1 acme*", "acme", false)]
    [InlineData("acme NEAR/1 acme*", "acme acmes", true)]
    [InlineData("\"acme support\" NEAR/1 team", "acme support team", true)]
    [InlineData("\"acme support\" NEAR/1 team", "team acme support", true)]
    [InlineData("\"acme support\" NEAR/1 acme", "acme support", false)]
    [InlineData("\"acme support\" NEAR/2 support", "acme support", false)]
    [InlineData("\"acme support\" NEAR/2 \"support team\"", "acme support team", false)]
    [InlineData("\"acme support\" NEAR/1 \"support team\"", "acme support support team", true)]
    [InlineData("(acme OR acmecorp) NEAR/5 (refund* OR broken)", "my acmecorp phone is broken", true)]
    [InlineData("(acme OR acmecorp) NEAR/2 (refund* OR broken)", "my acmecorp phone is broken", false)]
    [InlineData("(acme OR acmecorp) NEAR/5f (refund* OR broken)", "refunds for acme", false)]
    [InlineData("#acme NEAR/2 refund", "acme refund", false)]
    [InlineData("#acme NEAR/2 refund", "#acme refund", true)]
    [InlineData("acme NEAR/2 refund NOT spam", "acme refund spam", false)]
    public void Proximity(string query, string text, bool expected) => Assert.Equal(expected, Matches(query, text));

    private static Post Meta(string? lang = null, string channel = "mastodon", string? handle = null, long? followers = null,
        bool? verified = null, string text = "hello acme", string? url = null) =>
        new("p", channel, text, Lang: lang, Url: url, Author: new Author(Handle: handle, Followers: followers, Verified: verified));

    [Fact]
    public void Lang_field()
    {
        Assert.True(Matches("acme lang:en", Meta(lang: "en")));
        Assert.True(Matches("acme lang:en", Meta(lang: "en-US")));
        Assert.True(Matches("acme lang:EN-us", Meta(lang: "en-US")));
        Assert.False(Matches("acme lang:en", Meta(lang: "eng")));
        Assert.False(Matches("acme lang:en", Meta(lang: null)));
        Assert.False(Matches("lang:en-us", Meta(lang: "en")));
    }

    [Fact]
    public void Channel_field()
    {
        Assert.True(Matches("channel:Mastodon", Meta()));
        Assert.False(Matches("channel:bluesky acme", Meta()));
    }

    [Fact]
    public void Author_field_with_or_without_at()
    {
        Assert.True(Matches("author:AcmeHelp", Meta(handle: "@acmehelp")));
        Assert.True(Matches("author:@acmehelp", Meta(handle: "AcmeHelp")));
        Assert.False(Matches("author:acme", Meta(handle: "acmehelp")));
        Assert.False(Matches("author:acme", Meta(handle: null)));
    }

    [Fact]
    public void Site_field_matches_host_and_subdomains_from_text_and_post_url()
    {
        Assert.True(Matches("site:example.com", Meta(text: "look https://example.com/x")));
        Assert.True(Matches("site:example.com", Meta(text: "look https://shop.EXAMPLE.com/x")));
        Assert.True(Matches("site:example.com", Meta(text: "look www.example.com")));
        Assert.False(Matches("site:example.com", Meta(text: "look https://badexample.com/x")));
        Assert.False(Matches("site:shop.example.com", Meta(text: "look https://example.com/x")));
        Assert.True(Matches("site:acme.com acme", Meta(url: "https://blog.acme.com/p/1")));
        Assert.False(Matches("site:example.com", Meta(text: "example.com without scheme")));
    }

    [Theory]
    [InlineData("followers:>1000", 1001, true)]
    [InlineData("followers:>1000", 1000, false)]
    [InlineData("followers:>=1000", 1000, true)]
    [InlineData("followers:<10", 9, true)]
    [InlineData("followers:<10", 10, false)]
    [InlineData("followers:<=10", 10, true)]
    [InlineData("followers:=5", 5, true)]
    [InlineData("followers:5", 6, false)]
    public void Followers_field(string query, long followers, bool expected) => Assert.Equal(expected, Matches(query, Meta(followers: followers)));

    [Fact]
    public void Followers_unknown_never_matches() => Assert.False(Matches("followers:<10", Meta(followers: null)));

    [Fact]
    public void Verified_field()
    {
        Assert.True(Matches("verified:true", Meta(verified: true)));
        Assert.False(Matches("verified:true", Meta(verified: null)));
        Assert.True(Matches("verified:false", Meta(verified: null)));
        Assert.False(Matches("acme verified:false", Meta(verified: true)));
    }

    [Fact]
    public void Fields_combine_with_everything()
    {
        Assert.True(Matches("(acme OR lang:fr) NOT verified:true", Meta(lang: "fr", text: "bonjour")));
        Assert.False(Matches("acme NEAR/3 hello lang:fr", Meta(lang: "en")));
    }

    [Fact]
    public void Explanation_lists_operands_and_positions()
    {
        var query = QueryParser.Parse("acme NEAR/3 refund* lang:en NOT spam").Query!;
        var doc = PostDocument.From(new Post("p", "x", "Acme refunds, acme", Lang: "en"));
        var explanation = query.Explain(doc);
        Assert.True(explanation.IsMatch);
        var acme = explanation.Operands.Single(o => o.Operand == "acme");
        Assert.Equal([0, 2], acme.Positions);
        Assert.Equal(1, acme.Column);
        var refund = explanation.Operands.Single(o => o.Operand == "refund*");
        Assert.Equal([1], refund.Positions);
        Assert.Equal(["refunds"], refund.Tokens);
        Assert.Contains(explanation.Operands, o => o.Operand == "lang:en");
        Assert.DoesNotContain(explanation.Operands, o => o.Operand == "spam");

        var miss = query.Explain(PostDocument.From(new Post("p", "x", "acme", Lang: "en")));
        Assert.False(miss.IsMatch);
    }
}
