using System.Globalization;

namespace Switchboard.Reports;

/// <summary>
/// The calendar days a report covers, both ends included, as the people reading it count days: midnight to midnight
/// in <see cref="Zone"/>. A manager in Paris asking for "Monday" means Paris's Monday, not UTC's.
/// </summary>
public sealed record ReportPeriod(DateOnly From, DateOnly To, TimeZoneInfo Zone)
{
    /// <summary>A year and a day: a report reads one row per conversation of the period, so the period is bounded.</summary>
    public const int MaxDays = 366;

    /// <summary>Without dates a report covers the last seven days, today included.</summary>
    public const int DefaultDays = 7;

    public int Days => To.DayNumber - From.DayNumber + 1;

    /// <summary>The first instant of <see cref="From"/> in the zone.</summary>
    public DateTimeOffset Start => StartOf(From);

    /// <summary>The first instant after <see cref="To"/> (exclusive end).</summary>
    public DateTimeOffset End => StartOf(To.AddDays(1));

    public IEnumerable<DateOnly> Dates => Enumerable.Range(0, Days).Select(From.AddDays);

    /// <summary>The as many days right before this period: what its numbers are compared with.</summary>
    public ReportPeriod Previous => this with { From = From.AddDays(-Days), To = From.AddDays(-1) };

    /// <summary>The zone's calendar day of an instant.</summary>
    public DateOnly DayOf(DateTimeOffset t) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(t, Zone).DateTime);

    /// <summary>Midnight of a day in the zone (see <see cref="Instant"/> for days whose midnight is skipped).</summary>
    public DateTimeOffset StartOf(DateOnly day) => Instant(day, TimeOnly.MinValue, Zone);

    /// <summary>
    /// A wall-clock time of a day in a zone, as its people read it. A time a DST change skips (midnight in
    /// America/Santiago, 02:30 in Paris) moves to the first valid quarter hour after it; a repeated one takes its first
    /// occurrence.
    /// </summary>
    public static DateTimeOffset Instant(DateOnly day, TimeOnly time, TimeZoneInfo zone)
    {
        var local = day.ToDateTime(time, DateTimeKind.Unspecified);
        while (zone.IsInvalidTime(local))
        {
            local = local.AddMinutes(15);
        }

        var offset = zone.IsAmbiguousTime(local) ? zone.GetAmbiguousTimeOffsets(local).Max() : zone.GetUtcOffset(local);
        return new DateTimeOffset(local, offset);
    }

    /// <summary>
    /// Reads the query's from, to (yyyy-MM-dd, inclusive) and zone (an IANA id; UTC when empty). A missing end takes
    /// its default (today; or seven days back from the end); a malformed one is an error, never silently ignored.
    /// </summary>
    public static (ReportPeriod? Period, string? Error) Parse(string? from, string? to, string? zone, DateTimeOffset now)
    {
        var tz = TimeZoneInfo.Utc;
        if (!string.IsNullOrWhiteSpace(zone))
        {
            if (zone.Length > 64 || !TimeZoneInfo.TryFindSystemTimeZoneById(zone.Trim(), out var found))
            {
                return (null, $"zone must be a time zone id such as Europe/Paris; '{Clip(zone)}' is not one");
            }

            tz = found;
        }

        DateOnly? Date(string name, string? s, out string? error)
        {
            error = null;
            if (string.IsNullOrWhiteSpace(s))
            {
                return null;
            }

            if (s.Length == 10 && DateOnly.TryParseExact(s, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d))
            {
                return d;
            }

            error = $"{name} must be a date like 2026-12-01; '{Clip(s)}' is not one";
            return null;
        }

        var f = Date("from", from, out var fromError);
        var t = Date("to", to, out var toError);
        if ((fromError ?? toError) is { } e)
        {
            return (null, e);
        }

        var today = Today(now, tz);
        var end = t ?? (f is { } first && first.AddDays(DefaultDays - 1) < today ? first.AddDays(DefaultDays - 1) : today);
        var begin = f ?? end.AddDays(-(DefaultDays - 1));
        if (begin > end)
        {
            return (null, $"from ({begin:yyyy-MM-dd}) is after to ({end:yyyy-MM-dd})");
        }

        if (end.DayNumber - begin.DayNumber + 1 > MaxDays)
        {
            return (null, $"a report covers at most {MaxDays} days; {begin:yyyy-MM-dd} to {end:yyyy-MM-dd} is {end.DayNumber - begin.DayNumber + 1}");
        }

        return (new ReportPeriod(begin, end, tz), null);
    }

    static DateOnly Today(DateTimeOffset now, TimeZoneInfo tz) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, tz).DateTime);

    static string Clip(string s) => s.Length <= 40 ? s : s[..40] + "…";
}
