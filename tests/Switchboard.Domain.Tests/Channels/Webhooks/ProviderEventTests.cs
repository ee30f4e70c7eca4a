using System.Text;
using Switchboard.Channels.Meta;
using Switchboard.Channels.Slack;
using Xunit;

namespace Switchboard.Tests.Channels.Webhooks;

public class ProviderEventTests
{
    [Fact]
    public void Slack_thread_reply_becomes_a_threaded_post_and_bots_are_ignored()
    {
        const string body = """{"token":"x","team_id":"T123","type":"event_callback","event_id":"Ev1","event":{"type":"message","channel":"C9","user":"U1","text":"Is the app down?","ts":"1700000000.000200","thread_ts":"1699999999.000100"}}""";
        var d = SlackEvents.Read(Encoding.UTF8.GetBytes(body));
        Assert.Equal("Ev1", d.EventId);
        Assert.Equal("C9:1700000000.000200", d.Post!.Id);
        Assert.Equal("slack:T123", d.Post.Channel);
        Assert.Equal("C9:1699999999.000100", d.Post.InReplyTo);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1700000000000), d.Post.CreatedAt);
        Assert.Contains("\"thread_ts\":\"1699999999.000100\"", SlackEvents.ReplyBody(d.Post.Id, d.Post.InReplyTo, "On it"), StringComparison.Ordinal);

        Assert.Null(SlackEvents.Read(Encoding.UTF8.GetBytes(body.Replace("\"user\":\"U1\"", "\"bot_id\":\"B1\"", StringComparison.Ordinal))).Post);
        Assert.Null(SlackEvents.Read(Encoding.UTF8.GetBytes(body.Replace("\"type\":\"message\"", "\"type\":\"message\",\"subtype\":\"message_changed\"", StringComparison.Ordinal))).Post);
        Assert.Equal("abc", SlackEvents.Read("""{"type":"url_verification","challenge":"abc"}"""u8).Challenge);
        Assert.NotNull(SlackEvents.Read("{\"type\":"u8).Invalid); // unreadable JSON is refused, not acknowledged
    }

    [Fact]
    public void Meta_page_and_instagram_comments_become_posts_with_reply_paths()
    {
        const string page = """{"object":"page","entry":[{"id":"P1","time":1700000000,"changes":[{"field":"feed","value":{"item":"comment","verb":"add","comment_id":"P1_55_66","post_id":"P1_55","parent_id":"P1_55","message":"Lost my bag","from":{"id":"U7","name":"Dee"},"created_time":1700000000}},{"field":"feed","value":{"item":"reaction","verb":"add"}}]}]}""";
        var (comments, error) = MetaWebhookEvents.Read(Encoding.UTF8.GetBytes(page));
        Assert.Null(error);
        var c = Assert.Single(comments);
        Assert.Equal("P1_55_66", c.Post.Id);
        Assert.Equal("facebook:P1", c.Post.Channel);
        Assert.Equal("P1_55", c.Post.InReplyTo);
        Assert.Equal("/P1_55_66/comments", c.ReplyPath);

        const string ig = """{"object":"instagram","entry":[{"id":"IG1","time":1700000000,"changes":[{"field":"comments","value":{"id":"178","text":"Where is my refund?","from":{"id":"9","username":"eve"},"media":{"id":"M1","media_product_type":"FEED"}}}]}]}""";
        var igc = Assert.Single(MetaWebhookEvents.Read(Encoding.UTF8.GetBytes(ig)).Comments);
        Assert.Equal("eve", igc.Post.Author!.Handle);
        Assert.Equal("M1", igc.Post.InReplyTo);
        Assert.Equal("/178/replies", igc.ReplyPath);

        Assert.NotNull(MetaWebhookEvents.Read("{\"object\":"u8).Error);
        Assert.Empty(MetaWebhookEvents.Read("""{"object":"page","entry":[1,{"changes":"x"}]}"""u8).Comments);
    }
}
