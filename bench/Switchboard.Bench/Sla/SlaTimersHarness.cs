using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Switchboard.Inbox;
using Switchboard.Routing;
using Switchboard.Routing.Configuration;
using Switchboard.Sla;
using Switchboard.Storage;

namespace Switchboard.Bench.Sla;

/// <summary>
/// `sla-timers [conversations=1000000] [due=3000] [window-seconds=15] [seed]`: a SQLite database with that many open
/// conversations whose first-response deadlines are stored, `due` of them coming due uniformly over the window and
/// the rest later in the week. Phase 1 runs the real <see cref="SlaScheduler"/> (min-heap, wake-ups) and records
/// each timer's lag from due time to commit; phase 2, on a fresh set of due timers in the same database, runs the
/// same processing from a fixed-interval sweep (the peers' design, here every 5 s instead of their 5 min) as the
/// baseline. Reports p50/p99/max lag, the ratio, and the process's peak working set.
/// </summary>
internal static class SlaTimersHarness
{
    const string Yaml = """
        version: 1
        calendars:
          - name: always
            zone: UTC
            hours:
              daily: ["00:00-24:00"]
        sla_policies:
          - name: bench
            calendar: always
            first_response: 1h
            resolution: 30d
        teams:
          - name: customer-service
            calendar: always
            sla_policy: bench
        """;

    public static int Run(string[] args)
    {
        var n = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1_000_000;
        var due = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 3_000;
        var window = TimeSpan.FromSeconds(args.Length > 2 ? double.Parse(args[2], CultureInfo.InvariantCulture) : 15);
        var seed = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : Environment.TickCount;
        Console.WriteLine($"sla-timers: {n:N0} conversations, {due:N0} due over {window.TotalSeconds:0} s, seed {seed}, load average {LoadAverage()}");
        return RunAsync(n, due, window, seed).GetAwaiter().GetResult();
    }

    static async Task<int> RunAsync(int n, int due, TimeSpan window, int seed)
    {
        var dir = Directory.CreateTempSubdirectory("switchboard-bench-sla-");
        try
        {
            var db = Database.Sqlite(Path.Combine(dir.FullName, "bench.db"));
            await Migrator.MigrateAsync(db);
            var ws = WorkspaceLoader.LoadText(Yaml).Workspace!;
            await using (var conn = await db.OpenAsync())
                await conn.ExecuteAsync("INSERT INTO rule_versions (yaml, author, created_at, active) VALUES (@Yaml, 'bench', 0, 1)", new { Yaml });

            var rng = new Random(seed);
            var sw = Stopwatch.StartNew();
            var phase1Start = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(8) + TimeSpan.FromSeconds(n / 4_000.0);
            var phase2Start = phase1Start + window + TimeSpan.FromSeconds(10);
            await InsertAsync(db, ws, n, i =>
            {
                // First `due` conversations: phase 1; next `due`: phase 2 (baseline); the rest: later this week.
                if (i < due)
                    return phase1Start + (window * rng.NextDouble());
                if (i < 2 * due)
                    return phase2Start + (window * rng.NextDouble());
                return phase2Start + window + TimeSpan.FromHours(1) + TimeSpan.FromMinutes(rng.Next(7 * 24 * 60));
            });
            Console.WriteLine($"inserted {n:N0} conversations with deadlines in {sw.Elapsed.TotalSeconds:0.0} s");
            if (DateTimeOffset.UtcNow > phase1Start)
                Console.WriteLine("warning: insertion overran the start of phase 1; early timers start overdue");

            var time = TimeProvider.System;
            var rules = new ActiveRules(db, time, NullLogger<ActiveRules>.Instance);
            var signal = new SlaSignal();
            var options = new SlaSchedulerOptions(TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(30));
            var scheduler = new SlaScheduler(db, rules, signal, new InboxFeed(), time, options, NullLogger<SlaScheduler>.Instance);
            var lags = new List<double>();
            scheduler.Fired += (_, lag) => { lock (lags) lags.Add(lag.TotalMilliseconds); };

            // Phase 1: the scheduler as it runs in `serve`.
            await scheduler.StartAsync(CancellationToken.None);
            await Task.Delay(NonNegative(phase1Start + window + TimeSpan.FromSeconds(2) - DateTimeOffset.UtcNow));
            await scheduler.StopAsync(CancellationToken.None);
            List<double> heap;
            lock (lags)
            {
                heap = [.. lags];
                lags.Clear();
            }
            var memory = Process.GetCurrentProcess().PeakWorkingSet64;

            // Phase 2 (baseline): the same claim-and-process code, triggered by a fixed 5 s sweep.
            var sweep = TimeSpan.FromSeconds(5);
            await Task.Delay(NonNegative(phase2Start - DateTimeOffset.UtcNow));
            var end = phase2Start + window + sweep + TimeSpan.FromSeconds(1);
            while (DateTimeOffset.UtcNow < end)
            {
                await Task.Delay(sweep);
                await scheduler.ProcessDueAsync(CancellationToken.None);
            }
            List<double> swept;
            lock (lags)
                swept = [.. lags];

            Console.WriteLine($"scheduler (min-heap + wake-ups): {Describe(heap)}");
            Console.WriteLine($"baseline (5 s sweep):            {Describe(swept)}");
            if (heap.Count > 0 && swept.Count > 0)
                Console.WriteLine($"p99 lag ratio baseline/scheduler: {Percentile(swept, 0.99) / Math.Max(1, Percentile(heap, 0.99)):0.0}x");
            Console.WriteLine($"peak working set: {memory / (1024.0 * 1024):0} MiB (target < 1024 MiB); database {new FileInfo(Path.Combine(dir.FullName, "bench.db")).Length / (1024.0 * 1024):0} MiB");
            return heap.Count == due ? 0 : 1;
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            try
            {
                dir.Delete(true);
            }
            catch (IOException)
            {
            }
        }
    }

    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.General) { Converters = { new JsonStringEnumConverter() } };

    /// <summary>Bulk insert in one transaction with prepared commands: conversation row, clock state, timer row.</summary>
    static async Task InsertAsync(Database db, Workspace ws, int n, Func<int, DateTimeOffset> deadline)
    {
        await using var conn = (SqliteConnection)await db.OpenAsync();
        var team = await conn.ExecuteScalarAsync<long>("SELECT id FROM teams WHERE slug = 'customer-service'");
        await using var tx = conn.BeginTransaction();
        using var conv = conn.CreateCommand();
        conv.Transaction = tx;
        conv.CommandText = """
            INSERT INTO conversations (id, channel, root_external_id, team_id, status, subject, message_count, created_at, last_message_at, updated_at,
              sla_state, sla_policy, first_response_due_at, resolution_due_at, next_due_at)
            VALUES ($id, 'bench', $id, $team, 'open', 'bench', 1, $at, $at, $at, $state, 'bench', $due, $res, $due)
            """;
        using var timer = conn.CreateCommand();
        timer.Transaction = tx;
        timer.CommandText = "INSERT INTO sla_timers (conversation_id, due_at, kind, policy, metric, level, updated_at) VALUES ($id, $due, 'Breach', 'bench', 'first_response', 'breach', $at)";
        var p = new Dictionary<string, SqliteParameter>();
        foreach (var name in new[] { "$id", "$team", "$at", "$state", "$due", "$res" })
            p[name] = conv.Parameters.Add(new SqliteParameter(name, null));
        var tid = timer.Parameters.Add(new SqliteParameter("$id", null));
        var tdue = timer.Parameters.Add(new SqliteParameter("$due", null));
        var tat = timer.Parameters.Add(new SqliteParameter("$at", null));
        p["$team"].Value = team;
        for (var i = 0; i < n; i++)
        {
            var d = deadline(i);
            var start = d - TimeSpan.FromHours(1);
            var state = ConversationClockState.New((i + 1).ToString(CultureInfo.InvariantCulture));
            state = ConversationClock.Apply(state, new Assigned(start, "customer-service", null), ws).State;
            state = ConversationClock.Apply(state, new CustomerMessaged(start), ws).State;
            var at = start.ToUnixTimeMilliseconds();
            p["$id"].Value = i + 1L;
            p["$at"].Value = at;
            p["$state"].Value = JsonSerializer.Serialize(state, Json);
            p["$due"].Value = d.ToUnixTimeMilliseconds();
            p["$res"].Value = (start + TimeSpan.FromDays(30)).ToUnixTimeMilliseconds();
            conv.ExecuteNonQuery();
            tid.Value = i + 1L;
            tdue.Value = d.ToUnixTimeMilliseconds();
            tat.Value = at;
            timer.ExecuteNonQuery();
        }
        await tx.CommitAsync();
    }

    static TimeSpan NonNegative(TimeSpan t) => t < TimeSpan.Zero ? TimeSpan.Zero : t;

    static double Percentile(List<double> v, double q)
    {
        if (v.Count == 0)
            return double.NaN;
        var s = v.Order().ToList();
        return s[Math.Min(s.Count - 1, (int)Math.Ceiling(q * s.Count) - 1)];
    }

    static string Describe(List<double> v) => v.Count == 0 ? "no timers fired"
        : $"{v.Count:N0} fired, lag p50 {Percentile(v, 0.5):0} ms, p99 {Percentile(v, 0.99):0} ms, max {v.Max():0} ms";

    static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";
}
