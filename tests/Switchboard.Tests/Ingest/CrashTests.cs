using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Dapper;
using Switchboard.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Switchboard.Tests.Ingest;

[Collection(nameof(RunsAlone))]
public class CrashTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Killing_an_import_with_sigkill_and_running_it_again_stores_every_row_exactly_once()
    {
        const int total = 20_000;
        var seed = Seed();
        var random = new Random(seed);
        var dir = Directory.CreateTempSubdirectory("switchboard-crash-").FullName;
        var file = Path.Combine(dir, "posts.jsonl");
        await using (var w = new StreamWriter(file))
        {
            for (var i = 0; i < total; i++)
            {
                // A third are replies, some to posts later in the file, so re-attachment is exercised across the crash.
                string? reply = i > 10 && random.NextDouble() < 0.33 ? "p" + random.Next(0, Math.Min(total, i + 50)) : null;
                await w.WriteLineAsync(JsonSerializer.Serialize(new
                {
                    id = "p" + i,
                    channel = "mastodon",
                    text = $"post {i} about the Brightwave Hub",
                    created_at = DateTimeOffset.FromUnixTimeSeconds(1_790_000_000 + i).ToString("o"),
                    in_reply_to = reply == "p" + i ? null : reply,
                    author = new { id = "a" + random.Next(500) },
                }));
            }
        }

        var dbPath = Path.Combine(dir, "switchboard.db");
        using (var first = Start(file, dbPath))
        {
            var db = Storage.Database.Sqlite(dbPath);
            var killedAt = 0L;
            var watch = Stopwatch.StartNew();
            while (watch.Elapsed < TimeSpan.FromSeconds(120) && !first.HasExited)
            {
                killedAt = await CountAsync(db);
                if (killedAt >= 2000)
                {
                    first.Kill(entireProcessTree: true); // SIGKILL on Linux: no chance to clean up
                    break;
                }

                await Task.Delay(20);
            }

            await first.WaitForExitAsync();
            output.WriteLine($"killed with at least {killedAt} rows committed");
            Assert.True(killedAt < total, "the import finished before it could be killed; make the input larger");
        }

        using (var second = Start(file, dbPath))
        {
            var stdout = await second.StandardOutput.ReadToEndAsync();
            await second.WaitForExitAsync();
            output.WriteLine(stdout);
            Assert.Equal(0, second.ExitCode);
        }

        var check = Storage.Database.Sqlite(dbPath);
        await using var conn = await check.OpenAsync();
        Assert.Equal("ok", await conn.ExecuteScalarAsync<string>("PRAGMA integrity_check"));
        Assert.Equal(total, await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM messages"));
        Assert.Equal(total, await conn.ExecuteScalarAsync<long>("SELECT COUNT(DISTINCT external_id) FROM messages"));
        Assert.Equal(0, await conn.ExecuteScalarAsync<long>(
            """
            SELECT COUNT(*) FROM messages child JOIN messages parent
              ON parent.channel = child.channel AND parent.external_id = child.in_reply_to
            WHERE parent.conversation_id <> child.conversation_id
            """));
        Assert.Equal(0, await conn.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM conversations c WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id)"));
    }

    /// <summary>
    /// The reliability plan's crash test (docs/architecture.md, Durability): a client sends 20,000 post deliveries to
    /// POST /api/posts in requests of 1 to 5 posts from 16 connections — 10% of them re-sends of an earlier post, right
    /// behind it (both in flight at once) or up to 6,000 sends later — and, like Meta, retries each request on a
    /// timeout, a connection failure or a 5xx until it gets a 2xx. Meanwhile the server is killed with SIGKILL 20
    /// times at random moments and restarted on the same database and port. Checked: after every kill, each post
    /// acknowledged so far is stored; at the end, each post is stored exactly once, one conversation per thread,
    /// integrity_check ok; and each restart answers /healthz within 5 s of its process start.
    /// </summary>
    [Fact]
    public async Task Killing_the_server_20_times_during_20000_retried_deliveries_stores_each_post_once_and_restarts_within_5_s()
    {
        const int sends = 20_000;
        const int duplicates = sends / 10;
        const int distinct = sends - duplicates;
        const int kills = 20;
        const int connections = 16;
        var readyBound = TimeSpan.FromSeconds(5);
        var total = Stopwatch.StartNew();
        var seed = Seed();
        var random = new Random(seed);

        // Threads: 40% of posts reply to one of the 300 before them, so conversations are several levels deep, and
        // with 16 connections, retries and re-sends a reply often arrives before its parent (orphan, then merge).
        var parent = new int[distinct];
        var root = new int[distinct];
        var author = new int[distinct];
        var bodies = new string[distinct];
        for (var i = 0; i < distinct; i++)
        {
            parent[i] = i > 0 && random.NextDouble() < 0.4 ? random.Next(Math.Max(0, i - 300), i) : -1;
            root[i] = parent[i] < 0 ? i : root[parent[i]];
            author[i] = random.Next(400);
            bodies[i] = JsonSerializer.Serialize(new
            {
                id = Id(i),
                channel = Channel,
                text = $"comment {i}: {Complaints[random.Next(Complaints.Length)]}",
                created_at = DateTimeOffset.FromUnixTimeSeconds(1_790_000_000 + i).ToString("o", CultureInfo.InvariantCulture),
                in_reply_to = parent[i] < 0 ? null : Id(parent[i]),
                author = new { id = "a" + author[i] },
            });
        }

        var requests = Requests(random, Schedule(random, distinct, duplicates));
        var killAt = Enumerable.Range(0, kills).Select(_ => random.Next(300, sends - 500)).Order().ToArray();

        var workDir = Directory.CreateTempSubdirectory("switchboard-crash-serve-").FullName;
        var db = Storage.Database.Sqlite(Path.Combine(workDir, "data", "switchboard.db"));
        var port = ServerProcess.PortOutsideEphemeralRange();
        ServerProcess? server = await ServerProcess.StartInAsync(workDir, port);
        await server.RunCliAsync("user", "create", "--email", "ops@example.com", "--name", "Ops", "--role", "admin", "--password", "a long passphrase");
        var token = await server.RunCliAsync("token", "create", "--user", "ops@example.com");
        output.WriteLine($"first start (new database) ready after {server.ReadyAfter.TotalMilliseconds:F0} ms, {server.ReadyCpu.TotalMilliseconds:F0} ms CPU; " +
                         $"port {port}; setup took {total.Elapsed.TotalSeconds:F1} s");

        using var handler = new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(5) };
        using var http = new HttpClient(handler) { BaseAddress = server.Address, Timeout = Timeout.InfiniteTimeSpan };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        using var giveUp = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        // Like Meta: each request retried until a 2xx, with backoff from 20 ms to 1 s; 1 attempt in 50 waits only
        // 1-40 ms for its answer, so the server often commits posts whose answer nobody reads.
        var client = new RetryingSender(http, bodies, requests, DeliveryEndpoint.PostsApi,
            new RetryPolicy { FirstBackoff = TimeSpan.FromMilliseconds(20), MaxBackoff = TimeSpan.FromSeconds(1), AttemptTimeout = TimeSpan.FromSeconds(10), ShortTimeoutOneIn = 50 },
            giveUp.Token);

        var ready = new List<TimeSpan>();
        var lost = new List<string>();
        var deliveries = Stopwatch.StartNew();
        var fleet = client.RunAsync(connections, seed);
        try
        {
            for (var k = 0; k < kills; k++)
            {
                // A random moment: after the k-th random count of acknowledged sends, once this process has answered
                // at least one, a few milliseconds in, with a request in flight.
                var answeredBefore = client.Acknowledged;
                while ((client.Acknowledged < killAt[k] || client.Acknowledged == answeredBefore) && !fleet.IsCompleted)
                {
                    await Task.Delay(5);
                }

                await Task.Delay(random.Next(20));
                while (client.InFlight == 0 && !fleet.IsCompleted)
                {
                    await Task.Delay(1);
                }

                Assert.False(fleet.IsCompleted, $"the client stopped before kill {k + 1}, with {client.Acknowledged} of {sends} sends acknowledged");
                var inFlight = client.InFlight;
                var cpu = server!.Cpu;
                await server.KillAsync();
                await server.DisposeAsync();
                server = null;

                // Nothing runs on the database now, so nothing can re-store a post: whatever was acknowledged before
                // the SIGKILL must be there on its own.
                var acknowledged = client.AcknowledgedPosts();
                var stored = await StoredIdsAsync(db);
                var missing = acknowledged.Where(i => !stored.Contains(Id(i))).ToList();
                if (missing.Count > 0)
                {
                    lost.Add($"kill {k + 1}: {missing.Count} acknowledged posts missing, e.g. {string.Join(", ", missing.Take(5).Select(Id))}");
                }

                server = await ServerProcess.StartInAsync(workDir, port);
                ready.Add(server.ReadyAfter);
                output.WriteLine($"kill {k + 1,2} at {deliveries.Elapsed.TotalSeconds,5:F1} s: {acknowledged.Count,5} posts acknowledged, {stored.Count,5} stored, " +
                                 $"{inFlight,2} requests in flight (server had used {cpu.TotalSeconds:F1} s CPU); ready again after " +
                                 $"{server.ReadyAfter.TotalMilliseconds,4:F0} ms, {server.ReadyCpu.TotalMilliseconds,4:F0} ms CPU, load average {LoadAverage()}");
            }

            await fleet;
        }
        finally
        {
            await giveUp.CancelAsync();
            await fleet.ContinueWith(_ => { }, TaskScheduler.Default);
            await (server?.DisposeAsync() ?? ValueTask.CompletedTask);
        }

        output.WriteLine($"deliveries took {deliveries.Elapsed.TotalSeconds:F1} s; {client.Describe()}");
        output.WriteLine($"readiness after each restart (ms): {string.Join(", ", ready.Select(r => r.TotalMilliseconds.ToString("F0", CultureInfo.InvariantCulture)))}");

        Assert.Equal(kills, ready.Count);
        Assert.Empty(client.Refusals);
        Assert.True(sends == client.Acknowledged, $"only {client.Acknowledged} of {sends} sends were acknowledged within 10 minutes");
        Assert.Equal(0, client.ReportedDeadLettered);
        Assert.Empty(lost);
        // The server says "stored" for a post at most once, whichever of its sends carried it.
        Assert.InRange(client.ReportedStored, 0, distinct);

        await using var conn = await db.OpenAsync();
        try
        {
            Assert.Equal("ok", await conn.ExecuteScalarAsync<string>("PRAGMA integrity_check"));
            Assert.Empty(await conn.QueryAsync<string>("SELECT \"table\" || ' row ' || rowid || ' → ' || parent FROM pragma_foreign_key_check"));

            // Every post acknowledged is stored, exactly once.
            var counts = (await conn.QueryAsync<(string Id, long Count)>(
                "SELECT external_id, COUNT(*) FROM messages WHERE channel = @c GROUP BY external_id", new { c = Channel })).ToList();
            Assert.DoesNotContain(counts, c => c.Count != 1);
            Assert.Equal(Enumerable.Range(0, distinct).Select(Id).Order(StringComparer.Ordinal), counts.Select(c => c.Id).Order(StringComparer.Ordinal));
            Assert.Equal(distinct, await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM messages"));

            // One conversation per thread (the product's key: channel and root post), holding all of the thread and
            // nothing else, started by its root post's author, with the right count.
            Assert.Empty(await conn.QueryAsync<string>(
                "SELECT channel || ' ' || root_external_id || ': ' || COUNT(*) FROM conversations GROUP BY channel, root_external_id HAVING COUNT(*) > 1"));
            var threads = Enumerable.Range(0, distinct).Select(i => root[i]).Distinct().ToList();
            Assert.Equal(threads.Count, await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM conversations"));
            var placed = (await conn.QueryAsync<(string Message, string Root, long Conversation)>(
                "SELECT m.external_id, c.root_external_id, c.id FROM messages m JOIN conversations c ON c.id = m.conversation_id")).ToList();
            Assert.Empty(placed.Where(p => p.Root != Id(root[Index(p.Message)])).Select(p => $"{p.Message} in the thread of {p.Root}").Take(10));
            Assert.Equal(threads.Count, placed.Select(p => p.Conversation).Distinct().Count());
            var starters = (await conn.QueryAsync<(string Root, string? Author)>(
                "SELECT c.root_external_id, a.external_id FROM conversations c LEFT JOIN authors a ON a.id = c.author_id")).ToList();
            Assert.Empty(starters.Where(s => s.Author != "a" + author[Index(s.Root)]).Select(s => $"{s.Root} started by {s.Author}").Take(10));
            Assert.Equal(0, await conn.ExecuteScalarAsync<long>(
                "SELECT COUNT(*) FROM conversations c WHERE message_count <> (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id)"));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearPool((Microsoft.Data.Sqlite.SqliteConnection)conn);
        }

        Directory.Delete(workDir, recursive: true); // kept when an assertion above fails, to look into
        output.WriteLine($"test took {total.Elapsed.TotalSeconds:F1} s");
        // Last, so that a slow start on a loaded machine cannot hide a lost or duplicated post.
        Assert.All(ready, r => Assert.True(r <= readyBound, $"ready after {r.TotalMilliseconds:F0} ms, more than {readyBound.TotalSeconds} s"));
    }

    private const string Channel = "facebook:1000000001";

    private const string SeedVariable = "SWITCHBOARD_CRASH_SEED";

    private static readonly string[] Complaints =
    [
        "my Pulse earbuds are broken", "where is my refund?", "love the Brightwave Hub", "the app crashes at login",
        "still waiting for an answer", "thanks, that fixed it",
    ];

    private static string Id(int i) => "c" + i.ToString(CultureInfo.InvariantCulture);

    private static int Index(string id) => int.Parse(id.AsSpan(1), CultureInfo.InvariantCulture);

    /// <summary>The seed from <see cref="SeedVariable"/> when set (to replay a failure), else a new one; printed either way.</summary>
    private int Seed()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable(SeedVariable), NumberStyles.Integer, CultureInfo.InvariantCulture, out var s)
            ? s
            : Environment.TickCount;
        output.WriteLine($"seed {seed} (replay the same data and schedule with {SeedVariable}={seed}; kill moments also depend on timing)");
        return seed;
    }

    /// <summary>
    /// The order of the sends: every post once, roughly in creation order (shuffled within about 200 places), plus
    /// <paramref name="duplicates"/> re-sends of distinct posts: a third right behind the first send (the two are in
    /// flight together, as when a provider retries a slow delivery), the rest 1 to 6,000 sends later.
    /// </summary>
    private static int[] Schedule(Random random, int distinct, int duplicates)
    {
        var slots = new List<(double Key, int Post)>(distinct + duplicates);
        var order = Enumerable.Range(0, distinct).Select(i => (Key: i + random.NextDouble() * 200, Post: i)).OrderBy(x => x.Key).ToList();
        for (var position = 0; position < order.Count; position++)
        {
            slots.Add((position, order[position].Post));
        }

        foreach (var position in Enumerable.Range(0, distinct).OrderBy(_ => random.Next()).Take(duplicates).Order().ToList())
        {
            var later = random.Next(3) == 0 ? 0 : random.Next(1, 6_000);
            slots.Add((position + later + 0.5, order[position].Post));
        }

        return [.. slots.OrderBy(s => s.Key).Select(s => s.Post)];
    }

    /// <summary>The 1-minute load average (Linux), printed beside start times: on a shared machine it explains most of them.</summary>
    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";

    private static async Task<HashSet<string>> StoredIdsAsync(Storage.Database db)
    {
        await using var conn = await db.OpenAsync();
        try
        {
            return (await conn.QueryAsync<string>("SELECT external_id FROM messages")).ToHashSet();
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearPool((Microsoft.Data.Sqlite.SqliteConnection)conn);
        }
    }

    /// <summary>
    /// Cuts the sends into requests of 1 to 5 posts, as Meta batches the changes of one delivery; a request never holds
    /// the same post twice (its re-send goes in the next request, which another connection sends at the same time).
    /// </summary>
    private static int[][] Requests(Random random, int[] schedule)
    {
        var requests = new List<int[]>();
        var current = new List<int>();
        var size = random.Next(1, 6);
        foreach (var post in schedule)
        {
            if (current.Count == size || current.Contains(post))
            {
                requests.Add([.. current]);
                current.Clear();
                size = random.Next(1, 6);
            }

            current.Add(post);
        }

        requests.Add([.. current]);
        return [.. requests];
    }

    private static Process Start(string file, string db)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { Repo.SwitchboardDll, "import", file, "--db", db })
        {
            psi.ArgumentList.Add(a);
        }

        var p = Process.Start(psi)!;
        p.ErrorDataReceived += (_, _) => { };
        p.BeginErrorReadLine();
        return p;
    }

    private static async Task<long> CountAsync(Storage.Database db)
    {
        if (!File.Exists(db.Display["sqlite:".Length..]))
        {
            return 0;
        }

        try
        {
            await using var conn = await db.OpenAsync();
            return await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM messages");
        }
        catch (Microsoft.Data.Sqlite.SqliteException)
        {
            return 0; // schema not created yet
        }
    }
}
