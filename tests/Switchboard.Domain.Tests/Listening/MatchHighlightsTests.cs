using Switchboard.Listening;
using Xunit;

namespace Switchboard.Tests.Listening;

public class MatchHighlightsTests
{
    private static List<(string Text, bool Hit)> Highlight(string query, string text)
    {
        var parsed = QueryParser.Parse(query);
        Assert.True(parsed.IsValid, parsed.Error?.ToString());
        var doc = new PostDocument();
        doc.Load(text);
        var segments = MatchHighlights.Of(parsed.Query!, doc, text);
        Assert.Equal(text, string.Concat(segments.Select(s => s.Text)));
        return [.. segments.Select(s => (s.Text, s.Hit))];
    }

    private static string[] Hits(string query, string text) => [.. Highlight(query, text).Where(s => s.Hit).Select(s => s.Text)];

    [Fact]
    public void Terms_wildcards_hashtags_and_mentions_are_marked_in_the_original_text_with_their_sigil() =>
        Assert.Equal(["#Acme", "Refunds", "@AcmeHelp"], Hits("#acme AND refund* AND @acmehelp", "Hi #Acme! Refunds? Ask @AcmeHelp."));

    [Fact]
    public void A_phrase_is_marked_whole_and_operands_under_not_are_not_marked() =>
        Assert.Equal(["ACME  support"], Hits("\"acme support\" NOT spam", "Is ACME  support open? no spam here"));

    [Fact]
    public void Diacritics_and_emoji_keep_their_original_form() =>
        Assert.Equal(["Café", "✈️"], Hits("cafe AND ✈️", "Café at the airport ✈️ today"));

    [Fact]
    public void Near_marks_only_the_occurrences_within_the_distance()
    {
        var segments = Highlight("acme NEAR/1 refund", "acme said no. refund from acme refund");
        Assert.Equal(["acme", "refund"], segments.Where(s => s.Hit).Select(s => s.Text));
        Assert.Equal("refund from ", segments.First(s => !s.Hit && s.Text.Contains("from", StringComparison.Ordinal)).Text[^12..]);
    }

    [Fact]
    public void A_post_the_query_does_not_match_has_no_marks() =>
        Assert.DoesNotContain(Highlight("acme AND refund", "acme is great"), s => s.Hit && s.Text == "refund");
}
