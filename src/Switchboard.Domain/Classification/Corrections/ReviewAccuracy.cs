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

/// <summary>
/// One value of one label as people reviewed it (the value the message had when reviewed: the classifier's, unless
/// someone had already changed it): how often they kept it, how often they changed it, and to what. This is what a manager acts on ("intent=question is often a complaint"): a rule to fix, or labels
/// to add before retraining.
/// </summary>
public sealed record ValueReviewStats(string Label, string Value, long Confirmations, long Corrections, IReadOnlyList<CorrectedTo> ChangedTo)
{
    /// <summary>Share of reviews that kept the value; null when nobody reviewed it.</summary>
    public double? Accuracy => Corrections + Confirmations == 0 ? null : (double)Confirmations / (Corrections + Confirmations);
}

/// <summary>A value people put in place of the classifier's, and how often.</summary>
public sealed record CorrectedTo(string Value, long Count);

public static class ValueReviews
{
    /// <summary>
    /// Groups reviews by the value they reviewed. A correction of a message that had no value (null) counts under
    /// "—". Rows with the most corrections come first (ties: the lower accuracy, then label and value), so the top
    /// of the list is where the classifier is most often wrong; <paramref name="limit"/> keeps the page short.
    /// </summary>
    public static IReadOnlyList<ValueReviewStats> Summarise(
        IEnumerable<(string Label, string? OldValue, string NewValue, string Kind, long Count)> reviews, int limit)
    {
        var rows = new Dictionary<(string Label, string Value), (long Confirmed, long Corrected, Dictionary<string, long> To)>();
        foreach (var (label, old, now, kind, count) in reviews)
        {
            if (kind is not ("confirm" or "correct") || count <= 0)
            {
                continue;
            }

            var key = (label, old ?? "—");
            if (!rows.TryGetValue(key, out var r))
            {
                r = (0, 0, new Dictionary<string, long>(StringComparer.Ordinal));
            }

            if (kind == "confirm")
            {
                r.Confirmed += count;
            }
            else
            {
                r.Corrected += count;
                r.To[now] = r.To.GetValueOrDefault(now) + count;
            }

            rows[key] = r;
        }

        return [.. rows
            .Select(p => new ValueReviewStats(p.Key.Label, p.Key.Value, p.Value.Confirmed, p.Value.Corrected,
                [.. p.Value.To.OrderByDescending(t => t.Value).ThenBy(t => t.Key, StringComparer.Ordinal).Select(t => new CorrectedTo(t.Key, t.Value))]))
            .OrderByDescending(s => s.Corrections)
            .ThenBy(s => s.Accuracy ?? 1)
            .ThenBy(s => s.Label, StringComparer.Ordinal)
            .ThenBy(s => s.Value, StringComparer.Ordinal)
            .Take(Math.Max(0, limit))];
    }
}
