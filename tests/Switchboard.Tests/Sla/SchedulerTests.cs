using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Switchboard.Demo;
using Switchboard.Inbox;
using Switchboard.Ingest;
using Switchboard.Posts;
using Switchboard.Routing;
using Switchboard.Sla;
using Switchboard.Storage;
using Switchboard.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;
using static Switchboard.Tests.Sla.SlaTestSupport;

namespace Switchboard.Tests.Sla;

/// <summary>A clock that reads the system clock shifted by a fixed offset (timers still run in real time).</summary>
internal sealed class ShiftedTime(TimeSpan offset) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + offset;
}

/// <summary>The system clock plus an offset the test moves forward and back, as an NTP step or an operator would.</summary>
internal sealed class JumpingTime : TimeProvider
{
    long _offsetTicks;

    public TimeSpan Offset
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref _offsetTicks));
        set => Interlocked.Exchange(ref _offsetTicks, value.Ticks);
    }

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + Offset;
}

[Collection(nameof(RunsAlone))]
public class SchedulerTests(ITestOutputHelper output)
{
    /// <summary>Stores a configuration version and demo users, then ingests posts through the routing runtime on <paramref name="time"/>.</summary>
    internal static async Task SeedAsync(Database db, string yaml, TimeProvider time, IReadOnlyList<Post> posts)
    {
        await DemoWorkspace.SeedAsync(db, TimeProvider.System);
        await using var conn = await db.OpenAsync();
        await conn.ExecuteAsync("INSERT INTO rule_versions (yaml, author, created_at, active) VALUES (@yaml, 'test', 0, 1)", new { yaml });
        var rules = new ActiveRules(db, time, NullLogger<ActiveRules>.Instance);
        var runtime = new RoutingRuntime(db, rules, new SlaSignal(), new InboxFeed(), time);
        foreach (var chunk in posts.Chunk(250))
            await IngestBatch.WriteAsync(db, conn, chunk, time, CancellationToken.None, routing: runtime);
    }

    static Post Refund(int i, DateTimeOffset created) =>
        new($"p{i}", "mastodon", $"refund for order {i} please", created, new Author(Id: $"a{i}", Handle: $"author{i}"));

    [Theory]
    [MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_timer_earlier_than_the_ones_the_scheduler_sleeps_toward_fires_on_time_and_the_scheduler_does_not_spin(string provider)
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync(provider));
        var scheduler = server.Services.GetRequiredService<SlaScheduler>();
        using var api = await server.AdminClientAsync();
        // A first conversation: the scheduler now sleeps toward its warning, 50 minutes away.
        await ActivateAsync(api, Yaml(firstResponse: "1h"));
        await api.PostAsync("/api/posts", Jsonl(Post("far", "refund please", DateTimeOffset.UtcNow)));
        await Task.Delay(500);
        // A second one under a 3-second policy: its timers are written while the heap holds the far one.
        await ActivateAsync(api, Yaml(firstResponse: "3s", warnBefore: "1s"));
        await api.PostAsync("/api/posts", Jsonl(Post("near", "refund please", DateTimeOffset.UtcNow)));
        var id = await ConversationOfAsync(server.Db, "near");
        await using var conn = await server.Db.OpenAsync();
        var breach = await EventuallyAsync(
            () => conn.QueryFirstOrDefaultAsync<(long Due, long Fired)?>("SELECT due_at, fired_at FROM sla_effects WHERE conversation_id = @id AND kind = 'Breach'", new { id }),
            b => b is not null, TimeSpan.FromSeconds(15));
        Assert.NotNull(breach);
        output.WriteLine($"breach lag {breach.Value.Fired - breach.Value.Due} ms");
        Assert.InRange(breach.Value.Fired - breach.Value.Due, 0, 1000);

        // Idle with only far timers left: the loop sleeps (a handful of turns), it does not spin.
        await Task.Delay(300);
        var before = scheduler.Iterations;
        await Task.Delay(2000);
        var turns = scheduler.Iterations - before;
        output.WriteLine($"{turns} loop turns in 2 s idle");
        Assert.InRange(turns, 0, 20);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_timer_fires_within_a_second_of_its_deadline(string provider)
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync(provider));
        using var api = await server.AdminClientAsync();
        await ActivateAsync(api, Yaml(firstResponse: "4s", warnBefore: "2s"));
        await api.PostAsync("/api/posts", Jsonl(Post("t1", "refund please", DateTimeOffset.UtcNow)));
        var id = await ConversationOfAsync(server.Db, "t1");
        await using var conn = await server.Db.OpenAsync();
        var effects = await EventuallyAsync(
            async () => (await conn.QueryAsync<(string Kind, string Level, long Due, long Fired)>(
                "SELECT kind, level, due_at, fired_at FROM sla_effects WHERE conversation_id = @id ORDER BY id", new { id })).ToList(),
            l => l.Count >= 3, TimeSpan.FromSeconds(15));
        foreach (var e in effects)
            output.WriteLine($"{e.Kind} {e.Level}: lag {e.Fired - e.Due} ms");
        Assert.Equal(["Warning", "Breach", "Escalated"], effects.Select(e => e.Kind));
        Assert.All(effects, e => Assert.InRange(e.Fired - e.Due, 0, 1000));
        // The breach went to the assignee (or the leads when nobody was online), the escalation to the team leads.
        Assert.True(await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM notifications WHERE conversation_id = @id AND kind = 'escalation'", new { id }) >= 1);
        var view = await api.GetFromJsonAsync<JsonElement>($"/api/conversations/{id}/routing");
        Assert.Equal(1, view.GetProperty("escalationLevel").GetInt64());

        // Acknowledging stops the ladder: level 2 (an hour later) is no longer pending.
        var ack = await api.PostAsync($"/api/conversations/{id}/acknowledge", null);
        Assert.Equal(System.Net.HttpStatusCode.OK, ack.StatusCode);
        var timers = await conn.QueryAsync<string>("SELECT kind FROM sla_timers WHERE conversation_id = @id", new { id });
        Assert.DoesNotContain("Escalated", timers);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task After_six_hours_of_downtime_every_overdue_effect_fires_once_within_a_minute_of_start(string provider)
    {
        var db = await TestDatabases.CreateMigratedAsync(provider);
        // The conversations arrived six hours ago on a clock that stopped with the scheduler.
        var past = new ShiftedTime(TimeSpan.FromHours(-6));
        var start = past.GetUtcNow();
        await SeedAsync(db, Yaml(firstResponse: "1h", warnBefore: "10m"), past,
            [.. Enumerable.Range(0, 200).Select(i => Refund(i, start + TimeSpan.FromSeconds(i)))]);

        var started = DateTimeOffset.UtcNow;
        await using var server = await RunningServer.StartAsync(db);
        await using var conn = await db.OpenAsync();
        // Per conversation: warning, breach, ladder level 1 (at the breach) and level 2 (an hour later): all overdue.
        var count = await EventuallyAsync(() => conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM sla_effects"), n => n >= 800, TimeSpan.FromSeconds(60));
        Assert.Equal(800, count);
        var lastFired = await conn.ExecuteScalarAsync<long>("SELECT MAX(fired_at) FROM sla_effects");
        output.WriteLine($"all 800 overdue effects fired {lastFired - started.ToUnixTimeMilliseconds()} ms after start");
        Assert.True(lastFired - started.ToUnixTimeMilliseconds() < 60_000);
        await Task.Delay(1500);
        Assert.Equal(800, await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM sla_effects"));
        Assert.Equal(800, await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM (SELECT DISTINCT conversation_id, policy, metric, level FROM sla_effects) x"));
        Assert.Equal(200, await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM conversations WHERE escalation_level = 2"));
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Clock_jumps_forward_and_back_fire_each_effect_once(string provider)
    {
        var db = await TestDatabases.CreateMigratedAsync(provider);
        var clock = new JumpingTime();
        var start = clock.GetUtcNow();
        await SeedAsync(db, Yaml(firstResponse: "1h", warnBefore: "10m"), clock,
            [.. Enumerable.Range(0, 100).Select(i => Refund(i, start))]);
        await using var server = await RunningServer.StartAsync(db, configure: s => s with { Time = clock });
        var scheduler = server.Services.GetRequiredService<SlaScheduler>();
        await using var conn = await db.OpenAsync();

        // Each step sets the clock, lets this instance claim what is due then (the background loop may take some
        // first: its sleeps run on real time, not on the jumped clock), and checks the count of effects ever fired.
        async Task StepAsync(TimeSpan offset, long expected, string what)
        {
            clock.Offset = offset;
            await scheduler.ProcessDueAsync(CancellationToken.None);
            var count = await EventuallyAsync(() => conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM sla_effects"),
                n => n >= expected, TimeSpan.FromSeconds(20));
            await scheduler.ProcessDueAsync(CancellationToken.None);
            count = await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM sla_effects");
            output.WriteLine($"clock {offset:c}: {count} effects ({what})");
            Assert.Equal(expected, count);
        }

        await StepAsync(TimeSpan.FromMinutes(55), 100, "warnings due at 50 min");
        await StepAsync(TimeSpan.FromMinutes(-30), 100, "back before the warnings: nothing again");
        await StepAsync(TimeSpan.FromMinutes(65), 300, "breach and ladder level 1 at 60 min");
        await StepAsync(TimeSpan.FromMinutes(10), 300, "back again: nothing again");
        await StepAsync(TimeSpan.FromMinutes(130), 400, "level 2 an hour after the breach");
        await StepAsync(TimeSpan.FromMinutes(65), 400, "back into the past once more");

        Assert.Equal(400, await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM (SELECT DISTINCT conversation_id, policy, metric, level FROM sla_effects) x"));
        Assert.Equal(100, await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM conversations WHERE escalation_level = 2"));
        // The consequences happened once too: nobody was told twice about the same conversation and kind.
        Assert.True(await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM notifications WHERE kind IN ('sla_warning', 'sla_breach', 'escalation')") > 0);
        Assert.Equal(0, await conn.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM (SELECT conversation_id, user_id, kind, text FROM notifications GROUP BY conversation_id, user_id, kind, text HAVING COUNT(*) > 1) x"));
    }
}
