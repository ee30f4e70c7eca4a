using System.Text;
using Switchboard.Channels.Bluesky;
using Switchboard.Channels.Feeds;
using Switchboard.Channels.Mastodon;
using Switchboard.Channels.Meta;
using Switchboard.Channels.Slack;
using Switchboard.Posts;
using Xunit;

namespace Switchboard.Tests.Channels;

/// <summary>
/// Text that is valid JSON but not valid Unicode (an escaped lone surrogate), NUL, and oversized strings, put into the
/// text and author fields of every connector's payload. Each reader must answer with an error or with a post, never
/// throw, and a post it answers with must be storable (no NUL, no lone surrogate) after <see cref="Post.Storable"/>,
/// which is what the ingest path writes. A real emoji (a surrogate pair) must survive.
/// </summary>
public class HostileTextTests
{
    // A valid surrogate pair: every reader must accept it and keep the emoji.
    const string ValidPair = "x\\ud83d\\ude00y";

    // JSON string contents (already escaped for JSON), as a hostile client would send them.
    public static TheoryData<string> Hostile => new()
    {
        "\\ud83d",
        "before\\udc00after",
        "nul\\u0000inside",
        "\\u0000",
        ValidPair,
        new string('a', 100_000),
    };

    static void AssertStorable(Post post, string hostile)
    {
        var stored = post.Storable();
        foreach (var field in new[] { stored.Id, stored.Channel, stored.Text, stored.Lang, stored.Url, stored.InReplyTo, stored.Author?.Id, stored.Author?.Handle, stored.Author?.Name })
        {
            if (field is null)
                continue;
            Assert.DoesNotContain('\0', field);
            for (var i = 0; i < field.Length; i++)
            {
                if (char.IsHighSurrogate(field[i]) && i + 1 < field.Length && char.IsLowSurrogate(field[i + 1]))
                    i++;
                else
                    Assert.False(char.IsSurrogate(field[i]), $"a lone surrogate at {i} survived in a field of the post made from '{hostile[..Math.Min(30, hostile.Length)]}'");
            }
            // The stored form encodes to UTF-8 and back unchanged (PostgreSQL's and SQLite's text).
            Assert.Equal(field, Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(field)));
        }

        if (hostile == ValidPair)
            Assert.Contains("x\U0001F600y", stored.Text + stored.Author?.Name, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Hostile))]
    public void Jetstream_events(string hostile)
    {
        var json = "{\"did\":\"did:plc:abc\",\"time_us\":1725911162329308,\"kind\":\"commit\",\"commit\":{\"rev\":\"r\",\"operation\":\"create\","
            + "\"collection\":\"app.bsky.feed.post\",\"rkey\":\"3l3qo2vutsw2b\",\"cid\":\"c\",\"record\":{\"$type\":\"app.bsky.feed.post\","
            + "\"createdAt\":\"2024-09-09T19:46:02.102Z\",\"langs\":[\"en\"],\"text\":\"" + hostile + "\"}}}";
        var result = JetstreamParser.Parse(Encoding.UTF8.GetBytes(json));
        Assert.True(result.Ok != (result.Error is not null));
        Assert.True(hostile != ValidPair || result.Event?.Post is not null, result.Error);
        if (result.Event?.Post is { } post)
            AssertStorable(post.ToPost(), hostile);
    }

    [Theory]
    [MemberData(nameof(Hostile))]
    public void Mastodon_statuses_over_rest_and_websocket(string hostile)
    {
        var status = "{\"id\":\"103254962155278888\",\"created_at\":\"2019-12-05T11:34:47.196Z\",\"in_reply_to_id\":null,\"language\":\"en\","
            + "\"content\":\"<p>" + hostile + "</p>\",\"account\":{\"id\":\"1\",\"username\":\"a\",\"acct\":\"a\",\"display_name\":\"" + hostile + "\",\"followers_count\":3}}";
        var rest = MastodonJson.ParseStatus(Encoding.UTF8.GetBytes(status));
        Assert.True(rest.Ok != (rest.Error is not null));
        Assert.True(hostile != ValidPair || rest.Ok, rest.Error);
        if (rest.Ok)
            AssertStorable(rest.Value!.ToPost("mastodon:example.social"), hostile);

        // The WebSocket frame embeds the status as a JSON string, so the escapes are escaped once more.
        var frame = "{\"stream\":[\"public\"],\"event\":\"update\",\"payload\":\"" + status.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"}";
        var live = MastodonStreaming.FromWebSocket(Encoding.UTF8.GetBytes(frame));
        Assert.True(live.Ok != (live.Error is not null));
        Assert.True(hostile != ValidPair || live.Value?.Status is not null, live.Error);
        if (live.Ok && live.Value!.Status is { } s)
            AssertStorable(s.ToPost("mastodon:example.social"), hostile);
    }

    [Theory]
    [MemberData(nameof(Hostile))]
    public void Slack_events(string hostile)
    {
        var json = "{\"type\":\"event_callback\",\"team_id\":\"T1\",\"event_id\":\"Ev1\",\"event\":{\"type\":\"message\",\"channel\":\"C1\","
            + "\"user\":\"U1\",\"ts\":\"1700000000.000100\",\"text\":\"" + hostile + "\"}}";
        var delivery = SlackEvents.Read(Encoding.UTF8.GetBytes(json));
        Assert.True(delivery.Post is not null || delivery.Ignored is not null || delivery.Invalid is not null);
        Assert.True(hostile != ValidPair || delivery.Post is not null, delivery.Ignored ?? delivery.Invalid);
        // A lone surrogate is a broken body, to be refused (400), not a delivery to acknowledge and drop.
        if (hostile is "\\ud83d" or "before\\udc00after")
            Assert.Equal(Switchboard.Channels.Webhooks.WebhookJson.NotUnicode, delivery.Invalid);
        if (delivery.Post is { } post)
            AssertStorable(post, hostile);
    }

    [Theory]
    [MemberData(nameof(Hostile))]
    public void Meta_comments(string hostile)
    {
        var json = "{\"object\":\"page\",\"entry\":[{\"id\":\"P1\",\"time\":1700000000,\"changes\":[{\"field\":\"feed\",\"value\":{\"item\":\"comment\","
            + "\"verb\":\"add\",\"comment_id\":\"P1_C1\",\"post_id\":\"P1_1\",\"message\":\"" + hostile + "\",\"from\":{\"id\":\"F1\",\"name\":\"" + hostile + "\"}}}]}]}";
        var (comments, error) = MetaWebhookEvents.Read(Encoding.UTF8.GetBytes(json));
        Assert.True(comments.Count > 0 != (error is not null));
        Assert.True(hostile != ValidPair || comments.Count == 1, error);
        foreach (var c in comments)
            AssertStorable(c.Post, hostile);
    }

    [Theory]
    [InlineData("&#xD800;")] // a surrogate code point is not an XML character
    [InlineData("&#0;")]
    [InlineData("\u0000")]
    [InlineData("&#x1F600;")] // a real emoji is fine
    public void Feed_entries(string hostile)
    {
        var xml = "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title><item><guid>g1</guid><title>" + hostile
            + "</title><description>" + hostile + "</description></item></channel></rss>";
        var result = FeedParser.Parse(xml);
        Assert.True((result.Feed is null) != (result.Error is null));
        if (result.Error is { } error)
            Assert.True(error.Line > 0, $"a feed error names its line: {error.Reason}");
        foreach (var entry in result.Feed?.Entries ?? [])
        {
            var post = FeedPosts.ToPost(entry, "rss:https://example.test/feed");
            AssertStorable(post, hostile);
            if (hostile == "&#x1F600;")
                Assert.Contains("\U0001F600", post.Text, StringComparison.Ordinal);
        }
    }
}
