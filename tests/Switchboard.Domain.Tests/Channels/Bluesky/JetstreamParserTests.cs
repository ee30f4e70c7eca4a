using System.Text;
using System.Text.Json;
using Switchboard.Channels.Bluesky;
using Xunit;
using Xunit.Abstractions;

namespace Switchboard.Tests.Channels.Bluesky;

public class JetstreamParserTests(ITestOutputHelper output)
{
    private static List<byte[]>? Lines(string file)
    {
        var path = SharedCorpus.Path_("fixtures", "jetstream", file);
        if (path is null || !File.Exists(path))
            return null;
        return File.ReadAllLines(path).Where(l => l.Trim().Length > 0).Select(Encoding.UTF8.GetBytes).ToList();
    }

    /// <summary>Differential check: every fixture event read by the fast parser agrees with a plain JsonDocument reading.</summary>
    [Theory]
    [InlineData("corpus_v1.jsonl")]
    [InlineData("golden_v1.jsonl")]
    public void Fixture_events_agree_with_a_reference_reading(string file)
    {
        var lines = Lines(file);
        if (lines is null)
        {
            output.WriteLine("SKIPPED: ../shared/fixtures/jetstream not found");
            return;
        }
        int posts = 0;
        foreach (var line in lines)
        {
            var result = JetstreamParser.Parse(line);
            Assert.True(result.Ok, result.Error);
            var e = result.Event!;
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            Assert.Equal(root.GetProperty("did").GetString(), e.Did);
            Assert.Equal(root.GetProperty("time_us").GetInt64(), e.TimeUs);
            var kind = root.GetProperty("kind").GetString();
            if (kind != "commit")
            {
                Assert.Equal(kind == "identity" ? JetstreamEventKind.Identity : JetstreamEventKind.Account, e.Kind);
                continue;
            }
            var commit = root.GetProperty("commit");
            var collection = commit.GetProperty("collection").GetString();
            if (collection != "app.bsky.feed.post")
            {
                Assert.Equal(JetstreamEventKind.Ignored, e.Kind);
                continue;
            }
            var op = commit.GetProperty("operation").GetString();
            Assert.Equal(op switch { "create" => JetstreamEventKind.PostCreated, "update" => JetstreamEventKind.PostUpdated, _ => JetstreamEventKind.PostDeleted }, e.Kind);
            Assert.Equal($"at://{e.Did}/app.bsky.feed.post/{commit.GetProperty("rkey").GetString()}", e.AtUri);
            if (op == "delete")
                continue;
            posts++;
            var record = commit.GetProperty("record");
            var post = e.Post!;
            Assert.Equal(record.GetProperty("text").GetString(), post.Text);
            Assert.Equal(record.GetProperty("createdAt").GetDateTimeOffset(), post.CreatedAt);
            var langs = record.TryGetProperty("langs", out var l) ? l.EnumerateArray().Select(x => x.GetString()!).ToList() : [];
            Assert.Equal(langs, post.Langs);
            if (record.TryGetProperty("reply", out var reply))
            {
                Assert.Equal(reply.GetProperty("root").GetProperty("uri").GetString(), post.ReplyRoot);
                Assert.Equal(reply.GetProperty("parent").GetProperty("uri").GetString(), post.ReplyParent);
                Assert.Equal(post.ReplyParent, post.ToPost().InReplyTo);
            }
            else
            {
                Assert.Null(post.ToPost().InReplyTo);
            }
            Assert.Equal(e.AtUri, post.ToPost().Id);
        }
        Assert.True(posts > 0, "the fixture should contain posts");
    }

    [Fact]
    public void Every_truncation_of_every_fixture_event_is_an_error_not_an_exception()
    {
        var lines = Lines("corpus_v1.jsonl");
        if (lines is null)
            return;
        foreach (var line in lines.Take(40))
        {
            for (int cut = 0; cut < line.Length - 1; cut++)
            {
                var result = JetstreamParser.Parse(line.AsSpan(0, cut));
                Assert.False(result.Ok, $"truncated at {cut}: {Encoding.UTF8.GetString(line, 0, cut)}");
                Assert.NotNull(result.Error);
            }
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("[]")]
    [InlineData("null")]
    [InlineData("{}")]
    [InlineData("{\"did\":\"did:plc:x\",\"kind\":\"commit\"}")]
    [InlineData("{\"did\":\"x\",\"time_us\":1,\"kind\":\"identity\",\"identity\":{}}")]
    [InlineData("{\"did\":\"did:plc:x\",\"time_us\":\"1\",\"kind\":\"identity\"}")]
    [InlineData("{\"did\":\"did:plc:x\",\"time_us\":1e999,\"kind\":\"identity\"}")]
    [InlineData("{\"did\":\"did:plc:x\",\"time_us\":1,\"kind\":\"commit\",\"commit\":{\"operation\":\"create\",\"collection\":\"app.bsky.feed.post\",\"rkey\":\"a\"}}")]
    [InlineData("{\"did\":\"did:plc:x\",\"time_us\":1,\"kind\":\"commit\",\"commit\":{\"operation\":\"create\",\"collection\":\"app.bsky.feed.post\",\"rkey\":\"a\",\"record\":{\"text\":5}}}")]
    [InlineData("{\"did\":\"did:plc:x\",\"time_us\":1,\"kind\":\"commit\",\"commit\":{\"operation\":\"explode\",\"collection\":\"app.bsky.feed.post\",\"rkey\":\"a\",\"record\":{}}}")]
    [InlineData("{\"did\":\"did:plc:x\",\"time_us\":1,\"kind\":\"identity\"} {}")]
    public void Malformed_events_are_errors(string json) => Assert.False(JetstreamParser.Parse(Encoding.UTF8.GetBytes(json)).Ok);

    [Fact]
    public void Invalid_utf8_deep_nesting_and_huge_strings_are_errors()
    {
        var bad = Encoding.UTF8.GetBytes("{\"did\":\"did:plc:x\",\"time_us\":1,\"kind\":\"commit\",\"commit\":{\"operation\":\"create\",\"collection\":\"app.bsky.feed.post\",\"rkey\":\"a\",\"record\":{\"text\":\"ab\"}}}");
        var at = Array.IndexOf(bad, (byte)'a', 120);
        bad[at] = 0xC3;
        bad[at + 1] = 0x28;
        Assert.False(JetstreamParser.Parse(bad).Ok);

        var deep = "{\"did\":\"did:plc:x\",\"time_us\":1,\"kind\":\"commit\",\"commit\":{\"operation\":\"create\",\"collection\":\"app.bsky.feed.post\",\"rkey\":\"a\",\"record\":{\"x\":"
            + new string('[', 5000) + new string(']', 5000) + "}}}";
        Assert.False(JetstreamParser.Parse(Encoding.UTF8.GetBytes(deep)).Ok);

        var huge = "{\"did\":\"did:plc:x\",\"time_us\":1,\"kind\":\"commit\",\"commit\":{\"operation\":\"create\",\"collection\":\"app.bsky.feed.post\",\"rkey\":\"a\",\"record\":{\"text\":\"" + new string('a', 1_000_000) + "\"}}}";
        Assert.False(JetstreamParser.Parse(Encoding.UTF8.GetBytes(huge)).Ok);
    }

    [Fact]
    public void Random_byte_flips_never_throw()
    {
        var lines = Lines("corpus_v1.jsonl");
        if (lines is null)
            return;
        var seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        for (int i = 0; i < 5000; i++)
        {
            var line = (byte[])lines[random.Next(lines.Count)].Clone();
            for (int f = random.Next(1, 4); f > 0; f--)
                line[random.Next(line.Length)] ^= (byte)(1 << random.Next(8));
            var result = JetstreamParser.Parse(line);
            Assert.True(result.Ok || result.Error is not null, $"seed {seed}");
        }
    }

    [Fact]
    public void Cursor_resumes_a_few_seconds_before_the_last_commit_and_builds_the_subscribe_url()
    {
        Assert.Null(JetstreamCursor.Resume(null));
        Assert.Equal(1_783_175_883_085_434, JetstreamCursor.Resume(1_783_175_888_085_434));
        var events = new[] { new JetstreamEvent(JetstreamEventKind.Ignored, "did:plc:a", 10), new JetstreamEvent(JetstreamEventKind.Ignored, "did:plc:a", 7) };
        Assert.Equal(10, JetstreamCursor.Advance(5, events));
        Assert.Equal(12, JetstreamCursor.Advance(12, events));
        var url = JetstreamCursor.SubscribeUrl(new Uri("wss://jetstream2.us-east.bsky.network"), 42);
        Assert.Equal("wss://jetstream2.us-east.bsky.network/subscribe?wantedCollections=app.bsky.feed.post&cursor=42", url.ToString());
    }
}

public class BlueskyApiTests
{
    [Fact]
    public void Reply_references_root_and_parent_with_a_deterministic_record_key()
    {
        const string json = """{"did":"did:plc:a","time_us":1779719009157119,"kind":"commit","commit":{"rev":"r","operation":"create","collection":"app.bsky.feed.post","rkey":"3mmoojp4cd223","record":{"$type":"app.bsky.feed.post","createdAt":"2026-05-25T14:23:28.757Z","reply":{"parent":{"cid":"cidP","uri":"at://did:plc:b/app.bsky.feed.post/p"},"root":{"cid":"cidR","uri":"at://did:plc:b/app.bsky.feed.post/r"}},"text":"hi"},"cid":"cidSelf"}}""";
        var post = JetstreamParser.Parse(System.Text.Encoding.UTF8.GetBytes(json)).Event!.Post!;
        Assert.Equal("cidSelf", post.Cid);
        Assert.Equal("cidR", post.ReplyRootCid);
        var at = new DateTimeOffset(2026, 11, 22, 4, 0, 0, TimeSpan.Zero);
        using var body = System.Text.Json.JsonDocument.Parse(BlueskyApi.ReplyBody("did:plc:me", post, "Thanks", "draft-9", at));
        var reply = body.RootElement.GetProperty("record").GetProperty("reply");
        Assert.Equal("at://did:plc:b/app.bsky.feed.post/r", reply.GetProperty("root").GetProperty("uri").GetString());
        Assert.Equal("cidR", reply.GetProperty("root").GetProperty("cid").GetString());
        Assert.Equal(post.Uri, reply.GetProperty("parent").GetProperty("uri").GetString());
        Assert.Equal("cidSelf", reply.GetProperty("parent").GetProperty("cid").GetString());
        var key = body.RootElement.GetProperty("rkey").GetString()!;
        Assert.Equal(13, key.Length);
        Assert.Equal(key, BlueskyApi.RecordKey("draft-9", at));
        Assert.NotEqual(key, BlueskyApi.RecordKey("draft-10", at));
        Assert.True(string.CompareOrdinal(key, BlueskyApi.RecordKey("draft-9", at.AddSeconds(1))) < 0, "TIDs sort by time");
    }
}
