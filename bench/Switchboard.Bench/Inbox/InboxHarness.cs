using System.Diagnostics;
using System.Globalization;
using Dapper;
using Microsoft.Data.Sqlite;
using Switchboard.Auth;
using Switchboard.Demo;
using Switchboard.Inbox;
using Switchboard.Posts;
using Switchboard.Storage;

namespace Switchboard.Bench.Inbox;

/// <summary>
/// `-- inbox [--conversations 1000000] [--seed 20261122] [--db path] [--rounds 200]`: an inbox of a million
/// conversations in SQLite (real texts of ../shared/data recombined), then, interleaved in one run: a primary-key
/// lookup of a conversation (baseline), inbox pages (queues and sorts, through the same query code and access scope
/// as the server) and full-text searches (FTS5). Prints p50/p95 per kind and the p95 ratio to the baseline.
/// A generated database is kept (`--db`) so a second run measures without regenerating.
/// </summary>
internal static class InboxHarness
{
    public static int Run(string[] args)
    {
        var count = IntArg(args, "--conversations", 1_000_000);
        var seed = IntArg(args, "--seed", 20261122);
        var rounds = IntArg(args, "--rounds", 200);
        var path = StringArg(args, "--db") ?? Path.Combine(Path.GetTempPath(), $"switchboard-inbox-bench-{count}-{seed}.db");
        var shared = FindSharedData();
        if (shared is null)
        {
            Console.WriteLine("inbox: ../shared/data not found beside the repository; skipping (the benchmark recombines its texts).");
            return 0;
        }

        Console.WriteLine($"inbox benchmark: seed {seed}, {count:N0} conversations, {rounds} rounds, {Environment.ProcessorCount} cores, load {LoadAverage()}");
        var db = Database.Sqlite(path);
        var now = DateTimeOffset.UtcNow;
        if (!File.Exists(path))
        {
            var sw = Stopwatch.StartNew();
            Generate(db, count, seed, LoadTexts(shared), now).GetAwaiter().GetResult();
            Console.WriteLine($"  generated {count:N0} conversations in {sw.Elapsed.TotalSeconds:F0} s ({new FileInfo(path).Length / 1_048_576} MB) → {path}");
        }
        else
        {
            Console.WriteLine($"  reusing {path}");
        }

        return Measure(db, seed, rounds).GetAwaiter().GetResult();
    }

    internal static async Task Generate(Database db, int count, int seed, List<string> texts, DateTimeOffset now)
    {
        await Migrator.MigrateAsync(db);
        await DemoWorkspace.SeedAsync(db, TimeProvider.System);
        var random = new Random(seed);
        await using var conn = (SqliteConnection)await db.OpenAsync();
        // Setup only: the measured reads use the server's settings.
        await conn.ExecuteAsync("PRAGMA synchronous=OFF; PRAGMA cache_size=-200000;");
        var members = (await conn.QueryAsync<(long Team, long User)>("SELECT team_id, user_id FROM team_members")).GroupBy(m => m.Team).ToDictionary(g => g.Key, g => g.Select(m => m.User).ToArray());
        var teams = members.Keys.ToArray();
        await using var tx = (SqliteTransaction)await conn.BeginTransactionAsync();
        var authors = Math.Max(1, count / 5);
        using (var cmd = conn.CreateCommand())
        {
            cmd.Transaction = tx;
            cmd.CommandText = "INSERT INTO authors (id, channel, external_id, handle, name, followers, verified) VALUES ($id, 'mastodon', $ext, $handle, $name, $followers, 0)";
            var (id, ext, handle, name, followers) = (cmd.Parameters.Add("$id", SqliteType.Integer), cmd.Parameters.Add("$ext", SqliteType.Text), cmd.Parameters.Add("$handle", SqliteType.Text), cmd.Parameters.Add("$name", SqliteType.Text), cmd.Parameters.Add("$followers", SqliteType.Integer));
            for (var i = 1; i <= authors; i++)
            {
                id.Value = i;
                ext.Value = "a" + i.ToString(CultureInfo.InvariantCulture);
                handle.Value = "user" + i.ToString(CultureInfo.InvariantCulture);
                name.Value = "Person " + i.ToString(CultureInfo.InvariantCulture);
                followers.Value = random.Next(100_000);
                cmd.ExecuteNonQuery();
            }
        }

        using var conv = conn.CreateCommand();
        conv.Transaction = tx;
        conv.CommandText = """
            INSERT INTO conversations (id, channel, root_external_id, author_id, team_id, assignee_id, status, subject, message_count, urgency,
                created_at, last_message_at, updated_at, next_due_at, escalation_level, holding_since, sentiment, sla_policy, first_response_at, resolved_at)
            VALUES ($id, 'mastodon', $root, $author, $team, $assignee, $status, $subject, 1, $urgency, $at, $at, $at, $due, $esc, $holding,
                $sentiment, 'standard', $first, $resolved)
            """;
        string[] names = ["$id", "$root", "$author", "$team", "$assignee", "$status", "$subject", "$urgency", "$at", "$due", "$esc", "$holding", "$sentiment", "$first", "$resolved"];
        // The reports benchmark reads these too: a sentiment, a first reply for most, a resolution time for the
        // resolved, and a first-response breach in the effect ledger for one in twelve.
        string[] sentiments = ["negative", "neutral", "positive"];
        using var breach = conn.CreateCommand();
        breach.Transaction = tx;
        breach.CommandText = "INSERT INTO sla_effects (conversation_id, policy, metric, level, kind, due_at, fired_at, processed_by, reason) VALUES ($conv, 'standard', 'first_response', 'breach', 'Breach', $at, $at, 'bench', 'bench')";
        var (breachConv, breachAt) = (breach.Parameters.Add("$conv", SqliteType.Integer), breach.Parameters.Add("$at", SqliteType.Integer));
        var p = names.ToDictionary(n => n, n => conv.Parameters.Add(n, SqliteType.Text));
        using var msg = conn.CreateCommand();
        msg.Transaction = tx;
        msg.CommandText = """
            INSERT INTO messages (id, channel, external_id, conversation_id, author_id, direction, text, created_at, received_at)
            VALUES ($id, 'mastodon', $ext, $conv, $author, 'in', $text, $at, $at)
            """;
        var m = new[] { "$id", "$ext", "$conv", "$author", "$text", "$at" }.ToDictionary(n => n, n => msg.Parameters.Add(n, SqliteType.Text));
        var start = now.AddDays(-180).ToUnixTimeMilliseconds();
        var span = now.ToUnixTimeMilliseconds() - start;
        for (var i = 1; i <= count; i++)
        {
            var text = Recombine(texts, random);
            var at = start + (long)(span * (i / (double)count));
            var team = random.Next(20) == 0 ? (long?)null : teams[random.Next(teams.Length)];
            var status = random.Next(100) switch { < 80 => "resolved", < 95 => "open", < 98 => "pending", _ => "snoozed" };
            long? assignee = team is { } t && random.Next(2) == 0 ? members[t][random.Next(members[t].Length)] : null;
            var open = status is "open" or "pending";
            p["$id"].Value = i;
            p["$root"].Value = "r" + i.ToString(CultureInfo.InvariantCulture);
            p["$author"].Value = random.Next(1, authors + 1);
            p["$team"].Value = (object?)team ?? DBNull.Value;
            p["$assignee"].Value = (object?)assignee ?? DBNull.Value;
            p["$status"].Value = status;
            p["$subject"].Value = text.Length > 120 ? text[..120] : text;
            p["$urgency"].Value = Math.Round(random.NextDouble(), 4);
            p["$at"].Value = at;
            p["$due"].Value = open ? now.ToUnixTimeMilliseconds() + random.Next(-7_200_000, 14_400_000) : DBNull.Value;
            p["$esc"].Value = open && random.Next(50) == 0 ? 1 + random.Next(3) : 0;
            p["$holding"].Value = open && assignee is null && random.Next(10) == 0 ? at : DBNull.Value;
            p["$sentiment"].Value = sentiments[random.Next(3)];
            p["$first"].Value = random.Next(100) < 85 ? at + random.Next(30_000, 14_400_000) : DBNull.Value;
            p["$resolved"].Value = status == "resolved" ? at + random.Next(600_000, 172_800_000) : DBNull.Value;
            conv.ExecuteNonQuery();
            if (random.Next(12) == 0)
            {
                breachConv.Value = i;
                breachAt.Value = at + 3_600_000;
                breach.ExecuteNonQuery();
            }
            m["$id"].Value = i;
            m["$ext"].Value = "r" + i.ToString(CultureInfo.InvariantCulture);
            m["$conv"].Value = i;
            m["$author"].Value = p["$author"].Value;
            m["$text"].Value = text;
            m["$at"].Value = at;
            msg.ExecuteNonQuery();
            if (i % 100_000 == 0)
            {
                Console.WriteLine($"  … {i:N0}");
            }
        }

        await tx.CommitAsync();
        await conn.ExecuteAsync("ANALYZE main;");
    }

    private static async Task<int> Measure(Database db, int seed, int rounds)
    {
        var random = new Random(seed + 1);
        var now = DateTimeOffset.UtcNow;
        await using (var c = await db.OpenAsync())
        {
            var max = await c.ExecuteScalarAsync<long>("SELECT MAX(id) FROM conversations");
            Console.WriteLine($"  {max:N0} conversations, {await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM messages"):N0} messages");
        }

        long maxId;
        long adminId, agentId;
        await using (var c = await db.OpenAsync())
        {
            maxId = await c.ExecuteScalarAsync<long>("SELECT MAX(id) FROM conversations");
            adminId = (await Users.FindAsync(c, DemoWorkspace.Agents[0].Email))!.Id;
            agentId = (await Users.FindAsync(c, "carlos@demo.switchboard.local"))!.Id;
        }

        var admin = Principal.For(new User(adminId, "admin", "Admin", Roles.Admin), "bench");
        var agent = Principal.For(new User(agentId, "carlos", "Carlos", Roles.Agent), "bench");
        string[] searches = ["refund", "delayed flight", "customer service", "lost luggage", "thank", "cancelled", "upgrade seat", "wifi", "user4242", "terrible experience never again"];
        var pages = new (string Name, InboxListRequest Request, bool Agent)[]
        {
            ("all, recent (admin)", new(InboxQueue.All), false),
            ("my teams, recent (agent)", new(InboxQueue.MyTeams), true),
            ("unassigned (agent scope)", new(InboxQueue.Unassigned), true),
            ("breaching soon, by due (agent)", new(InboxQueue.BreachingSoon), true),
            ("escalated (admin)", new(InboxQueue.Escalated), false),
            ("holding (admin)", new(InboxQueue.Holding), false),
            ("all, by urgency (admin)", new(InboxQueue.All, Sort: InboxSort.Urgency), false),
            ("mine (agent)", new(InboxQueue.Mine), true),
        };

        var timings = new Dictionary<string, List<double>>();
        void Add(string k, double ms) => (timings.TryGetValue(k, out var l) ? l : timings[k] = []).Add(ms);

        // Warm-up so the first round's page cache misses do not count.
        for (var w = 0; w < 3; w++)
        {
            await PkAsync(db, random.NextInt64(1, maxId + 1));
        }

        for (var r = 0; r < rounds; r++)
        {
            // Interleaved: every round runs each kind once, in the same conditions.
            Add("baseline: conversation by primary key", await TimeAsync(() => PkAsync(db, random.NextInt64(1, maxId + 1))));
            foreach (var (name, request, asAgent) in pages)
            {
                Add("page: " + name, await TimeAsync(async () =>
                {
                    await using var conn = await db.OpenAsync();
                    var scope = await AccessScope.LoadAsync(conn, asAgent ? agent : admin);
                    var page = await InboxViews.PageAsync(conn, request, scope, now, CancellationToken.None);
                    return page.Items.Count;
                }));
            }

            var q = searches[r % searches.Length];
            Add("search (admin)", await TimeAsync(() => SearchAsync(db, q, admin)));
            Add("search (agent scope)", await TimeAsync(() => SearchAsync(db, q, agent)));
        }

        var baseline = P(timings["baseline: conversation by primary key"], 0.95);
        Console.WriteLine();
        Console.WriteLine("| request | p50 ms | p95 ms | p95 / baseline p95 |");
        Console.WriteLine("|---|---|---|---|");
        var failed = false;
        foreach (var (name, list) in timings)
        {
            var p95 = P(list, 0.95);
            Console.WriteLine($"| {name} | {P(list, 0.5):F2} | {p95:F2} | {p95 / baseline:F1} |");
            failed |= name.StartsWith("page", StringComparison.Ordinal) ? p95 >= 50 : name.StartsWith("search", StringComparison.Ordinal) && p95 >= 200;
        }

        var allPages = timings.Where(t => t.Key.StartsWith("page", StringComparison.Ordinal)).SelectMany(t => t.Value).ToList();
        var allSearch = timings.Where(t => t.Key.StartsWith("search", StringComparison.Ordinal)).SelectMany(t => t.Value).ToList();
        Console.WriteLine($"| all inbox pages | {P(allPages, 0.5):F2} | {P(allPages, 0.95):F2} | {P(allPages, 0.95) / baseline:F1} |");
        Console.WriteLine($"| all searches | {P(allSearch, 0.5):F2} | {P(allSearch, 0.95):F2} | {P(allSearch, 0.95) / baseline:F1} |");
        Console.WriteLine($"targets: inbox page p95 < 50 ms, search p95 < 200 ms → {(failed ? "MISSED (see rows above)" : "met")}");
        return 0;
    }

    private static async Task<int> PkAsync(Database db, long id)
    {
        await using var conn = await db.OpenAsync();
        return (await conn.QueryAsync("SELECT id, subject, status, last_message_at FROM conversations WHERE id = @id", new { id })).Count();
    }

    private static async Task<int> SearchAsync(Database db, string q, System.Security.Claims.ClaimsPrincipal user)
    {
        await using var conn = await db.OpenAsync();
        var scope = await AccessScope.LoadAsync(conn, user);
        return (await InboxSearch.SearchAsync(conn, db, SearchText.Parse(q).Search!, scope, InboxViews.PageSize, CancellationToken.None)).Count;
    }

    private static async Task<double> TimeAsync(Func<Task<int>> f)
    {
        var sw = Stopwatch.StartNew();
        await f();
        return sw.Elapsed.TotalMilliseconds;
    }

    private static double P(List<double> xs, double q)
    {
        var s = xs.Order().ToList();
        return s[Math.Min(s.Count - 1, (int)Math.Ceiling(q * s.Count) - 1)];
    }

    private static string Recombine(List<string> texts, Random random)
    {
        var a = texts[random.Next(texts.Count)];
        if (random.Next(3) == 0)
        {
            return a;
        }

        var b = texts[random.Next(texts.Count)];
        var cutA = a.IndexOf(' ', a.Length / 2);
        var cutB = b.IndexOf(' ', b.Length / 2);
        return (cutA > 0 ? a[..cutA] : a) + (cutB > 0 ? b[cutB..] : " " + b);
    }

    internal static List<string> LoadTexts(string shared)
    {
        var texts = new List<string>();
        foreach (var file in new[] { Path.Combine(shared, "airline", "train.csv"), Path.Combine(shared, "twcs", "twcs_sample_5000.csv") })
        {
            if (File.Exists(file))
            {
                using var reader = new StreamReader(file);
                texts.AddRange(PostFiles.Read(reader).Where(r => r.Post is { Text.Length: > 0 }).Select(r => r.Post!.Text));
            }
        }

        return texts;
    }

    internal static string? FindSharedData()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "data");
            if (Directory.Exists(Path.Combine(candidate, "airline")))
            {
                return candidate;
            }
        }

        return null;
    }

    internal static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";

    internal static int IntArg(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }

    internal static string? StringArg(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
