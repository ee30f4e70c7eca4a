using Switchboard.Listening;
using Switchboard.Posts;
using Xunit;

namespace Switchboard.Tests.Listening;

public class TokenizerTests
{
    private static List<string> Texts(string text) => Tokenizer.TokenizeToList(text).Select(t => t.Text).ToList();

    private static List<(string Text, TokenKind Kind)> Tokens(string text) => Tokenizer.TokenizeToList(text);

    [Theory]
    [InlineData("Café", "cafe")]
    [InlineData("CAFÉ", "cafe")]
    [InlineData("Cafe\u0301", "cafe")]
    [InlineData("naïve", "naive")]
    [InlineData("Ωμέγα", "ωμεγα")]
    [InlineData("ПРИВЕТ", "привет")]
    [InlineData("ＡＣＭＥ", "acme")]
    [InlineData("Straße", "straße")]
    [InlineData("İstanbul", "istanbul")]
    public void Folds_case_and_diacritics(string text, string expected) => Assert.Equal([expected], Texts(text));

    [Fact]
    public void Apostrophe_splits_a_word() => Assert.Equal(["acme", "s", "refund"], Texts("Acme's refund"));

    [Fact]
    public void Punctuation_separates_and_is_dropped() =>
        Assert.Equal(["hello", "world", "foo", "bar", "1", "5"], Texts("hello,world!foo...bar (1.5)"));

    [Fact]
    public void Letters_digits_and_underscore_form_one_run() => Assert.Equal(["foo_bar42", "x"], Texts("foo_bar42-x"));

    [Fact]
    public void Scripts_without_spaces_stay_one_run() => Assert.Equal(["東京タワー"], Texts("東京タワー"));

    [Fact]
    public void Hashtags_and_mentions_are_runs_after_the_sigil()
    {
        Assert.Equal(
            [("acme", TokenKind.Hashtag), ("acme", TokenKind.Mention), ("acme", TokenKind.Word), ("x", TokenKind.Hashtag)],
            Tokens("#Acme @acme acme ##x"));
    }

    [Fact]
    public void A_lone_sigil_is_not_a_token() => Assert.Empty(Tokens("# @ - !"));

    [Fact]
    public void Each_emoji_is_a_token_of_its_own()
    {
        var tokens = Tokens("I❤️acme😀😀");
        Assert.Equal(["i", "❤", "acme", "😀", "😀"], tokens.Select(t => t.Text));
        Assert.Equal(TokenKind.Emoji, tokens[1].Kind);
        Assert.Equal(TokenKind.Emoji, tokens[4].Kind);
    }

    [Fact]
    public void Skin_tones_and_variation_selectors_fold_away() => Assert.Equal(["👍", "👍", "❤", "❤"], Texts("👍🏽👍 ❤️❤"));

    [Fact]
    public void Zwj_sequences_and_flags_are_single_tokens()
    {
        Assert.Equal(["👨\u200d💻"], Texts("👨‍💻"));
        Assert.Equal(["🇫🇷", "🇩🇪"], Texts("🇫🇷🇩🇪"));
    }

    [Fact]
    public void Hashtag_sigil_before_an_emoji_is_ignored() => Assert.Equal([("😀", TokenKind.Emoji)], Tokens("#😀"));

    [Fact]
    public void Astral_letters_are_words() => Assert.Equal(["𝐀𝐁"], Texts("𝐀𝐁"));

    [Fact]
    public void Url_hosts_are_collected_and_url_words_stay_tokens()
    {
        var buffer = new TokenBuffer();
        Tokenizer.Tokenize("see https://user@Sub.Example.com:8080/a?b=1, and www.acme.co.uk/x and http://nohost", buffer);
        Assert.Equal(["sub.example.com", "www.acme.co.uk"], buffer.Hosts);
        Assert.Contains("example", Enumerable.Range(0, buffer.Count).Select(p => buffer.Text(p).ToString()));
    }

    [Fact]
    public void Post_url_host_is_collected()
    {
        var doc = PostDocument.From(new Post("1", "web", "hello", Url: "https://blog.acme.com/post/1"));
        Assert.Equal(["blog.acme.com"], doc.Hosts);
    }

    [Fact]
    public void Hostile_input_does_not_crash()
    {
        var random = new Random(7);
        var chars = new char[5000];
        for (var i = 0; i < chars.Length; i++)
        {
            chars[i] = (char)random.Next(0, 0x10000);
        }

        var buffer = new TokenBuffer();
        Tokenizer.Tokenize(new string(chars), buffer);
        Tokenizer.Tokenize("\ud83d", buffer);
        Assert.Equal(0, buffer.Count);
        Tokenizer.Tokenize(new string('a', 200_000), buffer);
        Assert.Equal(1, buffer.Count);
    }

    [Fact]
    public void Positions_are_token_indexes()
    {
        var doc = PostDocument.From(new Post("1", "x", "Acme, #acme @acme 😀"));
        Assert.Equal(4, doc.TokenCount);
        Assert.Equal("#acme", doc.TokenText(1));
        Assert.Equal("@acme", doc.TokenText(2));
    }
}
