using System.Net;
using System.Net.Http.Json;
using Dapper;
using Microsoft.Extensions.Time.Testing;
using Switchboard.Tests.Infrastructure;
using Xunit;
using static Switchboard.Tests.Sla.SlaTestSupport;

namespace Switchboard.Tests.Sla;

/// <summary>
/// The inbox's own actions move the SLA clocks: a snooze pauses them until it ends, then the scheduler wakes the
/// conversation and the clocks resume with the time already used; a transfer to another team applies that team's policy.
/// </summary>
public class InboxClockTests
{
    [Theory]
    [MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_snooze_pauses_the_clocks_and_its_end_wakes_the_conversation_with_the_clocks_resumed(string provider)
    {
        // A manual clock: the deadlines are exact, and nothing depends on how fast this machine answers.
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 3, 2, 10, 0, 0, TimeSpan.Zero));
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync(provider), configure: s => s with { Time = clock });
        using var api = await server.AdminClientAsync();
        await ActivateAsync(api, Yaml(firstResponse: "1h"));
        var posted = clock.GetUtcNow();
        await api.PostAsync("/api/posts", Jsonl(Post("sz1", "refund please", posted)));
        var id = await ConversationOfAsync(server.Db, "sz1");
        await using var conn = await server.Db.OpenAsync();
        var dueBefore = await conn.ExecuteScalarAsync<long?>("SELECT first_response_due_at FROM conversations WHERE id = @id", new { id });
        Assert.Equal(posted.AddHours(1).ToUnixTimeMilliseconds(), dueBefore);

        // Ten minutes in, the agent snoozes it for half an hour.
        clock.Advance(TimeSpan.FromMinutes(10));
        var until = clock.GetUtcNow().AddMinutes(30);
        var snoozed = await api.PostAsJsonAsync($"/api/inbox/conversations/{id}/snooze", new { until });
        Assert.Equal(HttpStatusCode.OK, snoozed.StatusCode);
        var paused = await conn.QueryFirstAsync<(string Status, long? FirstDue, long? TimerDue, string TimerKind)>(
            "SELECT c.status, c.first_response_due_at, t.due_at, t.kind FROM conversations c JOIN sla_timers t ON t.conversation_id = c.id WHERE c.id = @id", new { id });
        Assert.Equal("snoozed", paused.Status);
        Assert.Null(paused.FirstDue); // paused: no deadline while snoozed
        Assert.Equal((until.ToUnixTimeMilliseconds(), "SnoozeEnded"), (paused.TimerDue, paused.TimerKind)); // the only timer left is the snooze's end

        // A minute before the end nothing happens; at the end the scheduler wakes it.
        clock.Advance(TimeSpan.FromMinutes(29));
        await Task.Delay(300);
        Assert.Equal("snoozed", await conn.ExecuteScalarAsync<string>("SELECT status FROM conversations WHERE id = @id", new { id }));
        clock.Advance(TimeSpan.FromMinutes(1));
        var woke = await EventuallyAsync(() => conn.QueryFirstAsync<(string Status, long? FirstDue)>(
            "SELECT status, first_response_due_at FROM conversations WHERE id = @id", new { id }), r => r.Status == "open", TimeSpan.FromSeconds(20));
        Assert.Equal("open", woke.Status);
        // The clock stood still for exactly the thirty minutes of the snooze: the deadline moved by exactly that.
        Assert.Equal(dueBefore + (long)TimeSpan.FromMinutes(30).TotalMilliseconds, woke.FirstDue);
        Assert.Equal(1, await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM sla_effects WHERE conversation_id = @id AND kind = 'SnoozeEnded'", new { id }));
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_transfer_from_the_inbox_applies_the_new_teams_policy(string provider)
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync(provider));
        using var api = await server.AdminClientAsync();
        // Marketing answers within a day on its own policy; customer-service keeps the workspace default (1 h).
        var yaml = Yaml()
            .Replace("  - name: marketing\n    calendar: always", "  - name: marketing\n    calendar: always\n    sla_policy: slow", StringComparison.Ordinal)
            .Replace("teams:\n", "  - name: slow\n    calendar: always\n    first_response: 1d\nteams:\n", StringComparison.Ordinal);
        Assert.Contains("sla_policy: slow", yaml, StringComparison.Ordinal);
        await ActivateAsync(api, yaml);
        await api.PostAsync("/api/posts", Jsonl(Post("tr1", "refund please", DateTimeOffset.UtcNow)));
        var id = await ConversationOfAsync(server.Db, "tr1");
        await using var conn = await server.Db.OpenAsync();
        var before = await conn.ExecuteScalarAsync<long>("SELECT first_response_due_at FROM conversations WHERE id = @id", new { id });

        var moved = await api.PostAsJsonAsync($"/api/inbox/conversations/{id}/assign", new { team = "marketing" });
        Assert.Equal(HttpStatusCode.OK, moved.StatusCode);
        var after = await conn.ExecuteScalarAsync<long>("SELECT first_response_due_at FROM conversations WHERE id = @id", new { id });
        Assert.InRange(after - before, TimeSpan.FromHours(22).TotalMilliseconds, TimeSpan.FromHours(24).TotalMilliseconds);
        var trace = await api.GetFromJsonAsync<System.Text.Json.JsonElement>($"/api/conversations/{id}/routing");
        Assert.Equal("slow", trace.GetProperty("trace").GetProperty("sla").GetProperty("policy").GetString());
    }
}
