using Switchboard.Routing;

namespace Switchboard.Sla;

/// <summary>The clocks an SLA policy can keep. The wire names (snake_case) are used in keys, YAML and output.</summary>
internal enum SlaMetric
{
    FirstResponse,
    NextResponse,
    Resolution,
}

/// <summary>
/// Targets are business time on <see cref="Calendar"/>. A missing target means the metric is not tracked.
/// <see cref="WarnBefore"/> is business time before the breach; zero disables warnings.
/// <see cref="Ladder"/> starts when a metric breaches.
/// </summary>
internal sealed record SlaPolicy(
    string Name,
    BusinessCalendar Calendar,
    TimeSpan? FirstResponse,
    TimeSpan? NextResponse,
    TimeSpan? Resolution,
    TimeSpan WarnBefore,
    EscalationLadder? Ladder)
{
    public TimeSpan? Target(SlaMetric metric) => metric switch
    {
        SlaMetric.FirstResponse => FirstResponse,
        SlaMetric.NextResponse => NextResponse,
        SlaMetric.Resolution => Resolution,
        _ => throw new ArgumentOutOfRangeException(nameof(metric)),
    };
}

internal static class SlaMetricNames
{
    public static string Wire(this SlaMetric metric) => metric switch
    {
        SlaMetric.FirstResponse => "first_response",
        SlaMetric.NextResponse => "next_response",
        SlaMetric.Resolution => "resolution",
        _ => throw new ArgumentOutOfRangeException(nameof(metric)),
    };
}
