using System.Diagnostics;
using Dapper;
using Switchboard.Inbox;
using Switchboard.Routing;
using Switchboard.Storage;

namespace Switchboard.Sla;

/// <summary>Scheduler tuning; the defaults suit production, tests shorten the lease.</summary>
internal sealed record SlaSchedulerOptions(TimeSpan Lease, TimeSpan Sweep, int HeapSize = 4096, int ClaimBatch = 256)
{
    public static SlaSchedulerOptions FromEnvironment() => new(
        TimeSpan.FromSeconds(double.TryParse(Environment.GetEnvironmentVariable("SWITCHBOARD_SLA_LEASE_SECONDS"), System.Globalization.CultureInfo.InvariantCulture, out var l) && l > 0 ? l : 15),
        TimeSpan.FromSeconds(30));
}

/// <summary>
/// Fires SLA timers at their due time (docs/sla.md). Keeps the nearest due times in an in-memory min-heap refilled
/// from <c>sla_timers</c>, sleeps until the earliest (or until woken by a new timer in this process, or the slow
/// safety sweep), then claims due timers with a conditional UPDATE lease and processes each conversation in one
/// transaction: effect rows + consequences + new state + next timer. Several instances can run against one database;
/// a killed instance's leases expire and the others take over. Overdue timers (after downtime) fire at start.
/// </summary>
internal sealed class SlaScheduler(Database db, ActiveRules rules, SlaSignal signal, InboxFeed feed, TimeProvider time,
    SlaSchedulerOptions options, ILogger<SlaScheduler> log) : BackgroundService
{
    /// <summary>This instance's lease owner name.</summary>
    public string Instance { get; } = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..8]}";

    long _iterations;

    /// <summary>Loop turns so far: a sleeping scheduler barely turns; a spinning one would show here (tests watch it).</summary>
    public long Iterations => Interlocked.Read(ref _iterations);

    /// <summary>Seconds from due time to commit, per processed timer (for tests and the benchmark).</summary>
    public event Action<long, TimeSpan>? Fired;

    protected override async Task ExecuteAsync(CancellationToken ct)
    {
        await Task.Yield();
        var heap = new PriorityQueue<long, long>();
        // Null: re-read now (start, woken by a new timer, or nothing left). Never a sentinel number: `now - MinValue`
        // overflows, which once left a woken scheduler spinning without re-reading its timers.
        long? lastRefill = null;
        while (!ct.IsCancellationRequested)
        {
            Interlocked.Increment(ref _iterations);
            try
            {
                var now = time.GetUtcNow().ToUnixTimeMilliseconds();
                if (heap.Count == 0 || lastRefill is not { } last || now - last >= options.Sweep.TotalMilliseconds)
                {
                    await RefillAsync(heap, ct);
                    lastRefill = now;
                }
                if (heap.TryPeek(out _, out var due) && due <= now)
                {
                    var processed = await ProcessDueAsync(ct);
                    while (heap.TryPeek(out _, out var d) && d <= time.GetUtcNow().ToUnixTimeMilliseconds())
                        heap.Dequeue();
                    if (processed == 0 && heap.Count == 0)
                        lastRefill = null;
                    if (processed > 0 || heap.Count == 0)
                    {
                        await RefillAsync(heap, ct);
                        lastRefill = time.GetUtcNow().ToUnixTimeMilliseconds();
                    }
                    if (processed == 0 && heap.TryPeek(out _, out var stuck) && stuck <= time.GetUtcNow().ToUnixTimeMilliseconds())
                    {
                        // Due but leased by another instance: look again shortly rather than spin.
                        await signal.WaitAsync(TimeSpan.FromMilliseconds(250), time, ct);
                    }
                    continue;
                }
                var untilSweep = TimeSpan.FromMilliseconds(Math.Max(0, (lastRefill ?? now) + options.Sweep.TotalMilliseconds - now));
                var wait = heap.TryPeek(out _, out var next) ? TimeSpan.FromMilliseconds(Math.Min(next - now, untilSweep.TotalMilliseconds)) : untilSweep;
                if (await signal.WaitAsync(wait, time, ct))
                    lastRefill = null; // woken: new timers were written, re-read
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                log.LogError(ex, "SLA scheduler iteration failed; retrying");
                await Task.Delay(TimeSpan.FromSeconds(1), time, ct);
            }
        }
    }

    async Task RefillAsync(PriorityQueue<long, long> heap, CancellationToken ct)
    {
        heap.Clear();
        await using var conn = await db.OpenAsync(ct);
        var rows = await conn.QueryAsync<(long Id, long Due)>(
            "SELECT conversation_id, due_at FROM sla_timers ORDER BY due_at LIMIT @n", new { n = options.HeapSize });
        foreach (var (id, due) in rows)
            heap.Enqueue(id, due);
    }

    /// <summary>Claims and processes every timer due now, in batches; returns how many conversations were processed.</summary>
    public async Task<int> ProcessDueAsync(CancellationToken ct)
    {
        var total = 0;
        while (true)
        {
            var claimed = await ClaimAsync(ct);
            if (claimed.Count == 0)
                return total;
            // One configuration and agent load per claimed batch: loads drift by at most a batch, which only the
            // reassignment of an unanswered conversation looks at.
            SlaContext shared;
            await using (var c = await db.OpenAsync(ct))
                shared = await SlaContext.CreateAsync(db, c, null, rules, time, "sla:" + Instance, ct);
            foreach (var (id, due) in claimed)
            {
                ct.ThrowIfCancellationRequested();
                if (await ProcessAsync(id, shared.Fresh(), ct))
                {
                    total++;
                    Fired?.Invoke(id, time.GetUtcNow() - DateTimeOffset.FromUnixTimeMilliseconds(due));
                }
            }
        }
    }

    /// <summary>
    /// The lease: one conditional UPDATE per batch. The outer WHERE repeats the conditions, so on PostgreSQL a
    /// competing instance that waited on the row lock re-checks them against the committed lease and skips the row.
    /// </summary>
    async Task<List<(long Id, long Due)>> ClaimAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        await using var conn = await db.OpenAsync(ct);
        var rows = await conn.QueryAsync<(long Id, long Due)>(
            """
            UPDATE sla_timers SET lease_owner = @me, lease_until = @until
            WHERE due_at <= @now AND (lease_until IS NULL OR lease_until < @now)
              AND conversation_id IN (SELECT conversation_id FROM sla_timers
                                      WHERE due_at <= @now AND (lease_until IS NULL OR lease_until < @now)
                                      ORDER BY due_at LIMIT @n)
            RETURNING conversation_id, due_at
            """,
            new { me = Instance, until = now + (long)options.Lease.TotalMilliseconds, now, n = options.ClaimBatch });
        return [.. rows.OrderBy(r => r.Due)];
    }

    async Task<bool> ProcessAsync(long id, SlaContext ctx, CancellationToken ct)
    {
        await using var conn = await db.OpenAsync(ct);
        await using var tx = db.IsSqlite && conn is Microsoft.Data.Sqlite.SqliteConnection s
            ? s.BeginTransaction(deferred: false)
            : await conn.BeginTransactionAsync(ct);
        var row = await ConversationRow.LoadAsync(db, conn, tx, id);
        // Still ours? A state change (reply, resolve) rewrites the timer and drops the lease; an expired lease may
        // have been taken by another instance. Either way the current holder processes it.
        var owner = await conn.ExecuteScalarAsync<string?>(
            $"SELECT lease_owner FROM sla_timers WHERE conversation_id = @id{(db.IsSqlite ? "" : " FOR UPDATE")}", new { id }, tx);
        if (row is null || owner != Instance)
        {
            await tx.RollbackAsync(ct);
            return false;
        }
        if (!await ConversationRuntime.ApplyAsync(conn, tx, ctx, row, [new Tick(time.GetUtcNow())]))
        {
            await tx.RollbackAsync(ct);
            return false;
        }
        await tx.CommitAsync(ct);
        if (ctx.Touched.Count > 0)
            feed.Publish(ctx.Touched);
        if (ctx.WebhooksQueued)
            signal.WakeWebhooks();
        return true;
    }

    internal static long Elapsed(long start) => (long)Stopwatch.GetElapsedTime(start).TotalMilliseconds;
}
