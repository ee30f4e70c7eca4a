using Dapper;
using Switchboard.Posts;
using Switchboard.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Switchboard.Tests.Sla;

/// <summary>
/// Issue 5's exactly-once target: three scheduler processes (the built executable) over 1,000 conversations whose
/// thresholds are crossed while they run, one killed with SIGKILL mid-way: exactly one effect row per (conversation,
/// policy, metric, level), none missing, and each effect's notification written once.
/// </summary>
[Collection(nameof(RunsAlone))]
public class ExactlyOnceTests(ITestOutputHelper output)
{
    [Theory]
    [MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Three_schedulers_one_killed_record_each_effect_exactly_once(string provider)
    {
        const int conversations = 1000;
        var db = await TestDatabases.CreateMigratedAsync(provider);
        var t0 = DateTimeOffset.UtcNow;
        // First responses are due from t0+25s to t0+40s (1 h target, always-open calendar): warnings are already due,
        // breaches and ladder level 1 come due while the schedulers run.
        await SchedulerTests.SeedAsync(db, SlaTestSupport.Yaml(firstResponse: "1h", warnBefore: "10m"), TimeProvider.System,
            [.. Enumerable.Range(0, conversations).Select(i => new Post($"x{i}", "mastodon", $"refund for order {i}",
                t0 - TimeSpan.FromHours(1) + TimeSpan.FromSeconds(25) + TimeSpan.FromMilliseconds(15 * i), new Author(Id: $"a{i}", Handle: $"author{i}")))]);
        output.WriteLine($"seeded in {(DateTimeOffset.UtcNow - t0).TotalSeconds:0.0} s");

        var dbArg = provider == "sqlite" ? db.Display["sqlite:".Length..] : db.ConnectionString;
        Environment.SetEnvironmentVariable("SWITCHBOARD_SLA_LEASE_SECONDS", "3");
        var servers = new List<ServerProcess>();
        try
        {
            for (var i = 0; i < 3; i++)
                servers.Add(await ServerProcess.StartAsync("--db", dbArg));
            await using var conn = await db.OpenAsync();
            var expected = conversations * 3;
            var midway = await SlaTestSupport.EventuallyAsync(() => conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM sla_effects"),
                n => n >= conversations * 1.5, TimeSpan.FromSeconds(90));
            await servers[0].KillAsync();
            output.WriteLine($"killed one scheduler with {midway} of {expected} effects recorded");
            Assert.True(midway < expected, "the kill must happen mid-way");
            var count = await SlaTestSupport.EventuallyAsync(() => conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM sla_effects"),
                n => n >= expected, TimeSpan.FromSeconds(120));
            await Task.Delay(2000);
            count = await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM sla_effects");
            Assert.Equal(expected, count);
            Assert.Equal(expected, await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM (SELECT DISTINCT conversation_id, policy, metric, level FROM sla_effects) x"));
            Assert.Equal(conversations, await conn.ExecuteScalarAsync<long>(
                "SELECT COUNT(*) FROM (SELECT conversation_id FROM sla_effects GROUP BY conversation_id HAVING COUNT(*) = 3) x"));
            var byInstance = await conn.QueryAsync<(string By, long N)>("SELECT processed_by, COUNT(*) FROM sla_effects GROUP BY processed_by");
            foreach (var (by, n) in byInstance)
                output.WriteLine($"{by}: {n}");
            // Consequences happened once per effect: one breach notification per conversation (to its assignee, or its
            // leads when unassigned), and the escalation level is 1 everywhere.
            var breachTargets = await conn.ExecuteScalarAsync<long>(
                "SELECT COUNT(*) FROM notifications WHERE kind = 'sla_breach'");
            var unassigned = await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM conversations WHERE assignee_id IS NULL");
            var leads = await conn.ExecuteScalarAsync<long>(
                "SELECT COUNT(*) FROM team_members tm JOIN teams t ON t.id = tm.team_id WHERE t.slug = 'customer-service' AND tm.is_lead = 1");
            Assert.Equal(conversations - unassigned + (unassigned * leads), breachTargets);
            Assert.Equal(conversations * leads, await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM notifications WHERE kind = 'escalation'"));
            Assert.Equal(conversations, await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM conversations WHERE escalation_level = 1"));
        }
        finally
        {
            foreach (var s in servers)
                await s.DisposeAsync();
            Environment.SetEnvironmentVariable("SWITCHBOARD_SLA_LEASE_SECONDS", null);
        }
    }
}
