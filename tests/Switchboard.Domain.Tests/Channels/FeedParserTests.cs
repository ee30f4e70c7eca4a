using System.Text;
using Switchboard.Channels.Feeds;
using Xunit;

namespace Switchboard.Tests.Channels;

public class FeedParserTests
{
    /// <summary>An endless stream of feed-looking bytes: a "100 MB feed" without allocating it.</summary>
    private sealed class EndlessFeedStream : Stream
    {
        private static readonly byte[] Head = Encoding.UTF8.GetBytes("<rss version=\"2.0\"><channel><title>x</title>");
        private static readonly byte[] Item = Encoding.UTF8.GetBytes("<item><title>spam</title><description>aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa</description></item>");
        private long _position;
        public long Served => _position;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count)
        {
            for (int i = 0; i < count; i++, _position++)
                buffer[offset + i] = _position < Head.Length ? Head[_position] : Item[(_position - Head.Length) % Item.Length];
            return count;
        }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    [Fact]
    public void An_endless_feed_stops_at_the_byte_limit_with_bounded_reading()
    {
        var stream = new EndlessFeedStream();
        var result = FeedParser.Parse(stream, new FeedParseOptions { MaxBytes = 2 * 1024 * 1024 });
        Assert.Null(result.Feed);
        Assert.Contains("larger than the limit", result.Error!.Reason, StringComparison.Ordinal);
        Assert.True(stream.Served < 3 * 1024 * 1024, $"read {stream.Served} bytes");
    }

    [Theory]
    [InlineData("hello world", 1, 1)]
    [InlineData("<rss><channel><item><title>x</title></item></channel>", 1, 54)]
    public void A_document_that_is_not_xml_states_its_position_once(string xml, int line, int column)
    {
        var error = FeedParser.Parse(xml).Error!;
        Assert.Equal((line, column), (error.Line, error.Column));
        Assert.DoesNotContain("position", error.Reason, StringComparison.Ordinal);
        Assert.StartsWith($"line {line}, column {column}: ", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void External_entities_are_never_resolved()
    {
        var path = Path.GetTempFileName();
        File.WriteAllText(path, "SECRET-CONTENT");
        try
        {
            var xml = $"<?xml version=\"1.0\"?><!DOCTYPE rss [<!ENTITY x SYSTEM \"file://{path}\">]><rss><channel><title>&x;</title></channel></rss>";
            var result = FeedParser.Parse(xml);
            Assert.Null(result.Feed);
            Assert.DoesNotContain("SECRET", result.Error!.Reason, StringComparison.Ordinal);
            Assert.True(result.Error.Line > 0);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Reads_atom_entries_with_thread_reply_and_dedupe_keys()
    {
        const string atom = """
            <feed xmlns="http://www.w3.org/2005/Atom" xmlns:thr="http://purl.org/syndication/thread/1.0" xml:base="https://blog.example/">
              <title>Comments on: Delays</title><link href="/2026/delays"/>
              <entry><id>tag:blog.example,2026:c1</id><title>Re: Delays</title><link href="comments/1"/>
                <published>2026-11-21T10:00:00+02:00</published><updated>2026-11-21T11:00:00Z</updated>
                <author><name>Bo</name><email>bo@example.com</email></author>
                <thr:in-reply-to ref="tag:blog.example,2026:post"/>
                <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">I <b>agree</b> <a href="/x">here</a></div></content></entry>
              <entry><title>No id</title><link href="https://blog.example/a"/><summary>text</summary></entry>
            </feed>
            """;
        var feed = FeedParser.Parse(atom).Feed!;
        Assert.Equal(FeedFormat.Atom10, feed.Format);
        Assert.Equal("https://blog.example/2026/delays", feed.Link);
        var first = feed.Entries[0];
        Assert.Equal("https://blog.example/comments/1", first.Link);
        Assert.Equal(new DateTimeOffset(2026, 11, 21, 8, 0, 0, TimeSpan.Zero), first.Published);
        Assert.Equal("Bo (bo@example.com)", first.Author);
        Assert.Equal("tag:blog.example,2026:post", first.InReplyTo);
        Assert.Equal("I <b>agree</b> <a href=\"https://blog.example/x\">here</a>", first.Content);
        Assert.Equal("id:tag:blog.example,2026:c1", first.DedupeKey);
        var second = feed.Entries[1];
        Assert.StartsWith("link:https://blog.example/a#", second.DedupeKey, StringComparison.Ordinal);
        Assert.NotEqual(second.DedupeKey, (second with { Summary = "edited", Content = "edited" }).DedupeKey);
    }

    [Theory]
    [InlineData("Thu, 01 Jan 2004 19:48:21 GMT", "2004-01-01T19:48:21Z")]
    [InlineData("Thu, 1 Jan 04 19:48 EST", "2004-01-02T00:48:00Z")]
    [InlineData("01 Jan 2004 19:48:21 +0100", "2004-01-01T18:48:21Z")]
    [InlineData("Thursday, 01-Jan-2004 19:48:21 PDT", "2004-01-02T02:48:21Z")]
    [InlineData("2003-12-31T10:14:55Z", "2003-12-31T10:14:55Z")]
    [InlineData("2003-12-31T10:14:55.25-05:00", "2003-12-31T15:14:55.25Z")]
    [InlineData("2003-12-31 10:14:55", "2003-12-31T10:14:55Z")]
    [InlineData("2003-12-31", "2003-12-31T00:00:00Z")]
    [InlineData("2003-12", "2003-12-01T00:00:00Z")]
    [InlineData("20031231T101455Z", "2003-12-31T10:14:55Z")]
    [InlineData("2003-12-31T24:00:00Z", "2004-01-01T00:00:00Z")]
    public void Dates_are_parsed_leniently(string text, string expected) =>
        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), FeedDates.Parse(text));

    [Theory]
    [InlineData("")]
    [InlineData("yesterday")]
    [InlineData("2003-13-01")]
    [InlineData("31 Foo 2003")]
    [InlineData("2003-02-30T00:00:00Z")]
    [InlineData("99999-01-01")]
    public void Bad_dates_are_null_not_exceptions(string text) => Assert.Null(FeedDates.Parse(text));

    [Fact]
    public void Random_mutations_of_a_feed_never_throw()
    {
        var seed = Environment.TickCount;
        Console.WriteLine($"feed mutation seed: {seed}");
        var random = new Random(seed);
        var original = Encoding.UTF8.GetBytes("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>T</title><item><guid>1</guid><title>A &amp; B</title><pubDate>Thu, 01 Jan 2004 19:48:21 GMT</pubDate><description>&lt;p&gt;x&lt;/p&gt;</description></item></channel></rss>");
        for (int i = 0; i < 2000; i++)
        {
            var bytes = (byte[])original.Clone();
            var mutations = random.Next(1, 6);
            for (int m = 0; m < mutations; m++)
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            var length = random.Next(2) == 0 ? bytes.Length : random.Next(bytes.Length);
            var result = FeedParser.Parse(new MemoryStream(bytes, 0, length));
            Assert.True((result.Feed is null) != (result.Error is null), $"seed {seed}, iteration {i}");
        }
    }
}
