using System.Globalization;

namespace Switchboard.Reports;

/// <summary>Whether a change is good news, bad news, or neither (volume is neither: more conversations is not a score).</summary>
public enum DeltaTone
{
    Neutral,
    Better,
    Worse,
}

/// <summary>A KPI against the previous period, as the page says it: "▼ 4 min", "▲ 3.5 pts", "▲ 12 %".</summary>
public sealed record KpiDelta(string Text, DeltaTone Tone)
{
    static readonly KpiDelta None = new("", DeltaTone.Neutral);

    /// <summary>A count: the relative change, neutral (volume is not good or bad in itself).</summary>
    public static KpiDelta Count(long now, long before) => before == 0
        ? now == 0 ? new("= 0", DeltaTone.Neutral) : new("new", DeltaTone.Neutral)
        : Signed((now - before) * 100.0 / before, "0", " %", DeltaTone.Neutral, DeltaTone.Neutral);

    /// <summary>A count where fewer is better (breaches, escalations).</summary>
    public static KpiDelta FewerIsBetter(long now, long before) => now == before
        ? new("= " + now.ToString(CultureInfo.InvariantCulture), DeltaTone.Neutral)
        : new((now > before ? "▲ " : "▼ ") + Math.Abs(now - before).ToString(CultureInfo.InvariantCulture), now < before ? DeltaTone.Better : DeltaTone.Worse);

    /// <summary>A duration where shorter is better (reply and resolution times); nothing when either side has none.</summary>
    public static KpiDelta Shorter(TimeSpan? now, TimeSpan? before)
    {
        if (now is not { } n || before is not { } b)
        {
            return None;
        }

        var d = n - b;
        if (Math.Abs(d.TotalSeconds) < 1)
        {
            return new("= same", DeltaTone.Neutral);
        }

        return new((d > TimeSpan.Zero ? "▲ " : "▼ ") + Duration(d.Duration()), d < TimeSpan.Zero ? DeltaTone.Better : DeltaTone.Worse);
    }

    /// <summary>A share (0–1) where higher is better, in percentage points; nothing when either side has none.</summary>
    public static KpiDelta Points(double? now, double? before)
    {
        if (now is not { } n || before is not { } b)
        {
            return None;
        }

        var pts = (n - b) * 100;
        return Signed(pts, "0.#", " pts", DeltaTone.Better, DeltaTone.Worse);
    }

    static KpiDelta Signed(double value, string format, string unit, DeltaTone up, DeltaTone down)
    {
        var shown = Math.Abs(value).ToString(format, CultureInfo.InvariantCulture);
        if (shown == 0.ToString(format, CultureInfo.InvariantCulture))
        {
            return new("= same", DeltaTone.Neutral);
        }

        return new((value > 0 ? "▲ " : "▼ ") + shown + unit, value > 0 ? up : down);
    }

    /// <summary>"45 s", "12 min", "3.5 h", "2.1 d": the unit the page uses for durations.</summary>
    public static string Duration(TimeSpan? t) => t switch
    {
        null => "–",
        { TotalMinutes: < 1 } v => $"{v.TotalSeconds.ToString("0", CultureInfo.InvariantCulture)} s",
        { TotalHours: < 1 } v => $"{v.TotalMinutes.ToString("0", CultureInfo.InvariantCulture)} min",
        { TotalDays: < 2 } v => $"{v.TotalHours.ToString("0.#", CultureInfo.InvariantCulture)} h",
        { } v => $"{v.TotalDays.ToString("0.#", CultureInfo.InvariantCulture)} d",
    };
}
