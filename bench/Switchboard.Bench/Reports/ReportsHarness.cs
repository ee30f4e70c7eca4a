using System.Diagnostics;
using Dapper;
using Switchboard.Auth;
using Switchboard.Bench.Inbox;
using Switchboard.Reports;
using Switchboard.Storage;

namespace Switchboard.Bench.Reports;

/// <summary>
/// `-- reports [--conversations 200000] [--seed 20261205] [--db path] [--rounds 5]`: the inbox benchmark's generated
/// history (conversations spread over 180 days) read by the KPI report for 1, 7, 30 and 90 days, as the analyst (whole
/// organisation) sees it. Baseline, measured alternately in the same run: counting the same period's conversations
/// through the same index (the least any report of the period must read). Prints ms per report and the ratio.
/// </summary>
internal static class ReportsHarness
{
    public static int Run(string[] args)
    {
        var count = InboxHarness.IntArg(args, "--conversations", 200_000);
        var seed = InboxHarness.IntArg(args, "--seed", 20261205);
        var rounds = InboxHarness.IntArg(args, "--rounds", 5);
        var path = InboxHarness.StringArg(args, "--db") ?? Path.Combine(Path.GetTempPath(), $"switchboard-reports-bench-{count}-{seed}.db");
        var shared = InboxHarness.FindSharedData();
        if (shared is null)
        {
            Console.WriteLine("reports: ../shared/data not found beside the repository; skipping (the benchmark recombines its texts).");
            return 0;
        }

        Console.WriteLine($"reports benchmark: seed {seed}, {count:N0} conversations over 180 days, {rounds} rounds, load {InboxHarness.LoadAverage()}");
        var db = Database.Sqlite(path);
        var now = DateTimeOffset.UtcNow;
        if (!File.Exists(path))
        {
            var sw = Stopwatch.StartNew();
            InboxHarness.Generate(db, count, seed, InboxHarness.LoadTexts(shared), now).GetAwaiter().GetResult();
            Console.WriteLine($"  generated in {sw.Elapsed.TotalSeconds:F0} s → {path}");
        }

        return MeasureAsync(db, rounds, now).GetAwaiter().GetResult();
    }

    static async Task<int> MeasureAsync(Database db, int rounds, DateTimeOffset now)
    {
        await Migrator.MigrateAsync(db);
        await using var conn = await db.OpenAsync();
        var analyst = await conn.ExecuteScalarAsync<long>("SELECT id FROM users WHERE role = 'analyst' ORDER BY id LIMIT 1");
        var scope = new AccessScope(analyst, Roles.Analyst, [], []);
        Console.WriteLine("| period | conversations | baseline ms (count) | report ms | report / baseline |");
        Console.WriteLine("|---|---:|---:|---:|---:|");
        foreach (var days in new[] { 1, 7, 30, 90 })
        {
            var to = DateOnly.FromDateTime(now.UtcDateTime);
            var period = ReportPeriod.Parse(to.AddDays(1 - days).ToString("yyyy-MM-dd"), to.ToString("yyyy-MM-dd"), null, now).Period!;
            var q = new ReportQuery(period, Kpis.DefaultResponseTarget);
            var baseline = new List<double>();
            var report = new List<double>();
            long n = 0;
            for (var r = 0; r < rounds + 1; r++)
            {
                var sw = Stopwatch.StartNew();
                n = await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM conversations WHERE created_at >= @s AND created_at < @e",
                    new { s = period.Start.ToUnixTimeMilliseconds(), e = period.End.ToUnixTimeMilliseconds() });
                var b = sw.Elapsed.TotalMilliseconds;
                sw.Restart();
                var k = await KpiQueries.LoadAsync(conn, scope, q, CancellationToken.None);
                var t = sw.Elapsed.TotalMilliseconds;
                if (k.Total.Conversations != n)
                {
                    Console.Error.WriteLine($"report counted {k.Total.Conversations} conversations, the baseline {n}");
                    return 1;
                }

                if (r > 0)
                {
                    // The first round warms the page cache and the JIT.
                    baseline.Add(b);
                    report.Add(t);
                }
            }

            if (Environment.GetEnvironmentVariable("REPORTS_BREAKDOWN") == "1")
            {
                var sw2 = Stopwatch.StartNew();
                var facts = await KpiQueries.FactsAsync(conn, scope, q, CancellationToken.None);
                var tf = sw2.Elapsed.TotalMilliseconds;
                sw2.Restart();
                _ = Kpis.Compute(period, q.ResponseTarget, facts, new MessageVolume(0, 0), []);
                Console.WriteLine($"    facts {tf:F0} ms, compute {sw2.Elapsed.TotalMilliseconds:F0} ms");
            }

            var (bm, rm) = (Median(baseline), Median(report));
            Console.WriteLine($"| {days} d | {n:N0} | {bm:F1} | {rm:F1} | {rm / bm:F0}× |");
        }

        return 0;
    }

    static double Median(List<double> v) => v.Order().ElementAt(v.Count / 2);
}
