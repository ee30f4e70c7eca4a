using System.Globalization;

namespace Switchboard.Handover;

/// <summary>
/// The hand-over SLA: how much business time an expert has (SWITCHBOARD_HANDOVER_DUE_MINUTES, default 240), how long
/// before the deadline both sides are warned (SWITCHBOARD_HANDOVER_WARN_MINUTES, default 60) and how often the timer
/// looks for due hand-overs (SWITCHBOARD_HANDOVER_POLL_SECONDS, default 5).
/// </summary>
internal sealed record HandoverOptions(TimeSpan Due, TimeSpan WarnBefore, TimeSpan Poll)
{
    public static HandoverOptions FromEnvironment() => new(
        TimeSpan.FromMinutes(Read("SWITCHBOARD_HANDOVER_DUE_MINUTES", 240, 1)),
        TimeSpan.FromMinutes(Read("SWITCHBOARD_HANDOVER_WARN_MINUTES", 60, 0)),
        TimeSpan.FromSeconds(Read("SWITCHBOARD_HANDOVER_POLL_SECONDS", 5, 1)));

    private static double Read(string name, double fallback, double min)
    {
        var raw = Environment.GetEnvironmentVariable(name);
        if (string.IsNullOrWhiteSpace(raw))
        {
            return fallback;
        }

        // A typo in the environment must stop the start, not silently fall back.
        return double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v >= min && v <= 100_000
            ? v
            : throw new InvalidOperationException($"{name}='{raw}' is not a number of at least {min}");
    }
}
