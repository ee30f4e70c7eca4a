using System.Diagnostics;
using Dapper;
using Switchboard.Ingest;
using Switchboard.Posts;
using Switchboard.Storage;

namespace Switchboard.Bench.Ingest;

/// <summary>
/// `-- ingest [posts]`: the full ingest batch (dedupe, thread, classify, route, persist) against its floor, a plain
/// batched INSERT of the same rows into an identical messages table, both on SQLite (WAL, synchronous=FULL, batches of
/// 1,000) in the same run. Prints posts/s for each and the ratio.
/// </summary>
internal static class IngestHarness
{
    public static int Run(string[] args)
    {
        var count = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 50_000;
        var random = new Random(42);
        Console.WriteLine($"seed 42, {count} posts, SQLite WAL synchronous=FULL, batches of {ImportCommand.BatchSize}");
        var posts = Enumerable.Range(0, count).Select(i => new Post(
            "p" + i, "mastodon", $"post {i}: my Brightwave Hub is broken again, refund please",
            DateTimeOffset.FromUnixTimeSeconds(1_790_000_000 + i), new Author("a" + random.Next(5000), "user" + i % 5000),
            "en", null, i > 0 && random.NextDouble() < 0.3 ? "p" + random.Next(i) : null)).ToList();

        var floor = Measure("plain INSERT (floor)", posts, async (db, conn, batch) =>
        {
            await using var tx = await conn.BeginTransactionAsync();
            foreach (var p in batch)
            {
                await conn.ExecuteAsync(
                    "INSERT INTO raw_messages (channel, external_id, text, in_reply_to, created_at) VALUES (@c, @e, @t, @r, @at) ON CONFLICT DO NOTHING",
                    new { c = p.Channel, e = p.Id, t = p.Text, r = p.InReplyTo, at = p.CreatedAt!.Value.ToUnixTimeMilliseconds() }, tx);
            }

            await tx.CommitAsync();
        });
        var full = Measure("IngestBatch (dedupe+thread+classify+route)", posts, async (db, conn, batch) =>
            await IngestBatch.WriteAsync(db, conn, batch, TimeProvider.System, CancellationToken.None));
        // What `import` and `serve` actually run: the same batch with listening topics and the routing session (the
        // active rule version, a routing trace per new conversation, assignment by skills and load, SLA clocks).
        var routed = Measure("IngestBatch + topics, routing, SLA (as served)", posts, async (db, conn, batch) =>
        {
            var routing = new global::Switchboard.Routing.RoutingRuntime(db,
                new global::Switchboard.Routing.ActiveRules(db, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<global::Switchboard.Routing.ActiveRules>.Instance),
                new global::Switchboard.Sla.SlaSignal(), new global::Switchboard.Inbox.InboxFeed(), TimeProvider.System);
            await IngestBatch.WriteAsync(db, conn, batch, TimeProvider.System, CancellationToken.None, new global::Switchboard.Listening.TopicIndex(), routing);
        });
        Console.WriteLine($"ratio: full ingest runs at {full / floor:0.00}x the plain-insert floor");
        Console.WriteLine($"ratio: as served (routing and SLA) runs at {routed / floor:0.00}x the floor, {routed / full:0.00}x the batch without them");
        return 0;
    }

    private static double Measure(string name, List<Post> posts, Func<Database, System.Data.Common.DbConnection, List<Post>, Task> write)
    {
        var dir = Directory.CreateTempSubdirectory("switchboard-bench-");
        try
        {
            var db = Database.Sqlite(Path.Combine(dir.FullName, "bench.db"));
            Migrator.MigrateAsync(db).GetAwaiter().GetResult();
            using var conn = db.OpenAsync().GetAwaiter().GetResult();
            conn.Execute("CREATE TABLE raw_messages (id INTEGER PRIMARY KEY, channel TEXT NOT NULL, external_id TEXT NOT NULL, text TEXT NOT NULL, in_reply_to TEXT, created_at BIGINT NOT NULL, UNIQUE (channel, external_id))");
            var watch = Stopwatch.StartNew();
            foreach (var batch in posts.Chunk(ImportCommand.BatchSize))
            {
                write(db, conn, [.. batch]).GetAwaiter().GetResult();
            }

            var rate = posts.Count / watch.Elapsed.TotalSeconds;
            Console.WriteLine($"{name,-45} {rate,10:N0} posts/s");
            return rate;
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            dir.Delete(recursive: true);
        }
    }
}
