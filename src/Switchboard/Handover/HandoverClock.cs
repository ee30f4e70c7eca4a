using Dapper;
using Switchboard.Audit;
using Switchboard.Inbox;
using Switchboard.Notifications;
using Switchboard.Storage;

namespace Switchboard.Handover;

/// <summary>
/// The hand-over SLA timer: a small durable timer over the handovers table itself (the deadlines are rows, so a
/// restart loses nothing). Each effect is claimed by a conditional UPDATE (warned_at/breached_at IS NULL) in the same
/// transaction as its notifications and audit record, so it fires exactly once even with several instances polling.
/// It is separate from SlaScheduler because that one drives conversation clocks through the routing context;
/// a hand-over's clock has no escalation ladder and needs none of that.
/// </summary>
internal sealed class HandoverClock(Database db, InboxFeed feed, HandoverOptions options, TimeProvider time, ILogger<HandoverClock> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Poll, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await ProcessDueAsync(time.GetUtcNow(), stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogError(e, "hand-over timer failed; retrying on the next tick");
            }
        }
    }

    /// <summary>Fires every warning and breach due at <paramref name="now"/>; returns how many effects fired.</summary>
    public async Task<int> ProcessDueAsync(DateTimeOffset now, CancellationToken ct)
    {
        var nowMs = now.ToUnixTimeMilliseconds();
        await using var conn = await db.OpenAsync(ct);
        var due = (await conn.QueryAsync<long>(
            "SELECT id FROM handovers WHERE status = 'open' AND breached_at IS NULL AND (warn_at <= @nowMs OR due_at <= @nowMs) ORDER BY due_at LIMIT 500",
            new { nowMs })).ToList();
        var fired = 0;
        foreach (var id in due)
        {
            await using var tx = await conn.BeginTransactionAsync(ct);
            var h = await HandoverStore.LoadAsync(conn, tx, id);
            if (h is null || h.Status != "open")
            {
                continue;
            }

            var step = HandoverTimer.Next(now, new HandoverDeadline(DateTimeOffset.FromUnixTimeMilliseconds(h.DueAt), DateTimeOffset.FromUnixTimeMilliseconds(h.WarnAt)),
                h.WarnedAt is not null, h.BreachedAt is not null);
            var column = step switch { HandoverTimerStep.Warn => "warned_at", HandoverTimerStep.Breach => "breached_at", _ => null };
            if (column is null)
            {
                continue;
            }

            var claimed = await conn.ExecuteAsync($"UPDATE handovers SET {column} = @nowMs, updated_at = @nowMs WHERE id = @id AND status = 'open' AND {column} IS NULL",
                new { id, nowMs }, tx);
            if (claimed != 1)
            {
                continue;   // another instance fired it
            }

            var dueText = DateTimeOffset.FromUnixTimeMilliseconds(h.DueAt).ToString("yyyy-MM-dd HH:mm 'UTC'", System.Globalization.CultureInfo.InvariantCulture);
            var (kind, text) = step == HandoverTimerStep.Warn
                ? ("handover.warning", $"Hand-over to {h.Expert} ({h.Area}) is due at {dueText}: {HandoverStore.Preview(h.Question)}")
                : ("handover.breached", $"Hand-over to {h.Expert} ({h.Area}) missed its due time {dueText}: {HandoverStore.Preview(h.Question)}");
            await NotificationStore.AddAsync(conn, tx, h.AgentId, kind, h.ConversationId, text, time);
            await NotificationStore.AddAsync(conn, tx, h.ExpertId, kind, h.ConversationId, text, time);
            await AuditLog.WriteAsync(conn, tx, AuditEntry.BySystem("handover-timer", step == HandoverTimerStep.Warn ? "handover.warn" : "handover.breach",
                "handover", HandoverStore.Id(id), after: new { dueAt = h.DueAt, at = nowMs }), time);
            await tx.CommitAsync(ct);
            feed.Publish([h.ConversationId]);
            fired++;
        }

        return fired;
    }
}
