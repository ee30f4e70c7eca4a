using System.Text.Json;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Switchboard.Reports;
using Switchboard.Tests.Infrastructure;
using Xunit;
using static Switchboard.Tests.Sla.SlaTestSupport;

namespace Switchboard.Tests.Reports;

/// <summary>
/// A weekly digest from the workspace YAML, on a server with a manual clock: nothing before Monday 08:00, then the
/// previous week's KPIs queued once for the named webhook, however many processes try.
/// </summary>
public class DigestTests
{
    [Theory]
    [MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task The_weekly_digest_is_queued_once_at_its_time_with_last_weeks_numbers(string provider)
    {
        // Sunday 1 March 2026, 20:00 UTC; the digest goes out on Mondays at 08:00 UTC.
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 3, 1, 20, 0, 0, TimeSpan.Zero));
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync(provider), configure: s => s with { Time = clock });
        using var admin = await server.AdminClientAsync();
        var yaml = Yaml(webhook: "https://hooks.example.test/ops") + """

            digests:
              - name: exec
                webhook: ops
                every: week
                on: monday
                at: "08:00"
            """;
        await ActivateAsync(admin, yaml);
        // Three conversations in the week of Monday 23 February to Sunday 1 March.
        var lastWeek = new DateTimeOffset(2026, 2, 25, 10, 0, 0, TimeSpan.Zero);
        Assert.True((await admin.PostAsync("/api/posts", Jsonl(Post("d1", "refund please", lastWeek), Post("d2", "hello", lastWeek.AddHours(1)),
            Post("d3", "hello again", new DateTimeOffset(2026, 3, 1, 19, 0, 0, TimeSpan.Zero))))).IsSuccessStatusCode);

        await using var conn = await server.Db.OpenAsync();
        async Task<long> Runs() => await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM digest_runs");

        // Last Monday's send is more than twelve hours old: nothing is posted late.
        clock.Advance(TimeSpan.FromMinutes(2));
        await Task.Delay(500);
        Assert.Equal(0, await Runs());

        // Monday 07:59: not yet. 08:00: queued (each probe moves the manual clock a minute, as the loop sleeps on it).
        clock.SetUtcNow(new DateTimeOffset(2026, 3, 2, 7, 59, 0, TimeSpan.Zero));
        // One more on Monday morning: this week's, not in the digest.
        Assert.True((await admin.PostAsync("/api/posts", Jsonl(Post("d4", "good morning", clock.GetUtcNow())))).IsSuccessStatusCode);
        await Task.Delay(500);
        Assert.Equal(0, await Runs());
        var runs = await EventuallyAsync(async () =>
        {
            clock.Advance(TimeSpan.FromMinutes(1));
            return await Runs();
        }, n => n > 0, TimeSpan.FromSeconds(30));
        Assert.Equal(1, runs);

        var row = await conn.QuerySingleAsync<(string Name, string From, string To, string Url, string Body)>(
            "SELECT r.name, r.period_from, r.period_to, o.url, o.body FROM digest_runs r JOIN webhook_outbox o ON o.id = r.outbox_id");
        Assert.Equal(("exec", "2026-02-23", "2026-03-01", "https://hooks.example.test/ops"), (row.Name, row.From, row.To, row.Url));
        var text = JsonDocument.Parse(row.Body).RootElement.GetProperty("text").GetString()!;
        Assert.StartsWith("*Switchboard weekly digest* · 23 Feb – 1 Mar 2026 (UTC)", text, StringComparison.Ordinal);
        // d1, d2 and d3 (Sunday 19:00); not d4 (Monday 07:59).
        Assert.Contains("• 3 conversations started", text, StringComparison.Ordinal);

        // More passes, a restart's catch-up and a second process all find the period taken.
        clock.Advance(TimeSpan.FromMinutes(5));
        await Task.Delay(500);
        var other = ActivatorUtilities.CreateInstance<DigestScheduler>(server.Services);
        var digest = (await server.Services.GetRequiredService<Switchboard.Routing.ActiveRules>().GetAsync()).Workspace.Digests.Single();
        var races = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => other.RunAsync(digest, clock.GetUtcNow(), CancellationToken.None)));
        Assert.DoesNotContain(true, races);
        Assert.Equal(1, await Runs());
        Assert.Equal(1, await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM webhook_outbox WHERE body LIKE '%weekly digest%'"));
    }
}
