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
}
