using System.Globalization;
using Dapper;
using Switchboard.Audit;
using Switchboard.Notifications;
using Switchboard.Storage;

namespace Switchboard.Channels.Connectors;

/// <summary>
/// Applies the alert rules (<see cref="ConnectorHealth"/>) to every enabled account: when a source goes silent or
/// starts failing it raises ONE alert for the episode (a channel_alerts row, a notification to each admin and manager,
/// an audit record), and clears it when the source recovers. The stored alert_state is changed with a compare-and-set
/// so two servers on one database still raise an episode once. Silence has no event to react to, so this is a sweep.
/// </summary>
internal sealed class ChannelMonitor(Database db, TimeProvider time, ConnectorOptions options, ILogger<ChannelMonitor> log) : BackgroundService
{
    private sealed record Row(long Id, string Kind, string Name, long? ExpectedIntervalSeconds, long CreatedAt, long? StartedAt,
        long? LastDeliveryAt, long ConsecutiveErrors, double ErrorRate, long Attempts, string? LastError, string AlertState);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await CheckAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                log.LogError("Channel health check failed: {Error}", ex.Message);
            }
            try
            {
                await Task.Delay(options.MonitorInterval, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>One evaluation of every enabled account; returns the transitions it made (for tests and logs).</summary>
    internal async Task<IReadOnlyList<(long AccountId, AlertTransition Transition, HealthVerdict Verdict)>> CheckAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        List<Row> rows;
        await using (var conn = await db.OpenAsync(ct))
        {
            rows = [.. await conn.QueryAsync<Row>(
                """
                SELECT a.id AS Id, a.kind AS Kind, a.name AS Name, a.expected_interval_seconds AS ExpectedIntervalSeconds,
                  a.created_at AS CreatedAt, h.started_at AS StartedAt, h.last_delivery_at AS LastDeliveryAt,
                  h.consecutive_errors AS ConsecutiveErrors, h.error_rate AS ErrorRate, h.attempts AS Attempts,
                  h.last_error AS LastError, h.alert_state AS AlertState
                FROM channel_accounts a JOIN channel_health h ON h.account_id = a.id
                WHERE a.enabled = 1 ORDER BY a.id
                """)];
        }
        var changes = new List<(long, AlertTransition, HealthVerdict)>();
        foreach (var r in rows)
        {
            var snapshot = new HealthSnapshot(
                DateTimeOffset.FromUnixTimeMilliseconds(r.StartedAt ?? r.CreatedAt),
                r.LastDeliveryAt is { } d ? DateTimeOffset.FromUnixTimeMilliseconds(d) : null,
                (int)Math.Min(r.ConsecutiveErrors, int.MaxValue), r.ErrorRate, r.Attempts,
                r.ExpectedIntervalSeconds is { } s ? TimeSpan.FromSeconds(s) : null, r.LastError);
            var verdict = ConnectorHealth.Assess(snapshot, now);
            var transition = ConnectorHealth.Transition(r.AlertState, verdict.Kind);
            if (transition == AlertTransition.None)
                continue;
            if (await ApplyAsync(r, transition, verdict, ct))
                changes.Add((r.Id, transition, verdict));
        }
        return changes;
    }

    private async Task<bool> ApplyAsync(Row r, AlertTransition transition, HealthVerdict verdict, CancellationToken ct)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var state = ConnectorHealth.State(verdict.Kind);
        await using var conn = await db.OpenAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var claimed = await conn.ExecuteAsync(
            "UPDATE channel_health SET alert_state = @state, updated_at = @now WHERE account_id = @id AND alert_state = @old",
            new { state, now, id = r.Id, old = r.AlertState }, tx);
        if (claimed == 0)
            return false; // another process changed it first
        if (transition is AlertTransition.Clear or AlertTransition.Replace)
            await conn.ExecuteAsync("UPDATE channel_alerts SET cleared_at = @now WHERE account_id = @id AND cleared_at IS NULL", new { now, id = r.Id }, tx);
        if (transition is AlertTransition.Raise or AlertTransition.Replace)
            await conn.ExecuteAsync("INSERT INTO channel_alerts (account_id, kind, reason, raised_at) VALUES (@id, @state, @reason, @now)",
                new { id = r.Id, state, reason = verdict.Reason, now }, tx);
        var text = transition == AlertTransition.Clear
            ? $"Channel '{r.Name}' ({r.Kind}) recovered."
            : $"Channel '{r.Name}' ({r.Kind}) is {state}: {verdict.Reason}";
        var recipients = await conn.QueryAsync<long>("SELECT id FROM users WHERE role IN ('admin', 'manager') AND deactivated_at IS NULL ORDER BY id", transaction: tx);
        foreach (var user in recipients)
            await NotificationStore.AddAsync(conn, tx, user, transition == AlertTransition.Clear ? "channel_recovered" : "channel_alert", null, text, time);
        await AuditLog.WriteAsync(conn, tx, AuditEntry.BySystem("channels",
            transition == AlertTransition.Clear ? "channel.alert.cleared" : "channel.alert.raised",
            "channel_account", r.Id.ToString(CultureInfo.InvariantCulture), new { state = r.AlertState }, new { state, verdict.Reason }), time);
        await tx.CommitAsync(ct);
        log.LogWarning("{Text}", text);
        return true;
    }
}
