namespace Switchboard.Classification.Corrections;

/// <summary>One label's numbers for one week (weeks start Monday 00:00 UTC).</summary>
public sealed record WeeklyLabelStats(string Label, DateTimeOffset WeekStart, long Labelled, long Corrections, long Confirmations)
{
    /// <summary>Share of reviewed labels people confirmed; null when nobody reviewed any that week.</summary>
    public double? Accuracy => Corrections + Confirmations == 0 ? null : (double)Confirmations / (Corrections + Confirmations);
}

/// <summary>Week buckets shared by the SQL that counts and the page that shows them.</summary>
public static class ReviewAccuracy
{
    public const long WeekMs = 7L * 24 * 3600 * 1000;

    // The Unix epoch was a Thursday; Monday 1970-01-05 is four days later.
    public const long MondayOffsetMs = 4L * 24 * 3600 * 1000;

    public static long Week(long unixMs) => (long)Math.Floor((unixMs - MondayOffsetMs) / (double)WeekMs);

    public static DateTimeOffset WeekStart(long week) => DateTimeOffset.FromUnixTimeMilliseconds((week * WeekMs) + MondayOffsetMs);

    /// <summary>Joins the per-week counts into rows, newest week first, one row per label and week with any activity.</summary>
    public static IReadOnlyList<WeeklyLabelStats> Combine(
        IEnumerable<(string Label, long Week, long Count)> labelled,
        IEnumerable<(string Label, long Week, string Kind, long Count)> reviews)
    {
        var rows = new Dictionary<(string, long), (long L, long C, long F)>();
        foreach (var (label, week, count) in labelled)
        {
            rows.TryGetValue((label, week), out var r);
            rows[(label, week)] = (r.L + count, r.C, r.F);
        }

        foreach (var (label, week, kind, count) in reviews)
        {
            rows.TryGetValue((label, week), out var r);
            rows[(label, week)] = kind switch
            {
                "correct" => (r.L, r.C + count, r.F),
                "confirm" => (r.L, r.C, r.F + count),
                _ => r,
            };
        }

        return [.. rows.OrderByDescending(p => p.Key.Item2).ThenBy(p => p.Key.Item1, StringComparer.Ordinal)
            .Select(p => new WeeklyLabelStats(p.Key.Item1, WeekStart(p.Key.Item2), p.Value.L, p.Value.C, p.Value.F))];
    }
}
