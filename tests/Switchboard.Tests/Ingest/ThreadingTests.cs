using Dapper;
using Switchboard.Ingest;
using Switchboard.Posts;
using Switchboard.Tests.Infrastructure;
using Xunit;

namespace Switchboard.Tests.Ingest;

public class ThreadingTests
{
    private static Post P(string id, string? reply = null, int minute = 0, bool outgoing = false) =>
        new(id, "mastodon", $"text of {id}", new DateTimeOffset(2026, 11, 22, 10, minute, 0, TimeSpan.Zero),
            new Author("a-" + id, "h" + id), null, null, reply, outgoing);

    private static async Task<Dictionary<string, long>> ConversationOf(Storage.Database db)
    {
        await using var conn = await db.OpenAsync();
        return (await conn.QueryAsync<(string E, long C)>("SELECT external_id, conversation_id FROM messages"))
            .ToDictionary(r => r.E, r => r.C);
    }

    private static async Task<long> Count(Storage.Database db, string table)
    {
        await using var conn = await db.OpenAsync();
        return await conn.ExecuteScalarAsync<long>($"SELECT COUNT(*) FROM {table}");
    }

    private static async Task Write(Storage.Database db, params Post[] posts)
    {
        await using var conn = await db.OpenAsync();
        await IngestBatch.WriteAsync(db, conn, posts, TimeProvider.System, CancellationToken.None);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_reply_joins_its_parents_conversation(string provider)
    {
        var db = await TestDatabases.CreateMigratedAsync(provider);
        await Write(db, P("1"), P("2", reply: "1", minute: 1), P("3", reply: "2", minute: 2), P("x", minute: 3));
        var c = await ConversationOf(db);
        Assert.Equal(c["1"], c["2"]);
        Assert.Equal(c["1"], c["3"]);
        Assert.NotEqual(c["1"], c["x"]);
        Assert.Equal(2, await Count(db, "conversations"));
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Replies_that_arrive_before_their_parent_are_reattached_when_it_arrives(string provider)
    {
        var db = await TestDatabases.CreateMigratedAsync(provider);
        // Two branches arrive first, in separate batches, each without its parent.
        await Write(db, P("3", reply: "2", minute: 3));
        await Write(db, P("2b", reply: "1", minute: 2));
        await Write(db, P("2", reply: "1", minute: 2));
        Assert.Equal(2, await Count(db, "conversations"));
        await Write(db, P("1", minute: 1));
        var c = await ConversationOf(db);
        Assert.Single(c.Values.Distinct());
        Assert.Equal(1, await Count(db, "conversations"));
        await using var conn = await db.OpenAsync();
        var (root, count) = await conn.QueryFirstAsync<(string, long)>("SELECT root_external_id, message_count FROM conversations");
        Assert.Equal("1", root);
        Assert.Equal(4, count);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task The_same_post_twice_in_one_batch_or_across_batches_is_stored_once(string provider)
    {
        var db = await TestDatabases.CreateMigratedAsync(provider);
        await using var conn = await db.OpenAsync();
        var r1 = await IngestBatch.WriteAsync(db, conn, [P("1"), P("1")], TimeProvider.System, CancellationToken.None);
        var r2 = await IngestBatch.WriteAsync(db, conn, [P("1")], TimeProvider.System, CancellationToken.None);
        Assert.Equal([IngestOutcome.Stored, IngestOutcome.Duplicate], r1.Outcomes);
        Assert.Equal([IngestOutcome.Duplicate], r2.Outcomes);
        Assert.Equal(1, await Count(db, "messages"));
    }

    [Fact]
    public async Task The_same_id_on_two_channels_is_two_posts()
    {
        var db = await TestDatabases.CreateMigratedAsync("sqlite");
        await Write(db, P("1"), P("1") with { Channel = "bluesky" });
        Assert.Equal(2, await Count(db, "messages"));
    }

    [Fact]
    public async Task A_brand_reply_is_stored_as_outgoing_and_does_not_become_the_conversation_author()
    {
        var db = await TestDatabases.CreateMigratedAsync("sqlite");
        await Write(db, P("b", reply: "1", minute: 2, outgoing: true));
        await Write(db, P("1", minute: 1));
        await using var conn = await db.OpenAsync();
        var author = await conn.ExecuteScalarAsync<string>(
            "SELECT a.external_id FROM conversations c JOIN authors a ON a.id = c.author_id");
        Assert.Equal("a-1", author);
        Assert.Equal("out", await conn.ExecuteScalarAsync<string>("SELECT direction FROM messages WHERE external_id = 'b'"));
    }
}
