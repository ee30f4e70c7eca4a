using System.Globalization;
using System.Text.Json.Nodes;
using Dapper;
using Switchboard.Channels.Connectors;
using Switchboard.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Switchboard.Tests.Channels.Connectors;

public sealed class JetstreamConnectorTests(ITestOutputHelper output)
{
    /// <summary>
    /// A stream built from the real Jetstream events in ../shared/fixtures (posts, likes, follows, identity…): each
    /// copy gets a unique rkey and an increasing time_us; some posts are replies to earlier ones, some are later edited
    /// or deleted. Expected outcome is computed from what is sent, not hard-coded.
    /// </summary>
    private sealed class Script
    {
        public readonly List<(long TimeUs, string Json)> Events = [];
        public readonly HashSet<string> Created = [];
        public readonly Dictionary<string, string> Edited = [];
        public readonly HashSet<string> Deleted = [];
        public readonly Dictionary<string, string> ReplyParent = [];

        public Script(int count, Random random)
        {
            var corpus = File.ReadAllLines(Fixtures.Path("jetstream/corpus_v1.jsonl")).Where(l => l.Length > 0).ToArray();
            var baseUs = 1_783_175_888_000_000L;
            var posts = new List<(string Uri, string Did, string Rkey, string Cid)>();
            for (var i = 0; i < count; i++)
            {
                var timeUs = baseUs + i * 10_000L; // 10 ms apart: a 5 s rewind replays ~500 events
                var node = JsonNode.Parse(corpus[i % corpus.Length])!.AsObject();
                node["time_us"] = timeUs;
                var commit = node["commit"] as JsonObject;
                var isPost = commit?["collection"]?.GetValue<string>() == "app.bsky.feed.post";
                if (isPost && posts.Count > 10 && i % 29 == 0)
                {
                    // An edit of an earlier post that is still there.
                    var (uri, did, rkey, cid) = posts[random.Next(posts.Count)];
                    if (!Deleted.Contains(uri))
                    {
                        var text = $"edited at {i}";
                        Edited[uri] = text;
                        node = Commit(did, timeUs, "update", rkey, cid, new JsonObject { ["$type"] = "app.bsky.feed.post", ["text"] = text, ["createdAt"] = "2026-07-04T14:40:00.000Z" });
                    }
                    else
                    {
                        commit!["collection"] = "app.bsky.feed.like";
                    }
                }
                else if (isPost && posts.Count > 10 && i % 41 == 0)
                {
                    var (uri, did, rkey, _) = posts[random.Next(posts.Count)];
                    Deleted.Add(uri);
                    Edited.Remove(uri);
                    node = new JsonObject
                    {
                        ["did"] = did,
                        ["time_us"] = timeUs,
                        ["kind"] = "commit",
                        ["commit"] = new JsonObject { ["rev"] = "r" + i, ["operation"] = "delete", ["collection"] = "app.bsky.feed.post", ["rkey"] = rkey },
                    };
                }
                else if (isPost && commit!["operation"]?.GetValue<string>() == "create")
                {
                    var rkey = "3sb" + i.ToString("D8", CultureInfo.InvariantCulture);
                    commit["rkey"] = rkey;
                    var did = node["did"]!.GetValue<string>();
                    var uri = $"at://{did}/app.bsky.feed.post/{rkey}";
                    var record = commit["record"]!.AsObject();
                    record.Remove("reply");
                    if (posts.Count > 5 && i % 7 == 0)
                    {
                        var parent = posts[random.Next(posts.Count)];
                        record["reply"] = new JsonObject
                        {
                            ["root"] = new JsonObject { ["uri"] = parent.Uri, ["cid"] = parent.Cid },
                            ["parent"] = new JsonObject { ["uri"] = parent.Uri, ["cid"] = parent.Cid },
                        };
                        ReplyParent[uri] = parent.Uri;
                    }
                    Created.Add(uri);
                    posts.Add((uri, did, rkey, commit["cid"]?.GetValue<string>() ?? "bafy"));
                }
                else if (isPost)
                {
                    // The corpus's own updates/deletes refer to posts we never sent: make them ordinary likes.
                    commit!["collection"] = "app.bsky.feed.like";
                }
                Events.Add((timeUs, node.ToJsonString()));
            }
        }

        private static JsonObject Commit(string did, long timeUs, string op, string rkey, string cid, JsonObject record) => new()
        {
            ["did"] = did,
            ["time_us"] = timeUs,
            ["kind"] = "commit",
            ["commit"] = new JsonObject { ["rev"] = "x", ["operation"] = op, ["collection"] = "app.bsky.feed.post", ["rkey"] = rkey, ["record"] = record, ["cid"] = cid },
        };
    }

    private static Task<FakeServer> ServeAsync(Script script, TimeSpan? dropEvery, List<string> queries) =>
        FakeJetstream.ServeAsync(script.Events, dropEvery, queries);

    [Fact]
    public async Task A_stream_dropped_every_second_loses_and_duplicates_nothing()
    {
        var seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        var script = new Script(3000, new Random(seed));
        var queries = new List<string>();
        await using var server = await ServeAsync(script, TimeSpan.FromMilliseconds(900), queries);
        await using var h = await ConnectorHarness.StartAsync();
        var endpoint = new UriBuilder(server.Address) { Scheme = "ws", Path = "/subscribe" }.Uri;
        var account = await h.AddAccountAsync("bluesky-jetstream", "firehose", new() { ["endpoint"] = endpoint.AbsoluteUri });
        await h.StartHostAsync();
        var last = script.Events[^1].TimeUs;
        await ConnectorHarness.WaitForAsync(async () => (await h.Health.GetAsync(account.Id))?.Cursor is { } cur && long.Parse(cur, CultureInfo.InvariantCulture) >= last,
            TimeSpan.FromSeconds(120), "the cursor to reach the last event");

        await AssertStoredExactlyAsync(h, script);
        var health = await h.Health.GetAsync(account.Id);
        Assert.True(health!.Reconnects >= 2, $"the fake dropped the stream several times (reconnects: {health.Reconnects})");
        // The stream keeps being dropped and reopened while the test reads: work on a copy taken under the fake's lock.
        string[] seen;
        lock (queries)
            seen = [.. queries];
        Assert.True(seen.Length >= 3, "it reconnected");
        Assert.All(seen, q => Assert.Contains("wantedCollections=app.bsky.feed.post", q, StringComparison.Ordinal));
        Assert.Contains(seen.Skip(1), q => q.Contains("cursor=", StringComparison.Ordinal));
        Assert.Equal(script.Created.Count, health.Deliveries);
        output.WriteLine($"events {script.Events.Count}, posts {script.Created.Count}, edits {script.Edited.Count}, deletes {script.Deleted.Count}, reconnects {health.Reconnects}");
    }

    /// <summary>
    /// The consumer is killed at random moments; after each kill, every post at or before the saved cursor must be
    /// stored: the cursor never runs ahead of what is committed. SQLite and PostgreSQL.
    /// </summary>
    [Theory]
    [MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task The_cursor_is_saved_only_after_the_posts_it_covers_are_committed(string provider)
    {
        var seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        var script = new Script(2000, random);
        var queries = new List<string>();
        await using var server = await ServeAsync(script, null, queries);
        await using var h = await ConnectorHarness.StartAsync(provider);
        var endpoint = new UriBuilder(server.Address) { Scheme = "ws", Path = "/subscribe" }.Uri;
        var account = await h.AddAccountAsync("bluesky-jetstream", "firehose", new() { ["endpoint"] = endpoint.AbsoluteUri });
        await h.Health.StartAsync(account.Id, default);
        var createdAt = script.Events.Where(e => e.Json.Contains("\"create\"", StringComparison.Ordinal)).ToList();
        var last = script.Events[^1].TimeUs;
        long cursor = 0;
        for (var round = 0; round < 40 && cursor < last; round++)
        {
            using var kill = new CancellationTokenSource(TimeSpan.FromMilliseconds(random.Next(50, 600)));
            try
            {
                await new JetstreamConnector(h.Context).RunAsync(account, kill.Token);
            }
            catch (OperationCanceledException)
            {
            }
            cursor = long.TryParse((await h.Health.GetAsync(account.Id))!.Cursor, CultureInfo.InvariantCulture, out var cur) ? cur : 0;
            var stored = await StoredAsync(h);
            var missing = script.Created.Where(uri => TimeOf(script, uri) <= cursor && !stored.ContainsKey(uri)).ToList();
            Assert.True(missing.Count == 0, $"round {round}: cursor {cursor} is past {missing.Count} uncommitted posts, e.g. {missing.FirstOrDefault()}");
        }
        // Let the last kill's in-flight posts settle, then finish the stream.
        using (var finish = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            var run = new JetstreamConnector(h.Context).RunAsync(account, finish.Token);
            await ConnectorHarness.WaitForAsync(async () => long.Parse((await h.Health.GetAsync(account.Id))!.Cursor ?? "0", CultureInfo.InvariantCulture) >= last,
                TimeSpan.FromSeconds(30), "the cursor to reach the end");
            await finish.CancelAsync();
            try
            {
                await run;
            }
            catch (OperationCanceledException)
            {
            }
        }
        await AssertStoredExactlyAsync(h, script);
    }

    private static long TimeOf(Script script, string uri)
    {
        var rkey = uri[(uri.LastIndexOf('/') + 1)..];
        return script.Events.First(e => e.Json.Contains($"\"rkey\":\"{rkey}\"", StringComparison.Ordinal)).TimeUs;
    }

    private static async Task<Dictionary<string, (string Text, string? InReplyTo, long ConversationId, long? DeletedAt, long? EditedAt)>> StoredAsync(ConnectorHarness h)
    {
        await using var conn = await h.Db.OpenAsync();
        return (await conn.QueryAsync<(string ExternalId, string Text, string? InReplyTo, long ConversationId, long? DeletedAt, long? EditedAt)>(
                "SELECT external_id, text, in_reply_to, conversation_id, deleted_at, edited_at FROM messages WHERE channel = 'bluesky'"))
            .ToDictionary(r => r.ExternalId, r => (r.Text, r.InReplyTo, r.ConversationId, r.DeletedAt, r.EditedAt));
    }

    private static async Task AssertStoredExactlyAsync(ConnectorHarness h, Script script)
    {
        var stored = await StoredAsync(h);
        // Nothing lost, nothing extra (each at:// URI once: the table's key makes a second row impossible, so equal sets suffice).
        Assert.Equal(script.Created.Order(StringComparer.Ordinal), stored.Keys.Order(StringComparer.Ordinal));
        foreach (var uri in script.Deleted)
        {
            Assert.NotNull(stored[uri].DeletedAt);
            Assert.Equal("", stored[uri].Text);
        }
        foreach (var (uri, text) in script.Edited)
            Assert.Equal(text, stored[uri].Text);
        foreach (var (uri, parent) in script.ReplyParent)
        {
            Assert.Equal(parent, stored[uri].InReplyTo);
            Assert.Equal(stored[parent].ConversationId, stored[uri].ConversationId);
        }
        await using var conn = await h.Db.OpenAsync();
        var conversations = await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM conversations WHERE channel = 'bluesky'");
        Assert.Equal(script.Created.Count - script.ReplyParent.Count, conversations);
        // Every stored post is stamped with the (single) Jetstream account it came through.
        var stamped = (await conn.QueryAsync<long?>("SELECT DISTINCT account_id FROM messages WHERE channel = 'bluesky'")).ToList();
        Assert.Single(stamped);
        Assert.NotNull(stamped[0]);
    }
}
