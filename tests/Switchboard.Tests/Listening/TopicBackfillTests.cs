using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Switchboard.Ingest;
using Switchboard.Listening;
using Switchboard.Posts;
using Switchboard.Storage;
using Switchboard.Tests.Infrastructure;
using Xunit;

namespace Switchboard.Tests.Listening;

/// <summary>The backfill's batches, its resumption after a crash, and the shared index's refresh from the database.</summary>
public class TopicBackfillTests
{
    private static async Task<Database> WithPostsAsync(string provider, params string[] texts)
    {
        var db = await TestDatabases.CreateMigratedAsync(provider);
        await using var conn = await db.OpenAsync();
        await IngestBatch.WriteAsync(db, conn, [.. texts.Select((t, i) => new Post("p" + i, "mastodon", t))], TimeProvider.System, CancellationToken.None);
        return db;
    }

    private static async Task<long> InsertTopicAsync(Database db, string query, string status = "active")
    {
        await using var conn = await db.OpenAsync();
        return await conn.ExecuteScalarAsync<long>(
            "INSERT INTO topics (name, query, status, created_at, updated_at) VALUES (@name, @query, @status, 1, 1) RETURNING id",
            new { name = "t" + Guid.NewGuid().ToString("N")[..6], query, status });
    }

    private static async Task<(List<string> Matched, long Count, long Cursor, long Backfilled)> StateAsync(Database db, long topic)
    {
        await using var conn = await db.OpenAsync();
        var matched = (await conn.QueryAsync<string>(
            "SELECT m.external_id FROM message_topics mt JOIN messages m ON m.id = mt.message_id WHERE mt.topic_id = @topic ORDER BY m.id",
            new { topic })).ToList();
        var (count, cursor, backfilled) = await conn.QueryFirstAsync<(long, long, long)>(
            "SELECT match_count, backfill_cursor, backfilled_version FROM topics WHERE id = @topic", new { topic });
        return (matched, count, cursor, backfilled);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_backfill_interrupted_after_any_batch_resumes_from_its_cursor_and_ends_with_exactly_the_matches(string provider)
    {
        var db = await WithPostsAsync(provider,
            "refund please", "nice day", "my refund is late", "hello", "refunded at last", "no thanks", "still no refund", "bye");
        var topic = await InsertTopicAsync(db, "refund*");

        // Fix the target, then two batches of 3, then "crash": the process is gone, only the database remains.
        var first = await TopicBackfill.StepAsync(db, 3, TimeProvider.System, CancellationToken.None);
        Assert.False(first!.Done);
        Assert.Equal(0, first.Cursor);
        await TopicBackfill.StepAsync(db, 3, TimeProvider.System, CancellationToken.None);
        var mid = await StateAsync(db, topic);
        Assert.Equal(["p0", "p2"], mid.Matched);
        Assert.Equal(2, mid.Count);
        Assert.Equal(0, mid.Backfilled);
        Assert.True(mid.Cursor > 0);

        // A batch interrupted before its commit writes nothing.
        using (var cancelled = new CancellationTokenSource())
        {
            await cancelled.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => TopicBackfill.StepAsync(db, 3, TimeProvider.System, cancelled.Token));
        }

        var after = await StateAsync(db, topic);
        Assert.Equal(mid.Matched, after.Matched);
        Assert.Equal((mid.Count, mid.Cursor, mid.Backfilled), (after.Count, after.Cursor, after.Backfilled));

        // A new process continues where the committed cursor says.
        var steps = 0;
        while (await TopicBackfill.StepAsync(db, 3, TimeProvider.System, CancellationToken.None) is { } p)
        {
            steps++;
            Assert.True(p.Cursor > mid.Cursor);
        }

        Assert.Equal(2, steps);
        var end = await StateAsync(db, topic);
        Assert.Equal(["p0", "p2", "p4", "p6"], end.Matched);
        Assert.Equal(4, end.Count);
        Assert.Equal(1, end.Backfilled);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task An_edit_during_a_backfill_discards_the_old_batch_and_restarts_with_the_new_query(string provider)
    {
        var db = await WithPostsAsync(provider, "refund please", "flight delayed", "refund now", "delay again");
        var topic = await InsertTopicAsync(db, "refund*");
        await TopicBackfill.StepAsync(db, 2, TimeProvider.System, CancellationToken.None);
        await TopicBackfill.StepAsync(db, 2, TimeProvider.System, CancellationToken.None);
        Assert.Equal(["p0"], (await StateAsync(db, topic)).Matched);

        await using (var conn = await db.OpenAsync())
        {
            await conn.ExecuteAsync(
                "UPDATE topics SET query = 'delay*', version = version + 1, backfill_cursor = 0, backfill_target = NULL, updated_at = updated_at + 1 WHERE id = @topic",
                new { topic });
        }

        while (await TopicBackfill.StepAsync(db, 2, TimeProvider.System, CancellationToken.None) is not null)
        {
        }

        var end = await StateAsync(db, topic);
        Assert.Equal(["p1", "p3"], end.Matched);
        Assert.Equal(2, end.Count);
        Assert.Equal(2, end.Backfilled);
    }

    [Fact]
    public async Task Paused_topics_are_not_backfilled_until_resumed()
    {
        var db = await WithPostsAsync("sqlite", "refund please");
        var topic = await InsertTopicAsync(db, "refund*", status: "paused");
        Assert.Null(await TopicBackfill.StepAsync(db, 10, TimeProvider.System, CancellationToken.None));
        await using (var conn = await db.OpenAsync())
        {
            await conn.ExecuteAsync("UPDATE topics SET status = 'active' WHERE id = @topic", new { topic });
        }

        while (await TopicBackfill.StepAsync(db, 10, TimeProvider.System, CancellationToken.None) is not null)
        {
        }

        Assert.Equal(["p0"], (await StateAsync(db, topic)).Matched);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task The_index_follows_topic_changes_made_by_another_process(string provider)
    {
        var db = await TestDatabases.CreateMigratedAsync(provider);
        var index = new TopicIndex(NullLogger<TopicIndex>.Instance);
        await using var conn = await db.OpenAsync();
        await index.RefreshAsync(conn, null);
        Assert.Equal(0, index.Count);
        var post = new Post("x", "mastodon", "Where is my refund, Acme?");

        var topic = await InsertTopicAsync(db, "refund*");
        await index.RefreshAsync(conn, null);
        Assert.Equal([topic], index.Match(post));

        await conn.ExecuteAsync("UPDATE topics SET status = 'paused', updated_at = 2 WHERE id = @topic", new { topic });
        await index.RefreshAsync(conn, null);
        Assert.Empty(index.Match(post));

        await conn.ExecuteAsync("UPDATE topics SET status = 'active', query = 'acme', version = 2, updated_at = 3 WHERE id = @topic", new { topic });
        var other = await InsertTopicAsync(db, "bag*");
        await index.RefreshAsync(conn, null);
        Assert.Equal([topic], index.Match(post));
        Assert.Empty(index.Match(post with { Text = "my refund" }));
        Assert.Equal([other], index.Match(post with { Text = "bags lost" }));

        await conn.ExecuteAsync("DELETE FROM topics WHERE id = @topic", new { topic });
        await index.RefreshAsync(conn, null);
        Assert.Equal(1, index.Count);
        Assert.Empty(index.Match(post));
    }

    [Fact]
    public async Task Import_matches_posts_against_the_stored_topics()
    {
        var db = await TestDatabases.CreateMigratedAsync("sqlite");
        var topic = await InsertTopicAsync(db, "#acme OR \"acme air\"");
        var file = Path.Combine(Directory.CreateTempSubdirectory("switchboard-topics-").FullName, "posts.jsonl");
        await File.WriteAllLinesAsync(file, [TopicsTests.Post("1", "Flying #Acme today"), TopicsTests.Post("2", "acme air lost it"), TopicsTests.Post("3", "@acme hi")]);
        var exit = await ImportCommand.RunAsync(db, new FileInfo(file), new PostReadOptions(null, null, "import"), TextWriter.Null, TextWriter.Null,
            interactive: false, CancellationToken.None);
        Assert.Equal(0, exit);
        var state = await StateAsync(db, topic);
        Assert.Equal(["1", "2"], state.Matched);
        Assert.Equal(2, state.Count);
    }
}
