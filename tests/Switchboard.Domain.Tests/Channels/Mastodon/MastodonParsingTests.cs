using System.Text;
using System.Text.Json.Nodes;
using Switchboard.Channels.Html;
using Switchboard.Channels.Mastodon;
using Xunit;
using Xunit.Abstractions;

namespace Switchboard.Tests.Channels.Mastodon;

public class MastodonParsingTests(ITestOutputHelper output)
{
    [Fact]
    public void WebSocket_paths_name_the_stream_in_the_query_escaped_and_refuse_unknown_streams()
    {
        Assert.Equal("/api/v1/streaming?stream=user%3Anotification", MastodonApi.WebSocketPath("user:notification"));
        Assert.Equal("/api/v1/streaming?stream=hashtag&tag=caf%C3%A9%26x%3D1", MastodonApi.WebSocketPath("hashtag", "café&x=1"));
        Assert.Throws<ArgumentException>(() => MastodonApi.WebSocketPath("direct"));
        Assert.Throws<ArgumentException>(() => MastodonApi.WebSocketPath("hashtag"));
    }

    [Fact]
    public void Every_documented_status_example_parses_into_a_post()
    {
        var statuses = new[] { "Status.md", "statuses.md", "notifications.md" }
            .Select(MastodonFixtures.Doc).Where(d => d is not null)
            .SelectMany(d => MastodonFixtures.Blocks(d!, "json")).Select(MastodonFixtures.Strict)
            .SelectMany(n => n is JsonArray a ? a.AsEnumerable() : [n])
            .Where(MastodonFixtures.LooksLikeStatus).ToList();
        if (statuses.Count == 0)
        {
            output.WriteLine("SKIPPED: ../shared/fixtures/mastodon not found");
            return;
        }
        foreach (var node in statuses)
        {
            var result = MastodonJson.ParseStatus(Encoding.UTF8.GetBytes(node!.ToJsonString()));
            Assert.True(result.Ok, result.Error);
            var status = result.Value!;
            Assert.Equal((string?)node["id"], status.Id);
            Assert.Equal((string?)node["in_reply_to_id"], status.InReplyToId);
            var post = status.ToPost("mastodon:mastodon.example");
            var source = node["reblog"] is JsonObject reblog ? reblog : node;
            Assert.Equal((string?)source["id"], post.Id);
            Assert.Equal((string?)source["account"]!["acct"], post.Author!.Handle);
            Assert.DoesNotContain("<p>", post.Text, StringComparison.Ordinal);
        }
        output.WriteLine($"{statuses.Count} documented statuses parsed");
        Assert.True(statuses.Count >= 5);
    }

    [Fact]
    public void Documented_notification_lists_parse_and_mentions_carry_their_status()
    {
        var doc = MastodonFixtures.Doc("notifications.md");
        if (doc is null)
            return;
        var arrays = MastodonFixtures.Blocks(doc, "json").Select(MastodonFixtures.Strict).OfType<JsonArray>()
            .Where(a => a.Count > 0 && a.All(MastodonFixtures.LooksLikeNotification)).ToList();
        Assert.NotEmpty(arrays);
        int mentions = 0;
        foreach (var array in arrays)
        {
            var result = MastodonJson.ParseNotifications(Encoding.UTF8.GetBytes(array.ToJsonString()));
            Assert.True(result.Ok, result.Error);
            Assert.Equal(array.Count, result.Value!.Count);
            foreach (var n in result.Value.Where(n => n.Type == "mention"))
            {
                Assert.NotNull(n.Status);
                mentions++;
            }
        }
        Assert.True(mentions > 0);
    }

    [Fact]
    public void Documented_streaming_examples_decode_over_sse_and_websocket()
    {
        var doc = MastodonFixtures.Doc("streaming.md");
        if (doc is null)
            return;
        var kinds = new List<MastodonStreamEventKind>();
        foreach (var block in MastodonFixtures.Blocks(doc, "text").Where(b => b.StartsWith("event:", StringComparison.Ordinal)))
        {
            var parser = new SseFrameParser();
            SseMessage? message = null;
            foreach (var line in (block.TrimEnd('\n') + "\n\n").Split('\n'))
                message = parser.AcceptLine(line) ?? message;
            Assert.NotNull(message);
            var decoded = MastodonStreaming.FromSse(message!);
            Assert.True(decoded.Ok || message!.Event is "update" or "status.update" or "notification" && message.Data.Contains("...", StringComparison.Ordinal), decoded.Error);
            if (decoded.Ok)
                kinds.Add(decoded.Value!.Kind);
        }
        foreach (var block in MastodonFixtures.Blocks(doc, "json").Where(b => b.Contains("\"event\"", StringComparison.Ordinal)))
        {
            var node = MastodonFixtures.Strict(block);
            if (node is null)
                continue;
            var decoded = MastodonStreaming.FromWebSocket(Encoding.UTF8.GetBytes(node.ToJsonString()));
            Assert.True(decoded.Ok, decoded.Error);
            kinds.Add(decoded.Value!.Kind);
            if (decoded.Value.Kind == MastodonStreamEventKind.Update)
                Assert.Equal("108913983692647032", decoded.Value.Status!.Id);
        }
        Assert.Contains(MastodonStreamEventKind.Update, kinds);
        Assert.Contains(MastodonStreamEventKind.Delete, kinds);
        Assert.Contains(MastodonStreamEventKind.Notification, kinds);
        Assert.Contains(MastodonStreamEventKind.StatusUpdate, kinds);
    }

    [Fact]
    public void WebSocket_payload_is_decoded_twice_and_sse_frames_join_data_lines()
    {
        var status = new JsonObject { ["id"] = "42", ["content"] = "<p>Hi <a href=\"https://x.example\">there</a></p>", ["in_reply_to_id"] = "41", ["account"] = new JsonObject { ["id"] = "7", ["acct"] = "ana@x.example" } };
        var message = new JsonObject { ["stream"] = new JsonArray("hashtag", "airline"), ["event"] = "update", ["payload"] = status.ToJsonString() };
        var decoded = MastodonStreaming.FromWebSocket(Encoding.UTF8.GetBytes(message.ToJsonString()));
        Assert.True(decoded.Ok, decoded.Error);
        var post = decoded.Value!.Status!.ToPost("mastodon:x.example");
        Assert.Equal("Hi there", post.Text);
        Assert.Equal("41", post.InReplyTo);
        Assert.Equal(["hashtag", "airline"], decoded.Value.Streams);

        var sse = new SseFrameParser();
        Assert.Null(sse.AcceptLine(":thump"));
        Assert.Null(sse.AcceptLine("event: delete"));
        Assert.Null(sse.AcceptLine("data: 1234"));
        var frame = sse.AcceptLine("");
        Assert.Equal(new SseMessage("delete", "1234", null), frame);
        Assert.Equal("1234", MastodonStreaming.FromSse(frame!).Value!.DeletedId);
        sse.AcceptLine("data: a");
        sse.AcceptLine("data:b");
        Assert.Equal("a\nb", sse.AcceptLine("")!.Data);
    }

    [Theory]
    [InlineData("")]
    [InlineData("{")]
    [InlineData("[]")]
    [InlineData("{\"event\":\"update\",\"payload\":\"{\\\"id\\\":\\\"1\\\"\"}")]
    [InlineData("{\"event\":\"update\",\"payload\":\"{\\\"id\\\":\\\"1\\\",\\\"content\\\":\\\"x\\\"}\"}")]
    [InlineData("{\"event\":\"update\",\"payload\":\"not json\"}")]
    [InlineData("{\"event\":\"delete\"}")]
    [InlineData("{\"error\":\"Unknown stream type\",\"status\":400}")]
    [InlineData("{\"payload\":\"x\"}")]
    [InlineData("{\"event\":\"notification\",\"payload\":\"{\\\"id\\\":\\\"1\\\"}\"}")]
    public void Malformed_or_truncated_streaming_messages_are_errors(string json) =>
        Assert.False(MastodonStreaming.FromWebSocket(Encoding.UTF8.GetBytes(json)).Ok);

    [Fact]
    public void Truncations_and_byte_flips_of_a_real_status_never_throw()
    {
        var status = Encoding.UTF8.GetBytes("{\"id\":\"103254962155278888\",\"created_at\":\"2019-12-05T11:34:47.196Z\",\"in_reply_to_id\":null,\"language\":\"en\",\"content\":\"<p>test <b>content</b></p>\",\"account\":{\"id\":\"1\",\"username\":\"a\",\"acct\":\"a\",\"followers_count\":3}}");
        for (int cut = 0; cut < status.Length; cut++)
            Assert.False(MastodonJson.ParseStatus(status.AsSpan(0, cut)).Ok);
        var seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        for (int i = 0; i < 3000; i++)
        {
            var copy = (byte[])status.Clone();
            copy[random.Next(copy.Length)] ^= (byte)(1 << random.Next(8));
            var result = MastodonJson.ParseStatus(copy);
            Assert.True(result.Ok != (result.Error is not null), $"seed {seed}");
        }
    }

    [Fact]
    public void Replies_carry_a_stable_idempotency_key_and_link_headers_paginate()
    {
        var a = MastodonApi.Reply("draft-1", "109", "Thanks!");
        var b = MastodonApi.Reply("draft-1", "109", "Thanks!");
        Assert.Equal(a.Headers["Idempotency-Key"], b.Headers["Idempotency-Key"]);
        Assert.NotEqual(a.Headers["Idempotency-Key"], MastodonApi.Reply("draft-2", "109", "Thanks!").Headers["Idempotency-Key"]);
        Assert.Contains("\"in_reply_to_id\":\"109\"", a.JsonBody, StringComparison.Ordinal);
        var (next, prev) = MastodonApi.ParseLinkHeader("<https://mastodon.example/api/v1/notifications?max_id=34056>; rel=\"next\", <https://mastodon.example/api/v1/notifications?min_id=34112>; rel=\"prev\"");
        Assert.Equal("https://mastodon.example/api/v1/notifications?max_id=34056", next!.ToString());
        Assert.Equal("https://mastodon.example/api/v1/notifications?min_id=34112", prev!.ToString());
        Assert.Equal("/api/v1/timelines/tag/caf%C3%A9?limit=40&min_id=5", MastodonApi.TimelinePath("tag/café", minId: "5"));
    }
}

public class HtmlSanitizerTests
{
    [Theory]
    [InlineData("<p>hi<script>alert(1)</script></p>", "<p>hi</p>")]
    [InlineData("<a href=\"javascript:alert(1)\">x</a>", "<a>x</a>")]
    [InlineData("<a href=\"https://ok.example/\" onclick=\"x()\">x</a>", "<a href=\"https://ok.example/\" rel=\"nofollow noopener noreferrer\" target=\"_blank\">x</a>")]
    [InlineData("<img src=x onerror=alert(1)>", "")]
    [InlineData("<img src=\"https://img.example/a.png\" onerror=\"alert(1)\">", "<img src=\"https://img.example/a.png\">")]
    [InlineData("<svg><script>alert(1)</script></svg>t", "t")]
    [InlineData("<iframe src=\"https://evil.example\"></iframe>ok", "ok")]
    [InlineData("<div style=\"background:url(javascript:x)\">text</div>", "text")]
    [InlineData("<p class=\"evil mention\">@a</p>", "<p class=\"mention\">@a</p>")]
    [InlineData("<a href=\"data:text/html;base64,PHNjcmlwdD4=\">x</a>", "<a>x</a>")]
    [InlineData("<<script>script>alert(1)<</script>/script>", "&lt;/script&gt;")]
    [InlineData("<p title=\"&quot;><script>\">a</p>", "<p>a</p>")]
    [InlineData("<style>*{}</style><b>b</b>", "<b>b</b>")]
    [InlineData("<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>", "")]
    public void Sanitizer_keeps_only_the_allow_list(string html, string expected) =>
        Assert.Equal(expected, HtmlSanitizer.Sanitize(html));

    [Fact]
    public void Mastodon_markup_becomes_plain_text_with_full_links()
    {
        const string html = "<p><span class=\"h-card\"><a href=\"https://mastodon.social/@trwnh\" class=\"u-url mention\">@<span>trwnh</span></a></span> sup!</p><p>see <a href=\"https://example.com/a/long/path\"><span class=\"invisible\">https://</span><span class=\"ellipsis\">example.com/a/long</span><span class=\"invisible\">/path</span></a><br>bye &amp; thanks</p>";
        Assert.Equal("@trwnh sup!\n\nsee https://example.com/a/long/path\nbye & thanks", HtmlSanitizer.ToText(html));
    }

    [Fact]
    public void Deep_nesting_and_huge_input_stay_bounded()
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        var deep = string.Concat(Enumerable.Repeat("<div><span>", 20_000)) + "x";
        Assert.Equal("x", HtmlSanitizer.Sanitize(deep).Trim());
        var nested = string.Concat(Enumerable.Repeat("<b>", 150)) + "<script>x</script>y";
        Assert.DoesNotContain("script", HtmlSanitizer.Sanitize(nested), StringComparison.Ordinal);
        Assert.DoesNotContain("<script", HtmlSanitizer.Sanitize(string.Concat(Enumerable.Repeat("<div>", 1000)) + "<script>alert(1)</script>"), StringComparison.Ordinal);
        Assert.Equal("x", HtmlSanitizer.ToText(deep));
        var huge = "<p>" + new string('a', 5_000_000) + "</p>";
        Assert.Equal(HtmlSanitizer.MaxInputChars - 3, HtmlSanitizer.ToText(huge).Length);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(20), $"took {started.Elapsed}");
    }
}
