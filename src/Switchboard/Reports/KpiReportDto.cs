using System.Globalization;

namespace Switchboard.Reports;

/// <summary>The JSON of `GET /api/reports/kpis`: durations in seconds, shares from 0 to 1 (null when nothing to divide),
/// days as yyyy-MM-dd in the report's zone.</summary>
internal sealed record KpiReportDto(
    string From,
    string To,
    string Zone,
    string? Team,
    string? Channel,
    double ResponseTargetSeconds,
    KpiRowDto Total,
    BreachCounts Breaches,
    double? AcknowledgeMedianSeconds,
    long InboundMessages,
    long OutboundMessages,
    double? RepliesPerInbound,
    IReadOnlyList<KpiRowDto> Days,
    IReadOnlyList<KpiRowDto> Teams,
    IReadOnlyList<KpiRowDto> Agents,
    IReadOnlyList<KpiRowDto> Channels,
    IReadOnlyList<TopicShare> Topics,
    PreviousDto? Previous)
{
    public static KpiReportDto Of(KpiReport r, ReportQuery q) => new(
        r.Period.From.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        r.Period.To.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        r.Period.Zone.Id,
        q.Team,
        q.Channel,
        r.ResponseTarget.TotalSeconds,
        KpiRowDto.Of(r.Total),
        r.Breaches,
        r.AcknowledgeMedian?.TotalSeconds,
        r.Messages.Inbound,
        r.Messages.Outbound,
        r.Messages.RepliesPerInbound,
        [.. r.Days.Select(d => KpiRowDto.Of(d.Kpis))],
        [.. r.Teams.Select(KpiRowDto.Of)],
        [.. r.Agents.Select(KpiRowDto.Of)],
        [.. r.Channels.Select(KpiRowDto.Of)],
        r.Topics,
        r.Previous is { } p
            ? new PreviousDto(p.Period.From.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), p.Period.To.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                KpiRowDto.Of(p.Total), p.Messages.Inbound, p.Messages.Outbound)
            : null);
}

/// <summary>The same totals over the as many days before the period.</summary>
internal sealed record PreviousDto(string From, string To, KpiRowDto Total, long InboundMessages, long OutboundMessages);

internal sealed record DurationDto(int Count, double? MedianSeconds, double? P90Seconds, int WithinTarget, double? ShareWithinTarget)
{
    public static DurationDto Of(DurationStats s, bool target = true) =>
        new(s.Count, s.Median?.TotalSeconds, s.P90?.TotalSeconds, target ? s.WithinTarget : 0, target ? s.ShareWithinTarget : null);
}

internal sealed record KpiRowDto(
    string Key,
    string Name,
    int Conversations,
    int Answered,
    int Resolved,
    DurationDto FirstResponse,
    DurationDto Resolution,
    int WithSla,
    int Breached,
    int Met,
    int InProgress,
    double? SlaAttainment,
    int Escalated,
    int Negative,
    int Positive,
    int Labelled,
    double? NetSentiment)
{
    public static KpiRowDto Of(KpiRow r) => new(r.Key, r.Name, r.Conversations, r.Answered, r.Resolved, DurationDto.Of(r.FirstResponse),
        DurationDto.Of(r.Resolution, target: false), r.WithSla, r.Breached, r.Met, r.SlaInProgress, r.SlaAttainment, r.Escalated, r.Negative, r.Positive, r.Labelled, r.NetSentiment);
}
