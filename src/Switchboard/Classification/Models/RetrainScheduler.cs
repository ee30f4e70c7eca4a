using Dapper;
using Switchboard.Classification.Corrections;
using Switchboard.Storage;

namespace Switchboard.Classification.Models;

/// <summary>How often scheduled retraining runs (`Classification:RetrainInterval` or SWITCHBOARD_RETRAIN_INTERVAL; "off" disables).</summary>
internal sealed record RetrainOptions(TimeSpan? Interval)
{
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromDays(1);
}

/// <summary>
/// Retrains every label set people have labelled, once per interval after its last attempt, when new human labels
/// arrived since. The due times come from the stored attempts (timers as data), so a restart neither retrains early
/// nor forgets a due run; the service sleeps until the earliest due time with the injected TimeProvider.
/// </summary>
internal sealed class RetrainScheduler(Database db, TimeProvider time, RetrainOptions options, ILogger<RetrainScheduler> log) : BackgroundService
{
    private DateTimeOffset? _startedAt;

    /// <summary>The label sets retraining applies to: those with human labels that a model may be named after.</summary>
    public async Task<IReadOnlyList<RetrainState>> StatesAsync(CancellationToken ct)
    {
        await using var conn = await db.OpenAsync(ct);
        var rows = await conn.QueryAsync<(string Label, long Newest, long? LastAttempt)>(new CommandDefinition(
            """
            SELECT lc.label, MAX(lc.created_at), (SELECT MAX(a.started_at) FROM retrain_attempts a WHERE a.name = lc.label)
            FROM label_corrections lc GROUP BY lc.label
            """, cancellationToken: ct));
        return [.. rows.Where(r => LabelCatalog.CheckModelName(r.Label) is null)
            .Select(r => new RetrainState(r.Label, r.LastAttempt is { } a ? DateTimeOffset.FromUnixTimeMilliseconds(a) : null,
                DateTimeOffset.FromUnixTimeMilliseconds(r.Newest)))];
    }

    /// <summary>Runs every due retraining once; returns the attempts made and when to look again.</summary>
    public async Task<(IReadOnlyList<RetrainAttemptDto> Attempts, DateTimeOffset NextWake)> TickAsync(CancellationToken ct)
    {
        var interval = options.Interval ?? RetrainOptions.DefaultInterval;
        var startedAt = _startedAt ??= time.GetUtcNow();
        var attempts = new List<RetrainAttemptDto>();
        var states = await StatesAsync(ct);
        foreach (var s in states.Where(s => RetrainSchedule.IsDue(s, time.GetUtcNow(), startedAt, interval)))
        {
            var r = await Retraining.RunAsync(db, s.Name, "schedule", ModelActor.System("retrain-scheduler"), time, ct);
            if (r.Attempt is { } a)
            {
                log.LogInformation("Scheduled retraining of {Name}: {Outcome} ({Reason})", a.Name, a.Outcome, a.Reason);
                attempts.Add(a);
            }
        }

        return (attempts, RetrainSchedule.NextWake(attempts.Count > 0 ? await StatesAsync(ct) : states, time.GetUtcNow(), startedAt, interval));
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Interval is null)
        {
            log.LogInformation("Scheduled retraining is off");
            return;
        }

        _startedAt ??= time.GetUtcNow();
        while (!stoppingToken.IsCancellationRequested)
        {
            var wake = time.GetUtcNow() + options.Interval.Value;
            try
            {
                (_, wake) = await TickAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A failed run (database briefly down) is retried at the next wake-up; the server keeps serving.
                log.LogError(e, "Scheduled retraining failed");
            }

            var delay = wake - time.GetUtcNow();
            try
            {
                await Task.Delay(delay < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : delay, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
