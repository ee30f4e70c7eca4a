namespace Switchboard.Classification.Corrections;

/// <summary>What the scheduler knows about one label set when it wakes up.</summary>
public sealed record RetrainState(string Name, DateTimeOffset? LastAttemptAt, DateTimeOffset? NewestHumanLabelAt);

/// <summary>
/// When a label set is due for scheduled retraining: an interval after its last attempt (or after the scheduler
/// started, for a label set never tried), and only when people labelled something since that attempt — retraining
/// on unchanged data would only repeat the last result.
/// </summary>
public static class RetrainSchedule
{
    public static DateTimeOffset DueAt(RetrainState s, DateTimeOffset startedAt, TimeSpan interval) =>
        (s.LastAttemptAt ?? startedAt) + interval;

    public static bool IsDue(RetrainState s, DateTimeOffset now, DateTimeOffset startedAt, TimeSpan interval) =>
        s.NewestHumanLabelAt is { } newest && (s.LastAttemptAt is null || newest > s.LastAttemptAt) &&
        now >= DueAt(s, startedAt, interval);

    /// <summary>When to wake next: the earliest due time still ahead, or one interval from now when none is.</summary>
    public static DateTimeOffset NextWake(IEnumerable<RetrainState> states, DateTimeOffset now, DateTimeOffset startedAt, TimeSpan interval)
    {
        var next = now + interval;
        foreach (var s in states)
        {
            var due = DueAt(s, startedAt, interval);
            if (due > now && due < next)
            {
                next = due;
            }
        }

        return next;
    }

    /// <summary>Parses "30m", "6h", "1d", or a TimeSpan ("01:00:00"); between one minute and 365 days.</summary>
    public static TimeSpan? ParseInterval(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        text = text.Trim();
        TimeSpan? span = null;
        if (text.Length > 1 && double.TryParse(text[..^1], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var n))
        {
            span = char.ToLowerInvariant(text[^1]) switch
            {
                's' => TimeSpan.FromSeconds(n),
                'm' => TimeSpan.FromMinutes(n),
                'h' => TimeSpan.FromHours(n),
                'd' => TimeSpan.FromDays(n),
                _ => null,
            };
        }

        if (span is null && TimeSpan.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var t))
        {
            span = t;
        }

        return span is { } s && s >= TimeSpan.FromMinutes(1) && s <= TimeSpan.FromDays(365) ? s : null;
    }
}
