using Switchboard.Posts;
using Xunit;

namespace Switchboard.Tests.Posts;

public class PostTests
{
    [Fact]
    public void Storable_replaces_nul_in_every_text_field_and_leaves_clean_posts_untouched()
    {
        var clean = new Post("1", "mastodon", "hello", Author: new Author("a", "h", "N"));
        Assert.Same(clean, clean.Storable());

        var dirty = new Post("\0", "mast\0odon", "a\0b", null, new Author("i\0", "h\0", "N\0"), "e\0n", "https://x/\0", "p\0");
        var s = dirty.Storable();
        Assert.Equal(("\uFFFD", "mast\uFFFDodon", "a\uFFFDb"), (s.Id, s.Channel, s.Text));
        Assert.Equal(("i\uFFFD", "h\uFFFD", "N\uFFFD"), (s.Author!.Id, s.Author.Handle, s.Author.Name));
        Assert.Equal(("e\uFFFDn", "https://x/\uFFFD", "p\uFFFD"), (s.Lang, s.Url, s.InReplyTo));
        Assert.DoesNotContain("\\u0000", System.Text.Json.JsonSerializer.Serialize(s), StringComparison.Ordinal);
        // The same input always gives the same key, and ids that differ only by the NUL stay different.
        Assert.Equal(s, dirty.Storable());
        Assert.NotEqual(new Post("a\0", "c", "t").Storable().Id, new Post("a", "c", "t").Storable().Id);
    }

    [Theory]
    [InlineData("""{"id":"1","channel":"c","text":"half \ud83d"}""")]
    [InlineData("""{"id":"\udc00","channel":"c","text":"t"}""")]
    [InlineData("""{"id":"1","channel":"c","text":"t","author":{"name":"\ud800"}}""")]
    public void A_line_with_an_unpaired_surrogate_escape_is_an_error_with_its_line_not_an_exception(string json)
    {
        var record = PostFiles.ParseJsonLine(json, 7);
        Assert.Null(record.Post);
        Assert.StartsWith("line 7: ", record.Error, StringComparison.Ordinal);
        Assert.Contains("unpaired surrogate", record.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Storable_bounds_long_keys_by_digest_keeping_them_stable_and_distinct()
    {
        var longId = new string('x', 600) + "a";
        var other = new string('x', 600) + "b";
        var s = new Post(longId, "rss:" + new string('u', 300), "t", InReplyTo: other, Author: new Author(new string('i', 900), new string('h', 513), "N")).Storable();
        Assert.Equal(Post.MaxKeyLength, s.Id.Length);
        Assert.Equal(Post.MaxChannelLength, s.Channel.Length);
        Assert.StartsWith("rss:uuu", s.Channel, StringComparison.Ordinal);
        Assert.Equal(s.Id, new Post(longId, "c", "t").Storable().Id);                 // stable
        Assert.NotEqual(s.Id, s.InReplyTo);                                           // distinct despite the same start
        Assert.Equal(new Post(other, "c", "t").Storable().Id, s.InReplyTo);           // a reply finds its parent
        Assert.True(s.Author!.Id!.Length <= Post.MaxKeyLength && s.Author.Handle!.Length <= Post.MaxKeyLength);
        var exact = new Post(new string('y', 512), "c", "t");
        Assert.Same(exact, exact.Storable());                                         // at the limit: untouched
        // A cut never splits a surrogate pair.
        var emoji = new Post(string.Concat(Enumerable.Repeat("😀", 400)), "c", "t").Storable();
        Assert.False(char.IsHighSurrogate(emoji.Id[emoji.Id.IndexOf('~', StringComparison.Ordinal) - 1]));
    }

    [Fact]
    public void Storable_replaces_unpaired_surrogates_and_keeps_real_pairs()
    {
        var emoji = "ok 😀 fine";
        Assert.Equal(emoji, new Post("1", "c", emoji).Storable().Text);
        var s = new Post("i\ud800d", "c", "a\ud800 b\udc00 \udc00\ud800 😀 end\ud83d").Storable();
        Assert.Equal("i\uFFFDd", s.Id);
        Assert.Equal("a\uFFFD b\uFFFD \uFFFD\uFFFD 😀 end\uFFFD", s.Text);
        // It now has a UTF-8 form that round-trips.
        Assert.Equal(s.Text, System.Text.Encoding.UTF8.GetString(new System.Text.UTF8Encoding(false, true).GetBytes(s.Text)));
    }
}
