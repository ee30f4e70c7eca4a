namespace Switchboard.Channels.Connectors;

/// <summary>What the health monitor knows about one connector at a moment.</summary>
internal sealed record HealthSnapshot(
    DateTimeOffset StartedAt,
    DateTimeOffset? LastDeliveryAt,
    int ConsecutiveErrors,
    double ErrorRate,
    long Attempts,
    TimeSpan? ExpectedInterval,
    string? LastError);

internal enum AlertKind
{
    None,
    /// <summary>Nothing delivered for longer than the account's expected interval.</summary>
    Silent,
    /// <summary>Errors in a row, or a high recent error rate.</summary>
    Failing,
}

internal sealed record HealthVerdict(AlertKind Kind, string Reason);

/// <summary>What the monitor does with the stored alert state: raise a new episode, clear one, or nothing.</summary>
internal enum AlertTransition
{
    None,
    Raise,
    Clear,
    /// <summary>Still alerting but for the other reason (silent ↔ failing): close the episode and open the new one.</summary>
    Replace,
}

internal sealed record HealthRules
{
    /// <summary>This many failed attempts in a row mean the source is failing, whatever the rate.</summary>
    public int MaxConsecutiveErrors { get; init; } = 3;
    /// <summary>The weighted error rate (each attempt weighs <see cref="RateWeight"/>) above which the source is failing.</summary>
    public double MaxErrorRate { get; init; } = 0.5;
    /// <summary>The rate only counts once this many attempts were made, so one early failure is not an alert.</summary>
    public int MinAttemptsForRate { get; init; } = 5;
    public double RateWeight { get; init; } = 0.2;
}

/// <summary>
/// The alert rules as pure functions. A source is <see cref="AlertKind.Failing"/> when its recent attempts fail (that
/// wins: it explains the silence too), else <see cref="AlertKind.Silent"/> when nothing was delivered for longer than
/// its expected interval (measured from the connector's start until the first delivery). Without an expected interval
/// there is no silence rule: a quiet blog is not an outage.
/// </summary>
internal static class ConnectorHealth
{
    public static HealthVerdict Assess(HealthSnapshot s, DateTimeOffset now, HealthRules? rules = null)
    {
        rules ??= new();
        if (s.ConsecutiveErrors >= rules.MaxConsecutiveErrors)
            return new(AlertKind.Failing, $"{s.ConsecutiveErrors} errors in a row" + (s.LastError is null ? "" : $"; last: {s.LastError}"));
        if (s.Attempts >= rules.MinAttemptsForRate && s.ErrorRate > rules.MaxErrorRate)
            return new(AlertKind.Failing, $"error rate {s.ErrorRate:P0} over recent attempts" + (s.LastError is null ? "" : $"; last: {s.LastError}"));
        if (s.ExpectedInterval is { } expected && expected > TimeSpan.Zero)
        {
            var since = s.LastDeliveryAt ?? s.StartedAt;
            var silent = now - since;
            if (silent > expected)
                return new(AlertKind.Silent, s.LastDeliveryAt is null
                    ? $"no delivery since the connector started {Describe(silent)} ago (expected at least one every {Describe(expected)})"
                    : $"no delivery for {Describe(silent)} (expected at least one every {Describe(expected)})");
        }
        return new(AlertKind.None, "healthy");
    }

    /// <summary>The weighted error rate after one more attempt (1 = failed, 0 = succeeded).</summary>
    public static double NextErrorRate(double current, bool failed, HealthRules? rules = null)
    {
        var w = (rules ?? new()).RateWeight;
        return current * (1 - w) + (failed ? w : 0);
    }

    /// <summary>The stored state is "ok", "silent" or "failing"; one alert per episode, cleared on recovery.</summary>
    public static AlertTransition Transition(string storedState, AlertKind verdict) => (StateKind(storedState), verdict) switch
    {
        (AlertKind.None, AlertKind.None) => AlertTransition.None,
        (AlertKind.None, _) => AlertTransition.Raise,
        (_, AlertKind.None) => AlertTransition.Clear,
        var (stored, now) when stored == now => AlertTransition.None,
        _ => AlertTransition.Replace,
    };

    public static string State(AlertKind kind) => kind switch
    {
        AlertKind.Silent => "silent",
        AlertKind.Failing => "failing",
        _ => "ok",
    };

    private static AlertKind StateKind(string state) => state switch
    {
        "silent" => AlertKind.Silent,
        "failing" => AlertKind.Failing,
        _ => AlertKind.None,
    };

    private static string Describe(TimeSpan t) =>
        t.TotalDays >= 2 ? $"{t.TotalDays:0} days" : t.TotalHours >= 2 ? $"{t.TotalHours:0} h" : t.TotalMinutes >= 2 ? $"{t.TotalMinutes:0} min" : $"{t.TotalSeconds:0} s";
}
