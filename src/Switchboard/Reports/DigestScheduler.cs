using System.Globalization;
using System.Text.Json;
using Dapper;
using Switchboard.Auth;
using Switchboard.Routing;
using Switchboard.Sla;
using Switchboard.Storage;

namespace Switchboard.Reports;

/// <summary>
/// Posts the workspace's scheduled KPI digests (`digests:` in the active rules) to their webhooks. Each digest's
/// latest period is claimed in `digest_runs` (unique per digest and period) in the same transaction as its webhook
/// outbox row, so every process may run this loop and a period is still posted once; delivery, retries and the SSRF
/// guard are the escalation webhooks' (<see cref="WebhookSender"/>). It wakes at the next send time, and at least once a
/// minute to see a changed configuration.
/// </summary>
internal sealed class DigestScheduler(Database db, ActiveRules rules, SlaSignal signal, TimeProvider time, ILogger<DigestScheduler> log) : BackgroundService
{
    static readonly TimeSpan Recheck = TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken ct)
    {
        await Task.Yield();
        while (!ct.IsCancellationRequested)
        {
            var wait = Recheck;
            try
            {
                var digests = await DigestsAsync(ct);
                foreach (var d in digests)
                {
                    var now = time.GetUtcNow();
                    if (d.IsDue(now))
                        await RunAsync(d, now, ct);
                    var untilNext = d.Next(now) - now;
                    if (untilNext < wait)
                        wait = untilNext;
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                log.LogError(ex, "Digest pass failed; retrying");
            }

            try
            {
                await Task.Delay(wait < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : wait, time, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>
    /// The active configuration's digests. Before any version is active there are none: asking <see cref="ActiveRules"/>
    /// then would seed the built-in version from this background loop, racing the first request that seeds it too.
    /// </summary>
    async Task<IReadOnlyList<DigestSchedule>> DigestsAsync(CancellationToken ct)
    {
        await using var conn = await db.OpenAsync(ct);
        if (await conn.ExecuteScalarAsync<long?>("SELECT id FROM rule_versions WHERE active = 1 ORDER BY id DESC LIMIT 1") is null)
            return [];
        return (await rules.GetAsync(conn, null, ct)).Workspace.Digests;
    }

    /// <summary>Claims and queues the digest's latest period; false when it was already sent (by any process).</summary>
    internal async Task<bool> RunAsync(DigestSchedule d, DateTimeOffset now, CancellationToken ct)
    {
        var (_, period) = d.Latest(now);
        var from = period.From.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        await using var conn = await db.OpenAsync(ct);
        if (await conn.ExecuteScalarAsync<long?>("SELECT id FROM digest_runs WHERE name = @name AND period_from = @from", new { name = d.Name, from }) is not null)
            return false;
        var snapshot = await rules.GetAsync(conn, null, ct);
        if (!snapshot.Workspace.Webhooks.TryGetValue(d.Webhook, out var url))
            return false; // the configuration changed under us; the next pass reads the new one
        // The whole organisation (or the digest's team): a digest is addressed to a channel, not to one person's scope.
        var everything = new AccessScope(0, Roles.Admin, [], []);
        var report = await KpiQueries.LoadAsync(conn, everything, new ReportQuery(period, Kpis.DefaultResponseTarget, d.Team), ct);
        var body = JsonSerializer.Serialize(new { text = DigestText.Format(d, report) });
        var nowMs = now.ToUnixTimeMilliseconds();
        await using var tx = await conn.BeginTransactionAsync(ct);
        var run = await conn.ExecuteScalarAsync<long?>(
            """
            INSERT INTO digest_runs (name, period_from, period_to, created_at) VALUES (@name, @from, @to, @now)
            ON CONFLICT (name, period_from) DO NOTHING RETURNING id
            """,
            new { name = d.Name, from, to = period.To.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), now = nowMs }, tx);
        if (run is null)
        {
            await tx.RollbackAsync(ct);
            return false; // another process won the race
        }

        var outbox = await conn.ExecuteScalarAsync<long>(
            "INSERT INTO webhook_outbox (effect_id, name, url, body, status, attempts, next_attempt_at, created_at) VALUES (NULL, @name, @url, @body, 'pending', 0, @now, @now) RETURNING id",
            new { name = d.Webhook, url = url.ToString(), body, now = nowMs }, tx);
        await conn.ExecuteAsync("UPDATE digest_runs SET outbox_id = @outbox WHERE id = @run", new { outbox, run }, tx);
        await tx.CommitAsync(ct);
        signal.WakeWebhooks();
        log.LogInformation("Digest {Name} for {From} to {To} queued for webhook {Webhook}", d.Name, period.From, period.To, d.Webhook);
        return true;
    }
}
