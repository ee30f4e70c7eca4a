namespace Switchboard.Reports;

public enum DigestEvery
{
    Day,
    Week,
}

/// <summary>
/// A scheduled KPI digest (workspace YAML `digests:`): the report of the last complete day or week, posted to a named
/// webhook at a local time. A weekly digest sent on Monday covers Monday to Sunday of the week before; a daily one
/// covers yesterday. Times are the zone's wall clock: 08:00 stays 08:00 across daylight-saving changes.
/// </summary>
public sealed record DigestSchedule(string Name, string Webhook, DigestEvery Every, DayOfWeek Weekday, TimeOnly At, TimeZoneInfo Zone, string? Team)
{
    /// <summary>A send missed by less than this (the server was down at 08:00 and back at 10:00) is still sent; an older
    /// one is not (a digest added on Wednesday does not post last Monday's).</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromHours(12);

    int Days => Every == DigestEvery.Week ? 7 : 1;

    /// <summary>The latest send time at or before <paramref name="now"/> and the period it reports.</summary>
    public (DateTimeOffset SendAt, ReportPeriod Period) Latest(DateTimeOffset now)
    {
        var day = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, Zone).DateTime);
        if (Every == DigestEvery.Week)
        {
            day = day.AddDays(-(((int)day.DayOfWeek - (int)Weekday + 7) % 7));
        }

        var send = Local(day);
        if (send > now)
        {
            day = day.AddDays(-Days);
            send = Local(day);
        }

        return (send, new ReportPeriod(day.AddDays(-Days), day.AddDays(-1), Zone));
    }

    /// <summary>The first send time after <paramref name="now"/>.</summary>
    public DateTimeOffset Next(DateTimeOffset now)
    {
        var (_, period) = Latest(now);
        return Local(period.To.AddDays(1 + Days));
    }

    /// <summary>Whether the latest send is due now: reached, and missed by less than <see cref="Grace"/>.</summary>
    public bool IsDue(DateTimeOffset now) => now - Latest(now).SendAt <= Grace;

    /// <summary>The send time on a local day (a time skipped by a DST change moves after it: <see cref="ReportPeriod.Instant"/>).</summary>
    DateTimeOffset Local(DateOnly day) => ReportPeriod.Instant(day, At, Zone);
}
