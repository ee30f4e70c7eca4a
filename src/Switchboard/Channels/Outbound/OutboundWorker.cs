using Dapper;
using Switchboard.Audit;
using Switchboard.Storage;

namespace Switchboard.Channels.Outbound;

/// <summary>Wakes the outbound worker early when a reply gets a new due time (a retry or a reconcile).</summary>
internal sealed class OutboundSchedule
{
    private readonly SemaphoreSlim _signal = new(0, 1);

    public void Nudge()
    {
        try
        {
            _signal.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already signalled: one wake-up covers every change.
        }
    }

    public async Task WaitAsync(TimeSpan delay, TimeProvider time, CancellationToken ct)
    {
        if (delay <= TimeSpan.Zero)
            return;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var delayTask = Task.Delay(delay, time, timeout.Token);
        var signalTask = _signal.WaitAsync(timeout.Token);
        await Task.WhenAny(delayTask, signalTask);
        await timeout.CancelAsync();
        ct.ThrowIfCancellationRequested();
    }
}

/// <summary>
/// Drives replies that are due again: the recovery sweep (a reply left in 'sending' by a crash may or may not have
/// left, so it becomes 'unknown' and is reconciled, never re-sent blindly), retries after Retry-After, and the one
/// automatic reconcile after an unknown outcome. Due times are stored on the reply (next_attempt_at); the worker sleeps
/// until the earliest one, woken early by <see cref="OutboundSchedule"/>, with a periodic pass only as a safety net.
/// Every send goes through <see cref="OutboundSender"/>, so the approval gate and the claim apply here too.
/// </summary>
internal sealed class OutboundWorker(Database db, OutboundSender sender, OutboundSchedule schedule, TimeProvider time, ILogger<OutboundWorker> log)
    : BackgroundService
{
    /// <summary>
    /// A reply 'sending' for longer than this was abandoned by a crashed process. It exceeds any request timeout, so a
    /// live process (another instance on the same PostgreSQL) is never robbed of a send it is still waiting on.
    /// </summary>
    public static readonly TimeSpan StuckAfter = TimeSpan.FromMinutes(2);

    public static readonly TimeSpan SafetyNet = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan MinWake = TimeSpan.FromMilliseconds(200);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RunOnceAsync(stoppingToken);
                await schedule.WaitAsync(await NextWakeAsync(stoppingToken), time, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                log.LogError(ex, "Outbound worker pass failed; retrying");
                await Task.Delay(TimeSpan.FromSeconds(5), time, stoppingToken);
            }
        }
    }

    /// <summary>One pass: recover abandoned sends, then send or reconcile every due reply. Returns how many were processed.</summary>
    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        await RecoverAsync(ct);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        List<long> due;
        await using (var conn = await db.OpenAsync(ct))
        {
            due = [.. await conn.QueryAsync<long>(
                "SELECT id FROM replies WHERE status IN ('retry', 'unknown') AND next_attempt_at <= @now ORDER BY next_attempt_at, id LIMIT 100",
                new { now })];
        }
        foreach (var id in due)
        {
            var result = await sender.SendAsync(id, ct);
            log.LogInformation("Reply {Id} due again: {Result}", id, result.Kind);
            if (result.Kind is SendResultKind.NeedsApproval or SendResultKind.NotSendable)
            {
                // Nothing the worker can do (an approval was withdrawn, the reply was edited back to a draft): stop
                // scheduling it, so it waits for a person instead of being picked again on every pass.
                await using var conn = await db.OpenAsync(ct);
                await conn.ExecuteAsync("UPDATE replies SET next_attempt_at = NULL WHERE id = @id AND status IN ('retry', 'unknown')", new { id });
            }
        }
        return due.Count;
    }

    /// <summary>Moves replies stuck in 'sending' to 'unknown', due now, so they are reconciled before anything is re-sent.</summary>
    public async Task<int> RecoverAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var before = now - (long)StuckAfter.TotalMilliseconds;
        await using var conn = await db.OpenAsync(ct);
        var stuck = (await conn.QueryAsync<long>("SELECT id FROM replies WHERE status = 'sending' AND updated_at < @before", new { before })).ToList();
        var recovered = 0;
        foreach (var id in stuck)
        {
            await using var tx = await conn.BeginTransactionAsync(ct);
            var changed = await conn.ExecuteAsync(
                """
                UPDATE replies SET status = 'unknown', next_attempt_at = @now, updated_at = @now,
                  error = 'the process stopped while sending: the reply may or may not have been posted; reconciling'
                WHERE id = @id AND status = 'sending' AND updated_at < @before
                """, new { id, now, before }, tx);
            if (changed == 1)
            {
                await AuditLog.WriteAsync(conn, tx, AuditEntry.BySystem("outbound", "reply.recovered", "reply",
                    id.ToString(System.Globalization.CultureInfo.InvariantCulture), before: new { status = "sending" }, after: new { status = "unknown" }), time);
                recovered++;
            }
            await tx.CommitAsync(ct);
        }
        return recovered;
    }

    private async Task<TimeSpan> NextWakeAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        await using var conn = await db.OpenAsync(ct);
        var nextDue = await conn.ExecuteScalarAsync<long?>(
            "SELECT MIN(next_attempt_at) FROM replies WHERE status IN ('retry', 'unknown') AND next_attempt_at IS NOT NULL");
        var oldestSending = await conn.ExecuteScalarAsync<long?>("SELECT MIN(updated_at) FROM replies WHERE status = 'sending'");
        var wake = SafetyNet;
        // Never below MinWake: a row that stays due would otherwise turn the loop into a busy spin.
        if (nextDue is { } d)
            wake = TimeSpan.FromMilliseconds(Math.Min(wake.TotalMilliseconds, Math.Max(0, d - now)));
        if (oldestSending is { } s)
            wake = TimeSpan.FromMilliseconds(Math.Min(wake.TotalMilliseconds, Math.Max(0, s + StuckAfter.TotalMilliseconds - now) + 1));
        return wake < MinWake ? MinWake : wake;
    }
}
