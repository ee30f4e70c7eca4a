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
        var count = args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal) ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 50_000;
        // `--only agents` runs one path alone (for a profiler); every row printed is still measured in the same run.
        var only = args.SkipWhile(a => a != "--only").Skip(1).FirstOrDefault();
        bool Runs(string path) => only is null || only == path;
        // `--postgres CONNECTION` (an admin connection string): also measure the staffed path on PostgreSQL, with
        // Npgsql's automatic preparation off and on.
        var postgres = args.SkipWhile(a => a != "--postgres").Skip(1).FirstOrDefault();
        var random = new Random(42);
        Console.WriteLine($"seed 42, {count} posts, SQLite WAL synchronous=FULL, batches of {ImportCommand.BatchSize}");
        var posts = Enumerable.Range(0, count).Select(i => new Post(
            "p" + i, "mastodon", $"post {i}: my Brightwave Hub is broken again, refund please",
            DateTimeOffset.FromUnixTimeSeconds(1_790_000_000 + i), new Author("a" + random.Next(5000), "user" + i % 5000),
            "en", null, i > 0 && random.NextDouble() < 0.3 ? "p" + random.Next(i) : null)).ToList();

        double? floor = null, full = null, routed = null, staffed = null;
        if (Runs("floor"))
        {
            floor = Measure("plain INSERT (floor)", posts, async (db, conn, batch) =>
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
        }

        if (Runs("batch"))
        {
            full = Measure("IngestBatch (dedupe+thread+classify+route)", posts, async (db, conn, batch) =>
                await IngestBatch.WriteAsync(db, conn, batch, TimeProvider.System, CancellationToken.None));
        }

        // What `import` and `serve` actually run: the same batch with listening topics and the routing session (the
        // active rule version, a routing trace per new conversation, SLA clocks).
        if (Runs("served"))
        {
            routed = Measure("IngestBatch + topics, routing, SLA (as served)", posts, Served);
        }

        // The same with agents on the team the posts route to, so every new conversation is also assigned by skills and
        // load (sticky author look-up, round-robin cursor, claim, notification, audit): a staffed workspace's path.
        if (Runs("agents"))
        {
            staffed = Measure("  + 12 agents on the team (assignment)", posts, Served, AddAgentsAsync);
        }

        // The statement cache (CachedStatements) against Dapper's command per call, on the staffed path: alternated
        // twice (off, on, off, on) so a change in the machine's load hits both sides alike.
        if (Runs("cache"))
        {
            var off = new List<double>();
            var on = new List<double>();
            for (var round = 0; round < 2; round++)
            {
                foreach (var enabled in new[] { false, true })
                {
                    global::Switchboard.Storage.CachedStatements.Enabled = enabled;
                    (enabled ? on : off).Add(Measure($"  staffed, statement cache {(enabled ? "on" : "off")}", posts, Served, AddAgentsAsync));
                }
            }

            global::Switchboard.Storage.CachedStatements.Enabled = true;
            Console.WriteLine($"ratio: statement cache on / off = {on.Average() / off.Average():0.00}x (means of two runs each)");
        }

        if (postgres is not null)
        {
            var off = new List<double>();
            var on = new List<double>();
            var pgPosts = posts.Take(Math.Min(posts.Count, 5_000)).ToList();
            for (var round = 0; round < 2; round++)
            {
                foreach (var prepare in new[] { false, true })
                {
                    (prepare ? on : off).Add(MeasurePostgres($"  PostgreSQL staffed, auto-prepare {(prepare ? "on" : "off")}", pgPosts, postgres, prepare));
                }
            }

            Console.WriteLine($"ratio: PostgreSQL auto-prepare on / off = {on.Average() / off.Average():0.00}x (means of two runs each, {pgPosts.Count:N0} posts)");
        }

        if (floor is { } f && full is { } b)
        {
            Console.WriteLine($"ratio: full ingest runs at {b / f:0.00}x the plain-insert floor");
        }

        if (floor is { } f2 && full is { } b2 && routed is { } r)
        {
            Console.WriteLine($"ratio: as served (routing and SLA) runs at {r / f2:0.00}x the floor, {r / b2:0.00}x the batch without them");
        }

        if (routed is { } r2 && full is { } b3 && staffed is { } a)
        {
            Console.WriteLine($"ratio: with assignment {a / b3:0.00}x the batch without routing, {a / r2:0.00}x as served without agents");
        }

        return 0;
    }

    private static async Task Served(Database db, System.Data.Common.DbConnection conn, List<Post> batch)
    {
        var routing = new global::Switchboard.Routing.RoutingRuntime(db,
            new global::Switchboard.Routing.ActiveRules(db, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<global::Switchboard.Routing.ActiveRules>.Instance),
            new global::Switchboard.Sla.SlaSignal(), new global::Switchboard.Inbox.InboxFeed(), TimeProvider.System);
        await IngestBatch.WriteAsync(db, conn, batch, TimeProvider.System, CancellationToken.None, new global::Switchboard.Listening.TopicIndex(), routing);
    }

    // Twelve available agents with room for every conversation, on the team the bench's complaints route to; seen "in
    // two hours" so they stay online for the whole run whatever the team calendar says.
    private static async Task AddAgentsAsync(System.Data.Common.DbConnection conn)
    {
        var team = await conn.ExecuteScalarAsync<long>("SELECT id FROM teams WHERE slug = 'customer-service'");
        for (var i = 0; i < 12; i++)
        {
            var id = await conn.ExecuteScalarAsync<long>(
                "INSERT INTO users (email, display_name, role, skills, languages, capacity, available, last_seen_at, created_at) VALUES (@e, @n, 'agent', 'communicating,technical', 'en', 100000, 1, @seen, 0) RETURNING id",
                new { e = $"agent{i}@bench.local", n = $"Agent {i}", seen = DateTimeOffset.UtcNow.AddHours(2).ToUnixTimeMilliseconds() });
            await conn.ExecuteAsync("INSERT INTO team_members (team_id, user_id) VALUES (@team, @id)", new { team, id });
        }
    }
    // A fresh database per run on the given server, dropped afterwards. "Max Auto Prepare=0" is how an operator turns
    // Npgsql's preparation off; leaving it out gets Switchboard's default (Database.Postgres).
    private static double MeasurePostgres(string name, List<Post> posts, string admin, bool prepare)
    {
        var dbName = "switchboard_bench_" + Guid.NewGuid().ToString("N")[..12];
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(admin);
        using (var c = new Npgsql.NpgsqlConnection(builder.ToString()))
        {
            c.Open();
            c.Execute($"CREATE DATABASE {dbName}");
        }

        try
        {
            var cs = new Npgsql.NpgsqlConnectionStringBuilder(admin) { Database = dbName }.ToString() + (prepare ? "" : ";Max Auto Prepare=0");
            var db = Database.Postgres(cs);
            Migrator.MigrateAsync(db).GetAwaiter().GetResult();
            using var conn = db.OpenAsync().GetAwaiter().GetResult();
            AddAgentsAsync(conn).GetAwaiter().GetResult();
            var watch = Stopwatch.StartNew();
            foreach (var batch in posts.Chunk(ImportCommand.BatchSize))
            {
                Served(db, conn, [.. batch]).GetAwaiter().GetResult();
            }

            var rate = posts.Count / watch.Elapsed.TotalSeconds;
            var (conversations, assigned) = conn.QueryFirst<(long, long)>("SELECT COUNT(*), COUNT(assignee_id) FROM conversations");
            Console.WriteLine($"{name,-45} {rate,10:N0} posts/s   ({conversations:N0} conversations, {assigned:N0} assigned)");
            return rate;
        }
        finally
        {
            Npgsql.NpgsqlConnection.ClearAllPools();
            using var c = new Npgsql.NpgsqlConnection(builder.ToString());
            c.Open();
            c.Execute($"DROP DATABASE IF EXISTS {dbName} WITH (FORCE)");
        }
    }

    private static double Measure(string name, List<Post> posts, Func<Database, System.Data.Common.DbConnection, List<Post>, Task> write,
        Func<System.Data.Common.DbConnection, Task>? setup = null)
    {
        var dir = Directory.CreateTempSubdirectory("switchboard-bench-");
        try
        {
            var db = Database.Sqlite(Path.Combine(dir.FullName, "bench.db"));
            Migrator.MigrateAsync(db).GetAwaiter().GetResult();
            using var conn = db.OpenAsync().GetAwaiter().GetResult();
            setup?.Invoke(conn).GetAwaiter().GetResult();
            conn.Execute("CREATE TABLE raw_messages (id INTEGER PRIMARY KEY, channel TEXT NOT NULL, external_id TEXT NOT NULL, text TEXT NOT NULL, in_reply_to TEXT, created_at BIGINT NOT NULL, UNIQUE (channel, external_id))");
            var watch = Stopwatch.StartNew();
            foreach (var batch in posts.Chunk(ImportCommand.BatchSize))
            {
                write(db, conn, [.. batch]).GetAwaiter().GetResult();
            }

            var rate = posts.Count / watch.Elapsed.TotalSeconds;
            // What the path did, so a row cannot silently measure less work (e.g. agents offline, nothing assigned).
            var (conversations, assigned, clocks) = conn.QueryFirst<(long, long, long)>(
                "SELECT COUNT(*), COUNT(assignee_id), COUNT(sla_state) FROM conversations");
            Console.WriteLine($"{name,-45} {rate,10:N0} posts/s   ({conversations:N0} conversations, {assigned:N0} assigned, {clocks:N0} with clocks)");
            return rate;
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            dir.Delete(recursive: true);
        }
    }
}
