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
        long start = -1, end = -1;
        foreach (var (s, e) in OpenIntervalsUtc(from.UtcTicks, from.UtcTicks + SearchHorizon.Ticks))
        {
            if (start >= 0 && (s != end || e - start > MergeLimit.Ticks))
                break; // a gap: the interval ended (or it is so long that "open until further notice" is the answer)
            if (start < 0)
                start = s;
            end = e;
        }
        return start < 0 ? null : (new DateTimeOffset(start, TimeSpan.Zero), new DateTimeOffset(end, TimeSpan.Zero));
    }

    // An always-open calendar has no next change; report one this far out instead of walking the whole horizon.
    static readonly TimeSpan MergeLimit = TimeSpan.FromDays(366);

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
    /// Open intervals as UTC ticks, clipped to [from, to), in order; pieces that touch are not merged (callers only sum
    /// them, and merging would make a 24/7 calendar walk its whole horizon before yielding anything). The walk proceeds
    /// over segments of constant UTC offset: inside one, local time = UTC + offset is a straight line, so local open
    /// windows map back to UTC exactly, which is what makes gaps and overlaps come out right without special cases.
    /// </summary>
    IEnumerable<(long Start, long End)> OpenIntervalsUtc(long from, long to)
    {
        var t = from;
        while (t < to)
        {
            var offset = OffsetAt(t);
            var segEnd = Math.Min(NextOffsetChange(t, offset), to);
            var localFrom = t + offset;
            var localTo = segEnd + offset;
            var day = new DateTime(localFrom, DateTimeKind.Unspecified).Date;
            while (day.Ticks < localTo)
            {
                if (!_holidays.Contains(DateOnly.FromDateTime(day)))
                {
                    foreach (var (ws, we) in _dayTemplates[(int)day.DayOfWeek])
                    {
                        var s = Math.Max(day.Ticks + ws, localFrom) - offset;
                        var e = Math.Min(day.Ticks + we, localTo) - offset;
                        if (e > s)
                            yield return (s, e);
                    }
                }
                day = day.AddDays(1);
            }
            t = segEnd;
        }
    }

    // Constant-offset segments of the zone, one table per UTC year, built on first use: the walk then never calls into
    // TimeZoneInfo (whose adjustment-rule lookups dominated the cost of a deadline). Immutable once built, so sharing a
    // calendar across threads is safe.
    readonly System.Collections.Concurrent.ConcurrentDictionary<int, (long[] Starts, long[] Offsets)> _years = new();

    static long YearStart(int year) => year > 9999 ? DateTime.MaxValue.Ticks : new DateTime(year, 1, 1, 0, 0, 0, DateTimeKind.Utc).Ticks;

    long OffsetAt(long utcTicks)
    {
        var (starts, offsets) = _years.GetOrAdd(new DateTime(utcTicks, DateTimeKind.Utc).Year, BuildYear);
        var i = Array.BinarySearch(starts, utcTicks);
        return offsets[i >= 0 ? i : ~i - 1];
    }

    /// <summary>The next segment boundary after <paramref name="t"/>: an offset change, or the start of the next UTC year.</summary>
    long NextOffsetChange(long t, long offset)
    {
        _ = offset;
        var year = new DateTime(t, DateTimeKind.Utc).Year;
        var (starts, _) = _years.GetOrAdd(year, BuildYear);
        var i = Array.BinarySearch(starts, t);
        var next = i >= 0 ? i + 1 : ~i;
        return next < starts.Length ? starts[next] : Math.Max(YearStart(year + 1), t + 1);
    }

    (long[] Starts, long[] Offsets) BuildYear(int year)
    {
        var from = YearStart(year);
        var to = YearStart(year + 1);
        var starts = new List<long> { from };
        var offsets = new List<long> { RawOffset(from) };
        var t = from;
        while (t < to)
        {
            var probe = Math.Min(t + TimeSpan.TicksPerDay, to);
            // No zone changes its offset twice within a day, so a day-long probe finds every change.
            if (probe <= t || RawOffset(probe) == offsets[^1])
            {
                t = probe;
                continue;
            }
            var change = FindChange(t, probe, offsets[^1]);
            if (change >= to)
                break;
            starts.Add(change);
            offsets.Add(RawOffset(change));
            t = change;
        }
        return ([.. starts], [.. offsets]);
    }

    long RawOffset(long utcTicks) => Zone.GetUtcOffset(new DateTime(utcTicks, DateTimeKind.Utc)).Ticks;

    /// <summary>The first instant in (lo, hi] whose offset differs from <paramref name="offset"/> (which holds at lo, not at hi).</summary>
    long FindChange(long lo, long hi, long offset)
    {
        while (hi - lo > TimeSpan.TicksPerSecond)
        {
            var mid = lo + ((hi - lo) / 2);
            if (RawOffset(mid) == offset)
                lo = mid;
            else
                hi = mid;
        }
        // Transitions fall on whole seconds: find the exact one inside the last second.
        var sec = hi - (hi % TimeSpan.TicksPerSecond);
        return sec > lo && RawOffset(sec) != offset ? sec : hi;
    }
}
