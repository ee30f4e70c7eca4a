namespace Switchboard.Sla;

/// <summary>
/// One weekly working shift in the calendar's local wall-clock time. <see cref="End"/> earlier than
/// <see cref="Start"/> is an overnight shift that ends on the next day; <see cref="End"/> equal to
/// <see cref="Start"/> is a full 24-hour day starting at <see cref="Start"/>.
/// </summary>
internal sealed record Shift(DayOfWeek Day, TimeOnly Start, TimeOnly End)
{
    public bool Overnight => End <= Start;
}

/// <summary>
/// A business calendar: an IANA time zone, weekly shifts (split and overnight allowed) and holidays.
/// Semantics, shared with the reference model in the tests: an instant is "open" when its local wall-clock
/// time in <see cref="Zone"/> lies inside a shift and its local date is not a holiday. A holiday closes the whole
/// local date, including the morning part of an overnight shift that started the evening before. Across a DST gap
/// the missing wall-clock hour simply never happens; across an overlap the repeated hour is open twice.
/// </summary>
internal sealed class BusinessCalendar
{
    // Searching further than this for open time means the calendar is effectively closed (e.g. every day a holiday).
    static readonly TimeSpan SearchHorizon = TimeSpan.FromDays(366 * 5);

    readonly (long Start, long End)[][] _dayTemplates; // per DayOfWeek: merged local open intervals in ticks from midnight
    readonly HashSet<DateOnly> _holidays;

    public BusinessCalendar(string name, TimeZoneInfo zone, IReadOnlyList<Shift> shifts, IEnumerable<DateOnly>? holidays = null)
    {
        Name = name;
        Zone = zone;
        Shifts = shifts;
        _holidays = [.. holidays ?? []];
        _dayTemplates = BuildTemplates(shifts);
    }

    public string Name { get; }
    public TimeZoneInfo Zone { get; }
    public IReadOnlyList<Shift> Shifts { get; }
    public IReadOnlySet<DateOnly> Holidays => _holidays;
    public bool HasOpenTime => _dayTemplates.Any(d => d.Length > 0);

    /// <summary>A calendar open every minute of every day (24/7) in UTC.</summary>
    public static BusinessCalendar AlwaysOpen(string name = "24/7") =>
        new(name, TimeZoneInfo.Utc, [.. Enum.GetValues<DayOfWeek>().Select(d => new Shift(d, TimeOnly.MinValue, TimeOnly.MinValue))]);

    /// <summary>The local open intervals of one weekday, from shifts of that day and overnight spill from the day before.</summary>
    static (long, long)[][] BuildTemplates(IReadOnlyList<Shift> shifts)
    {
        var result = new (long, long)[7][];
        for (var d = 0; d < 7; d++)
        {
            var day = (DayOfWeek)d;
            var prev = (DayOfWeek)((d + 6) % 7);
            var raw = new List<(long S, long E)>();
            foreach (var s in shifts)
            {
                if (s.Day == day)
                    raw.Add((s.Start.Ticks, s.Overnight ? TimeSpan.TicksPerDay : s.End.Ticks));
                if (s.Day == prev && s.Overnight && s.End.Ticks > 0)
                    raw.Add((0, s.End.Ticks));
            }
            raw.Sort();
            var merged = new List<(long, long)>();
            foreach (var (s, e) in raw)
            {
                if (merged.Count > 0 && s <= merged[^1].Item2)
                    merged[^1] = (merged[^1].Item1, Math.Max(merged[^1].Item2, e));
                else
                    merged.Add((s, e));
            }
            result[d] = [.. merged];
        }
        return result;
    }

    /// <summary>Whether an instant is inside business hours.</summary>
    public bool IsOpen(DateTimeOffset instant)
    {
        var local = TimeZoneInfo.ConvertTime(instant, Zone).DateTime;
        var date = DateOnly.FromDateTime(local);
        if (_holidays.Contains(date))
            return false;
        var tod = local.TimeOfDay.Ticks;
        foreach (var (s, e) in _dayTemplates[(int)date.DayOfWeek])
            if (tod >= s && tod < e)
                return true;
        return false;
    }

    /// <summary>
    /// The earliest instant at which <paramref name="duration"/> of business time has elapsed since
    /// <paramref name="start"/>. A zero duration returns <paramref name="start"/> unchanged, open or not: nothing is
    /// added, so nothing moves. Throws when the calendar has no open time within five years.
    /// </summary>
    public DateTimeOffset AddBusinessTime(DateTimeOffset start, TimeSpan duration)
    {
        if (duration < TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(duration), "business time to add must not be negative");
        if (duration == TimeSpan.Zero)
            return start;
        var remaining = duration.Ticks;
        var limit = start.UtcTicks + SearchHorizon.Ticks;
        foreach (var (s, e) in OpenIntervalsUtc(start.UtcTicks, limit))
        {
            var len = e - s;
            if (len >= remaining)
                return new DateTimeOffset(s + remaining, TimeSpan.Zero);
            remaining -= len;
        }
        throw new InvalidOperationException($"calendar '{Name}' has no business time left within {SearchHorizon.TotalDays:0} days of {start:O}");
    }

    /// <summary>
    /// The first open interval that contains or follows <paramref name="from"/> (its start clipped to
    /// <paramref name="from"/>), or null when there is none within five years. Drives "agent online during business
    /// hours" in simulations: the start and end are the next two availability changes.
    /// </summary>
    public (DateTimeOffset Start, DateTimeOffset End)? NextOpenInterval(DateTimeOffset from)
    {
        foreach (var (s, e) in OpenIntervalsUtc(from.UtcTicks, from.UtcTicks + SearchHorizon.Ticks))
            return (new DateTimeOffset(s, TimeSpan.Zero), new DateTimeOffset(e, TimeSpan.Zero));
        return null;
    }

    /// <summary>Business time inside [<paramref name="from"/>, <paramref name="to"/>); zero when to ≤ from.</summary>
    public TimeSpan BusinessTimeBetween(DateTimeOffset from, DateTimeOffset to)
    {
        if (to <= from)
            return TimeSpan.Zero;
        long total = 0;
        foreach (var (s, e) in OpenIntervalsUtc(from.UtcTicks, to.UtcTicks))
            total += e - s;
        return TimeSpan.FromTicks(total);
    }

    /// <summary>
    /// Open intervals as UTC ticks, clipped to [from, to), in order. The walk proceeds over segments of constant UTC
    /// offset: inside one, local time = UTC + offset is a straight line, so local open windows map back to UTC exactly,
    /// which is what makes gaps and overlaps come out right without special cases.
    /// </summary>
    IEnumerable<(long Start, long End)> OpenIntervalsUtc(long from, long to)
    {
        var t = from;
        long pendingStart = -1, pendingEnd = -1; // merge intervals that touch across segment/day boundaries
        while (t < to)
        {
            var offset = OffsetAt(t);
            var segEnd = Math.Min(NextOffsetChange(t, offset), to);
            var localFrom = t + offset;
            var localTo = segEnd + offset;
            var day = new DateTime(localFrom, DateTimeKind.Unspecified).Date;
            while (day.Ticks < localTo)
            {
                var date = DateOnly.FromDateTime(day);
                if (!_holidays.Contains(date))
                {
                    foreach (var (ws, we) in _dayTemplates[(int)day.DayOfWeek])
                    {
                        var s = Math.Max(day.Ticks + ws, localFrom) - offset;
                        var e = Math.Min(day.Ticks + we, localTo) - offset;
                        if (e <= s)
                            continue;
                        if (pendingEnd == s)
                        {
                            pendingEnd = e;
                            continue;
                        }
                        if (pendingStart >= 0)
                            yield return (pendingStart, pendingEnd);
                        pendingStart = s;
                        pendingEnd = e;
                    }
                }
                day = day.AddDays(1);
            }
            t = segEnd;
        }
        if (pendingStart >= 0)
            yield return (pendingStart, pendingEnd);
    }

    long OffsetAt(long utcTicks) => Zone.GetUtcOffset(new DateTime(utcTicks, DateTimeKind.Utc)).Ticks;

    /// <summary>
    /// The first UTC instant after <paramref name="t"/> where the offset differs from <paramref name="offset"/>, or a
    /// day later when it does not change within a day (no zone changes its offset twice within 24 hours).
    /// </summary>
    long NextOffsetChange(long t, long offset)
    {
        var probe = Math.Min(t + TimeSpan.TicksPerDay, DateTime.MaxValue.Ticks - TimeSpan.TicksPerDay);
        if (probe <= t || OffsetAt(probe) == offset)
            return Math.Max(probe, t + 1);
        long lo = t, hi = probe; // offset(lo) == offset, offset(hi) != offset
        while (hi - lo > TimeSpan.TicksPerSecond)
        {
            var mid = lo + ((hi - lo) / 2);
            if (OffsetAt(mid) == offset)
                lo = mid;
            else
                hi = mid;
        }
        // Transitions fall on whole seconds: find the exact one inside the last second.
        var sec = hi - (hi % TimeSpan.TicksPerSecond);
        return sec > t && OffsetAt(sec) != offset ? sec : hi;
    }
}
