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
        var sorted = values.ToArray();
        if (sorted.Length == 0)
        {
            return new(0, null, null, 0);
        }

        Array.Sort(sorted);
        var within = 0;
        while (within < sorted.Length && sorted[within] <= target)
        {
            within++;
        }

        return new(sorted.Length, Percentile(sorted, 0.5), Percentile(sorted, 0.9), within);
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
        // One pass over the facts feeds every accumulator: a quarter of a large workspace is ~100,000 facts, and a
        // report is read rarely enough that its code often runs unoptimized (tier-0), so passes count.
        var start = period.Start;
        var end = period.End;
        var total = new Accumulator("total", "All conversations");
        var days = period.Dates.Select(d => new Accumulator(d.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), "")).ToArray();
        var teams = new Dictionary<string, Accumulator>(StringComparer.Ordinal);
        var agents = new Dictionary<string, Accumulator>(StringComparer.Ordinal);
        var channels = new Dictionary<string, Accumulator>(StringComparer.Ordinal);
        var acks = new List<TimeSpan>();
        int breachFirst = 0, breachNext = 0, breachResolution = 0;
        var utc = period.Zone == TimeZoneInfo.Utc;
        foreach (var f in facts)
        {
            if (f.CreatedAt < start || f.CreatedAt >= end)
            {
                continue;
            }

            total.Add(f);
            var day = utc ? DateOnly.FromDateTime(f.CreatedAt.UtcDateTime) : period.DayOf(f.CreatedAt);
            var index = day.DayNumber - period.From.DayNumber;
            if ((uint)index < (uint)days.Length)
            {
                days[index].Add(f);
            }

            Bucket(teams, f.Team ?? Unrouted, f.TeamName ?? "Not routed").Add(f);
            Bucket(agents, f.AssigneeId?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? Unassigned, f.Assignee ?? "Unassigned").Add(f);
            Bucket(channels, f.Channel, f.Channel).Add(f);
            if (f.ToAcknowledge is { } ack)
            {
                acks.Add(ack);
            }

            breachFirst += f.FirstResponseBreached ? 1 : 0;
            breachNext += f.NextResponseBreached ? 1 : 0;
            breachResolution += f.ResolutionBreached ? 1 : 0;
        }

        var ackSorted = acks.ToArray();
        Array.Sort(ackSorted);
        var topicTotal = topics.Sum(t => t.Messages);
        return new KpiReport(
            period,
            responseTarget,
            total.ToRow(responseTarget),
            new BreachCounts(breachFirst, breachNext, breachResolution),
            ackSorted.Length == 0 ? null : DurationStats.Percentile(ackSorted, 0.5),
            messages,
            [.. period.Dates.Select((d, i) => new DayRow(d, days[i].ToRow(responseTarget)))],
            Ordered(teams, responseTarget),
            Ordered(agents, responseTarget),
            Ordered(channels, responseTarget),
            [.. topics.OrderByDescending(t => t.Messages).ThenBy(t => t.Name, StringComparer.Ordinal)
                .Select(t => new TopicShare(t.Id, t.Name, t.Messages, topicTotal == 0 ? 0 : (double)t.Messages / topicTotal))]);
    }

    static Accumulator Bucket(Dictionary<string, Accumulator> groups, string key, string name)
    {
        if (!groups.TryGetValue(key, out var a))
        {
            groups[key] = a = new Accumulator(key, name);
        }

        return a;
    }

    static List<KpiRow> Ordered(Dictionary<string, Accumulator> groups, TimeSpan target) =>
        [.. groups.Values.Select(a => a.ToRow(target)).OrderByDescending(r => r.Conversations).ThenBy(r => r.Name, StringComparer.Ordinal)];

    public static KpiRow Row(string key, string name, IEnumerable<ConversationFact> facts, TimeSpan target)
    {
        var a = new Accumulator(key, name);
        foreach (var f in facts)
        {
            a.Add(f);
        }

        return a.ToRow(target);
    }

    /// <summary>The running counts of one row; <see cref="ToRow"/> sorts its durations once.</summary>
    sealed class Accumulator(string key, string name)
    {
        int _conversations, _answered, _resolved, _withSla, _breached, _met, _escalated, _negative, _positive, _labelled;
        readonly List<TimeSpan> _first = [];
        readonly List<TimeSpan> _resolution = [];

        public void Add(ConversationFact f)
        {
            _conversations++;
            if (f.FirstResponse is { } first)
            {
                _answered++;
                _first.Add(first);
            }

            var resolved = f.Status == "resolved";
            if (resolved)
            {
                _resolved++;
                if (f.Resolution is { } r)
                {
                    _resolution.Add(r);
                }
            }

            if (f.HasSla)
            {
                _withSla++;
                if (f.Breached)
                {
                    _breached++;
                }
                else if (resolved)
                {
                    _met++;
                }
            }

            if (f.EscalationLevel > 0)
            {
                _escalated++;
            }

            switch (f.Sentiment)
            {
                case "negative": _negative++; _labelled++; break;
                case "positive": _positive++; _labelled++; break;
                case "neutral": _labelled++; break;
            }
        }

        public KpiRow ToRow(TimeSpan target) => new(
            key,
            name,
            _conversations,
            _answered,
            _resolved,
            DurationStats.Of(_first, target),
            // Resolution has no fixed customer expectation; its "within target" is left at zero and not shown.
            DurationStats.Of(_resolution, TimeSpan.MinValue),
            _withSla,
            _breached,
            _met,
            _escalated,
            _negative,
            _positive,
            _labelled);
    }

    /// <summary>The previous period's totals from its own facts (facts outside it are ignored, as in <see cref="Compute"/>).</summary>
    public static KpiComparison Compare(ReportPeriod previous, TimeSpan responseTarget, IReadOnlyList<ConversationFact> facts, MessageVolume messages) =>
        new(previous, Row("total", "All conversations", facts.Where(f => f.CreatedAt >= previous.Start && f.CreatedAt < previous.End), responseTarget), messages);
}
