using Switchboard.Posts;
using Xunit;

namespace Switchboard.Tests.Posts;

public class PostFilesTests
{
    private static List<PostRecord> Read(string text, PostReadOptions? options = null) =>
        PostFiles.Read(new StringReader(text), options).ToList();

    [Fact]
    public void Reads_a_full_jsonl_post_and_ignores_unknown_fields()
    {
        var r = Read("""{"id":"1","channel":"Mastodon","text":"hi","created_at":"2026-11-22T10:00:00Z","author":{"id":"a","handle":"ann","name":"Ann","followers":120,"verified":true},"lang":"en","url":"https://x.example/1","in_reply_to":"0","extra":{"x":1}}""");
        var post = Assert.Single(r).Post!;
        Assert.Equal("1", post.Id);
        Assert.Equal("mastodon", post.Channel);
        Assert.Equal(new DateTimeOffset(2026, 11, 22, 10, 0, 0, TimeSpan.Zero), post.CreatedAt);
        Assert.Equal(120, post.Author!.Followers);
        Assert.True(post.Author.Verified);
        Assert.Equal("0", post.InReplyTo);
    }

    [Theory]
    [InlineData("""{"channel":"x","text":"t"}""", "line 1: 'id' is required")]
    [InlineData("""{"id":"1","text":"t"}""", "line 1: 'channel' is required")]
    [InlineData("""{"id":"1","channel":"x"}""", "line 1: 'text' is required")]
    [InlineData("""{"id":"1","channel":"x","text":5}""", "line 1: 'text' must be a string, found a number")]
    [InlineData("""{"id":"1","channel":"x","text":"t","author":{"followers":"many"}}""", "line 1: 'author.followers' must be a whole number")]
    [InlineData("""{"id":"1","channel":"x","text":"t","created_at":"yesterday"}""", "line 1: 'created_at' must be an ISO-8601 timestamp")]
    [InlineData("""[1,2]""", "line 1: expected a JSON object, found an array")]
    [InlineData("""{"id":"1", "channel":""", "line 1, column")]
    [InlineData("""{"id":1.5,"channel":"x","text":"t"}""", "line 1: 'id' must be a string or a whole number")]
    public void Malformed_lines_report_their_line_and_reason(string line, string expected)
    {
        var r = Assert.Single(Read(line));
        Assert.Null(r.Post);
        Assert.StartsWith(expected, r.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"text":"abc" ?}""", 15)]
    [InlineData("""{"text":"ééé" ?}""", 15)]
    [InlineData("""{"text":"😀😀" ?}""", 14)]
    [InlineData("""{"text":"日本語" ?}""", 15)]
    public void The_column_of_a_json_error_counts_characters_not_bytes(string line, int column)
    {
        // The error is at the stray '?': the same place for an editor whatever the letters before it are made of.
        Assert.Equal(column, line.EnumerateRunes().TakeWhile(r => r.Value != '?').Count() + 1);
        var r = Assert.Single(Read(line));
        Assert.StartsWith($"line 1, column {column}: invalid JSON", r.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_lines_do_not_stop_the_good_ones_and_blank_lines_are_skipped()
    {
        var r = Read("{\"id\":\"1\",\"channel\":\"x\",\"text\":\"a\"}\n\nnot json\n{\"id\":\"2\",\"channel\":\"x\",\"text\":\"b\"}\n");
        Assert.Equal(3, r.Count);
        Assert.Equal(["1", "2"], r.Where(x => x.Post is not null).Select(x => x.Post!.Id));
        Assert.Equal(3, r.Single(x => x.Error is not null).Line);
    }

    [Fact]
    public void An_oversized_line_is_refused_without_losing_the_next()
    {
        var huge = "{\"id\":\"1\",\"channel\":\"x\",\"text\":\"" + new string('a', PostFiles.MaxLineLength + 10) + "\"}";
        var r = Read(huge + "\n{\"id\":\"2\",\"channel\":\"x\",\"text\":\"b\"}\n");
        Assert.Contains("longer than", r[0].Error, StringComparison.Ordinal);
        Assert.Equal("2", r[1].Post!.Id);
    }

    [Fact]
    public void Hostile_nesting_is_an_error_not_a_crash()
    {
        var deep = "{\"id\":\"1\",\"channel\":\"x\",\"text\":\"t\",\"n\":" + new string('[', 5000) + new string(']', 5000) + "}";
        Assert.NotNull(Assert.Single(Read(deep)).Error);
    }

    [Fact]
    public void Twcs_rows_become_posts_with_reply_links_and_direction()
    {
        const string csv = ",tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id\r\n" +
            "0,1,sprintcare,False,Tue Oct 31 22:10:47 +0000 2017,@115712 I understand &amp; agree.,2,3.0\r\n" +
            "1,3,115712,True,Tue Oct 31 22:08:27 +0000 2017,\"multi\r\rline\",1,\r\n";
        var r = Read(csv);
        Assert.All(r, x => Assert.Null(x.Error));
        Assert.Equal("3", r[0].Post!.InReplyTo);
        Assert.True(r[0].Post!.Outgoing);
        Assert.Equal("@115712 I understand & agree.", r[0].Post!.Text);
        Assert.False(r[1].Post!.Outgoing);
        Assert.Null(r[1].Post!.InReplyTo);
        Assert.Equal("multi\r\rline", r[1].Post!.Text);
        Assert.Equal(new DateTimeOffset(2017, 10, 31, 22, 8, 27, TimeSpan.Zero), r[1].Post!.CreatedAt);
    }

    [Fact]
    public void Airline_rows_keep_their_label_columns_and_line_numbers_across_quoted_newlines()
    {
        const string csv = "tweet_id,airline_sentiment,negativereason,name,text,tweet_created\n" +
            "5,negative,Late Flight,bob,\"first\nsecond\",2015-02-24 11:35:52 -0800\n" +
            "6,positive,,amy,thanks,2015-02-24 11:35:52 -0800\n";
        var r = Read(csv);
        Assert.Equal(2, r[0].Line);
        Assert.Equal(4, r[1].Line);
        Assert.Equal("Late Flight", r[0].Fields["negativereason"]);
        Assert.Equal("first\nsecond", r[0].Post!.Text);
        Assert.Equal("bob", r[0].Post!.Author!.Handle);
    }

    [Fact]
    public void A_csv_without_the_text_column_is_refused_with_the_columns_it_has()
    {
        var r = Assert.Single(Read("a,b\n1,2\n", new PostReadOptions(TextColumn: "body")));
        Assert.Contains("no 'body' column", r.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Csv_rows_with_the_wrong_field_count_or_an_open_quote_are_reported()
    {
        var r = Read("id,text\n1,ok\n2,a,b\n3,\"never closed\n");
        Assert.Equal("1", r[0].Post!.Id);
        Assert.Contains("line 3: expected 2 fields, found 3", r[1].Error, StringComparison.Ordinal);
        Assert.Contains("line 4: unterminated quoted field", r[2].Error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bare_carriage_return_in_an_unquoted_field_is_text_when_lines_end_in_newlines()
    {
        // Regression: twcs_sample_5000.csv line 2589 holds "@AskPayPal \r\rI just love…" unquoted.
        var r = Read("id,text\n1,a\r\rb\n2,c\n");
        Assert.Equal(2, r.Count);
        Assert.Equal("a\r\rb", r[0].Post!.Text);
        Assert.Equal("2", r[1].Post!.Id);
    }

    [Fact]
    public void Classic_mac_line_endings_still_separate_records()
    {
        var r = Read("id,text\r1,a\r2,b\r");
        Assert.Equal(["1", "2"], r.Select(x => x.Post!.Id));
    }
}
