using Dapper;
using Switchboard.Channels.Connectors;
using Switchboard.Demo;
using Switchboard.Tests.Infrastructure;
using Xunit;

namespace Switchboard.Tests.Channels.Connectors;

public sealed class ChannelHealthTests
{
    [Theory]
    [MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_silence_alert_fires_once_per_episode_notifies_admins_and_managers_and_clears_on_recovery(string provider)
    {
        var time = new ManualTime(new DateTimeOffset(2026, 11, 22, 8, 0, 0, TimeSpan.Zero));
        await using var h = await ConnectorHarness.StartAsync(provider, time);
        await DemoWorkspace.SeedAsync(h.Db, time);
        var account = await h.AddAccountAsync("rss", "Status page", new() { ["url"] = "https://status.example.com/feed" }, expected: TimeSpan.FromMinutes(10));
        var quiet = await h.AddAccountAsync("rss", "Quiet blog", new() { ["url"] = "https://blog.example.com/feed" });
        await h.Health.StartAsync(account.Id, default);
        await h.Health.StartAsync(quiet.Id, default);
        await using var conn = await h.Db.OpenAsync();
        var managers = await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM users WHERE role IN ('admin', 'manager')");
        Assert.True(managers >= 2);

        time.Advance(TimeSpan.FromMinutes(5));
        Assert.Empty(await h.Monitor.CheckAsync(default));

        // Silent for longer than the expected 10 minutes: one alert, one notification per admin/manager, audited.
        time.Advance(TimeSpan.FromMinutes(6));
        var raised = await h.Monitor.CheckAsync(default);
        var change = Assert.Single(raised);
        Assert.Equal((account.Id, AlertTransition.Raise, AlertKind.Silent), (change.AccountId, change.Transition, change.Verdict.Kind));
        Assert.Equal("silent", (await h.Health.GetAsync(account.Id))!.AlertState);
        Assert.Equal(managers, await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM notifications WHERE kind = 'channel_alert'"));
        Assert.Contains("Status page", await conn.ExecuteScalarAsync<string>("SELECT MIN(text) FROM notifications WHERE kind = 'channel_alert'"), StringComparison.Ordinal);

        // Still silent: the episode is not raised again. The account without an expected interval never alerts for silence.
        time.Advance(TimeSpan.FromMinutes(30));
        Assert.Empty(await h.Monitor.CheckAsync(default));
        Assert.Equal(managers, await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM notifications WHERE kind = 'channel_alert'"));
        Assert.Equal(1, await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM channel_alerts WHERE account_id = @id AND cleared_at IS NULL", new { id = account.Id }));
        Assert.Equal("ok", (await h.Health.GetAsync(quiet.Id))!.AlertState);

        // A delivery ends the episode.
        await h.Health.RecordSuccessAsync(account.Id, 1, null, TimeSpan.FromSeconds(3), default);
        var cleared = Assert.Single(await h.Monitor.CheckAsync(default));
        Assert.Equal(AlertTransition.Clear, cleared.Transition);
        Assert.Equal(0, await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM channel_alerts WHERE cleared_at IS NULL"));
        Assert.Equal(managers, await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM notifications WHERE kind = 'channel_recovered'"));
        Assert.Equal(2, await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM audit_log WHERE entity = 'channel_account' AND action LIKE 'channel.alert.%'"));

        // Three failures in a row: a "failing" episode, whatever the silence.
        for (var i = 0; i < 3; i++)
            await h.Health.RecordErrorAsync(quiet.Id, "HttpError: HTTP 503", default);
        var failing = Assert.Single(await h.Monitor.CheckAsync(default));
        Assert.Equal((quiet.Id, AlertKind.Failing), (failing.AccountId, failing.Verdict.Kind));
        Assert.Contains("503", failing.Verdict.Reason, StringComparison.Ordinal);
        var row = await h.Health.GetAsync(quiet.Id);
        Assert.Equal((3L, 3L, 3L), (row!.Errors, row.ConsecutiveErrors, row.Attempts));
        Assert.True(row.ErrorRate > 0.4);
    }
}
