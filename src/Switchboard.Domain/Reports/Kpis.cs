namespace Switchboard.Reports;

/// <summary>
/// What a report needs to know about one conversation started in the period. Breaches are per metric family
/// (first response, next response, resolution), read from the SLA effect ledger, so a breach counts once however
/// many escalation levels followed it.
/// </summary>
public sealed record ConversationFact(
    long Id,
    string Channel,
    string? Team,
    string? TeamName,
    long? AssigneeId,
    string? Assignee,
    string Status,
    string? Sentiment,
    DateTimeOffset CreatedAt,
    DateTimeOffset? FirstResponseAt,
    DateTimeOffset? ResolvedAt,
    bool HasSla,
    bool FirstResponseBreached,
    bool NextResponseBreached,
    bool ResolutionBreached,
    int EscalationLevel,
    DateTimeOffset? EscalatedAt,
    DateTimeOffset? AcknowledgedAt)
{
    public bool Breached => FirstResponseBreached || NextResponseBreached || ResolutionBreached;

    /// <summary>Wall-clock time to the first reply; what the customer waited. Clamped at zero (a reply imported with
    /// a timestamp before the post it answers).</summary>
    public TimeSpan? FirstResponse => FirstResponseAt is { } r ? Max(r - CreatedAt, TimeSpan.Zero) : null;

    public TimeSpan? Resolution => Status == "resolved" && ResolvedAt is { } r ? Max(r - CreatedAt, TimeSpan.Zero) : null;

    public TimeSpan? ToAcknowledge => EscalatedAt is { } e && AcknowledgedAt is { } a && a >= e ? a - e : null;

    static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}

/// <summary>Median, 90th percentile and the share within a target of a set of durations.</summary>
public sealed record DurationStats(int Count, TimeSpan? Median, TimeSpan? P90, int WithinTarget)
{
    public double? ShareWithinTarget => Count == 0 ? null : (double)WithinTarget / Count;

    /// <summary>Nearest-rank percentiles: every value reported is one that happened (no interpolated times).</summary>
    public static DurationStats Of(IEnumerable<TimeSpan> values, TimeSpan target)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0)
        {
            return new(0, null, null, 0);
        }

        return new(sorted.Length, Percentile(sorted, 0.5), Percentile(sorted, 0.9), sorted.Count(v => v <= target));
    }

    public static TimeSpan Percentile(TimeSpan[] sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
}

/// <summary>One row of a breakdown (a team, an agent, a channel) or the whole period.</summary>
public sealed record KpiRow(
    string Key,
    string Name,
    int Conversations,
    int Answered,
    int Resolved,
    DurationStats FirstResponse,
    DurationStats Resolution,
    int WithSla,
    int Breached,
    int Met,
    int Escalated,
    int Negative,
    int Positive,
    int Labelled)
{
    /// <summary>Under an SLA policy, neither breached nor resolved yet: its clocks may still breach.</summary>
    public int SlaInProgress => WithSla - Breached - Met;

    /// <summary>
    /// Met ÷ (met + breached): a conversation under an SLA policy counts once its outcome is known, met when it was
    /// resolved without breaching any clock, breached as soon as one clock breached. Conversations still in progress
    /// are left out; counting them as met would flatter a team whose backlog has not breached yet.
    /// </summary>
    public double? SlaAttainment => Met + Breached == 0 ? null : (double)Met / (Met + Breached);

    /// <summary>(positive − negative) / labelled, from −1 to 1.</summary>
    public double? NetSentiment => Labelled == 0 ? null : (double)(Positive - Negative) / Labelled;

    public double? NegativeShare => Labelled == 0 ? null : (double)Negative / Labelled;
}

public sealed record DayRow(DateOnly Date, KpiRow Kpis);

public sealed record BreachCounts(int FirstResponse, int NextResponse, int Resolution);

/// <summary>Messages written in the period (by their own time, whichever conversation they belong to).</summary>
public sealed record MessageVolume(long Inbound, long Outbound)
{
    /// <summary>Replies sent per message received: how much of the traffic the team answers (a conversation, not a
    /// megaphone: seed 004).</summary>
    public double? RepliesPerInbound => Inbound == 0 ? null : (double)Outbound / Inbound;
}

public sealed record TopicShare(long Id, string Name, long Messages, double Share);

/// <summary>The previous period's totals, for the "compared with" line of each KPI.</summary>
public sealed record KpiComparison(ReportPeriod Period, KpiRow Total, MessageVolume Messages);

/// <summary>The KPIs of one period: totals, a row per day, per team, per agent and per channel.</summary>
public sealed record KpiReport(
    ReportPeriod Period,
    TimeSpan ResponseTarget,
    KpiRow Total,
    BreachCounts Breaches,
    TimeSpan? AcknowledgeMedian,
    MessageVolume Messages,
    IReadOnlyList<DayRow> Days,
    IReadOnlyList<KpiRow> Teams,
    IReadOnlyList<KpiRow> Agents,
    IReadOnlyList<KpiRow> Channels,
    IReadOnlyList<TopicShare> Topics)
{
    /// <summary>The same KPIs over the as many days before; null when not asked for.</summary>
    public KpiComparison? Previous { get; init; }
}

/// <summary>The KPI arithmetic: pure, so every number on the page is tested without a database.</summary>
public static class Kpis
{
    /// <summary>About half of customers expect a reply on social within an hour (product brief): the default target.</summary>
    public static readonly TimeSpan DefaultResponseTarget = TimeSpan.FromHours(1);

    public const string Unassigned = "unassigned";
    public const string Unrouted = "unrouted";

    public static KpiReport Compute(ReportPeriod period, TimeSpan responseTarget, IReadOnlyList<ConversationFact> facts, MessageVolume messages,
        IReadOnlyList<(long Id, string Name, long Messages)> topics)
    {
        var inPeriod = facts.Where(f => f.CreatedAt >= period.Start && f.CreatedAt < period.End).ToList();
        var byDay = inPeriod.ToLookup(f => period.DayOf(f.CreatedAt));
        var days = period.Dates.Select(d => new DayRow(d, Row(d.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), "", byDay[d], responseTarget))).ToList();
        var teams = Group(inPeriod, f => f.Team ?? Unrouted, f => f.TeamName ?? "Not routed", responseTarget);
        var agents = Group(inPeriod, f => f.AssigneeId?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? Unassigned, f => f.Assignee ?? "Unassigned", responseTarget);
        var channels = Group(inPeriod, f => f.Channel, f => f.Channel, responseTarget);
        var acks = inPeriod.Select(f => f.ToAcknowledge).OfType<TimeSpan>().ToArray();
        Array.Sort(acks);
        var topicTotal = topics.Sum(t => t.Messages);
        return new KpiReport(
            period,
            responseTarget,
            Row("total", "All conversations", inPeriod, responseTarget),
            new BreachCounts(inPeriod.Count(f => f.FirstResponseBreached), inPeriod.Count(f => f.NextResponseBreached), inPeriod.Count(f => f.ResolutionBreached)),
            acks.Length == 0 ? null : DurationStats.Percentile(acks, 0.5),
            messages,
            days,
            teams,
            agents,
            channels,
            [.. topics.OrderByDescending(t => t.Messages).ThenBy(t => t.Name, StringComparer.Ordinal)
                .Select(t => new TopicShare(t.Id, t.Name, t.Messages, topicTotal == 0 ? 0 : (double)t.Messages / topicTotal))]);
    }

    /// <summary>The previous period's totals from its own facts (facts outside it are ignored, as in <see cref="Compute"/>).</summary>
    public static KpiComparison Compare(ReportPeriod previous, TimeSpan responseTarget, IReadOnlyList<ConversationFact> facts, MessageVolume messages) =>
        new(previous, Row("total", "All conversations", facts.Where(f => f.CreatedAt >= previous.Start && f.CreatedAt < previous.End), responseTarget), messages);

    static List<KpiRow> Group(IEnumerable<ConversationFact> facts, Func<ConversationFact, string> key, Func<ConversationFact, string> name, TimeSpan target) =>
        [.. facts.GroupBy(key, StringComparer.Ordinal)
            .Select(g => Row(g.Key, name(g.First()), g, target))
            .OrderByDescending(r => r.Conversations).ThenBy(r => r.Name, StringComparer.Ordinal)];

    public static KpiRow Row(string key, string name, IEnumerable<ConversationFact> facts, TimeSpan target)
    {
        var list = facts as IReadOnlyCollection<ConversationFact> ?? [.. facts];
        var labelled = list.Count(f => f.Sentiment is "negative" or "neutral" or "positive");
        return new KpiRow(
            key,
            name,
            list.Count,
            list.Count(f => f.FirstResponseAt is not null),
            list.Count(f => f.Status == "resolved"),
            DurationStats.Of(list.Select(f => f.FirstResponse).OfType<TimeSpan>(), target),
            // Resolution has no fixed customer expectation; its "within target" is left at zero and not shown.
            DurationStats.Of(list.Select(f => f.Resolution).OfType<TimeSpan>(), TimeSpan.MinValue),
            list.Count(f => f.HasSla),
            list.Count(f => f.HasSla && f.Breached),
            list.Count(f => f.HasSla && !f.Breached && f.Status == "resolved"),
            list.Count(f => f.EscalationLevel > 0),
            list.Count(f => f.Sentiment == "negative"),
            list.Count(f => f.Sentiment == "positive"),
            labelled);
    }
}
