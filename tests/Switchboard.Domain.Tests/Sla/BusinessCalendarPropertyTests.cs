using FsCheck;
using FsCheck.Fluent;
using Microsoft.FSharp.Core;
using Switchboard.Sla;
using Xunit;
using Xunit.Abstractions;

namespace Switchboard.Tests.Sla;

/// <summary>
/// Business-time arithmetic against a naive reference model that walks minute by minute, converting each minute to
/// local time with <see cref="TimeZoneInfo.ConvertTime(DateTimeOffset, TimeZoneInfo)"/> and checking the shifts
/// directly. Starts are clustered around DST transitions, shifts land on half hours often (Lord Howe moves by 30 min).
/// </summary>
public class BusinessCalendarPropertyTests(ITestOutputHelper output)
{
    internal sealed record Case(string ZoneId, Shift[] Shifts, DateOnly[] Holidays, DateTimeOffset Start, int AddMinutes, int SpanMinutes)
    {
        public override string ToString() =>
            $"{ZoneId} start={Start:O} add={AddMinutes}m span={SpanMinutes}m shifts=[{string.Join(", ", Shifts.Select(s => $"{s.Day} {s.Start:HH\\:mm}-{s.End:HH\\:mm}"))}] holidays=[{string.Join(", ", Holidays)}]";
    }

    static readonly string[] Zones = ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"];

    // Local dates near the 2025/2026 transitions of each zone (Kolkata has none: its +05:30 offset is the test there).
    static readonly Dictionary<string, DateTime[]> Transitions = new()
    {
        ["Europe/Berlin"] = [new(2025, 3, 30), new(2025, 10, 26), new(2026, 3, 29), new(2026, 10, 25)],
        ["America/New_York"] = [new(2025, 3, 9), new(2025, 11, 2), new(2026, 3, 8), new(2026, 11, 1)],
        ["Australia/Lord_Howe"] = [new(2025, 4, 6), new(2025, 10, 5), new(2026, 4, 5), new(2026, 10, 4)],
        ["Asia/Kolkata"] = [new(2025, 6, 1), new(2026, 1, 1)],
    };

    static Gen<int> Minute() => Gen.OneOf(Gen.Choose(0, 47).Select(x => x * 30), Gen.Choose(0, 1439));

    static readonly Gen<Shift> ShiftGen =
        from day in Gen.Choose(0, 6)
        from start in Minute()
        from len in Gen.OneOf(Gen.Choose(60, 600), Gen.Choose(1, 48).Select(x => x * 30), Gen.Constant(1440))
        select new Shift((DayOfWeek)day, TimeOnly.FromTimeSpan(TimeSpan.FromMinutes(start)),
            TimeOnly.FromTimeSpan(TimeSpan.FromMinutes((start + len) % 1440)));

    static readonly Gen<Case> CaseGen =
        from zone in Gen.Elements(Zones)
        from shifts in Gen.Choose(3, 10).SelectMany(n => ShiftGen.ArrayOf(n))
        from nearTransition in Gen.Frequency((7, Gen.Constant(true)), (3, Gen.Constant(false)))
        from baseIndex in Gen.Choose(0, 3)
        from offsetMinutes in nearTransition ? Gen.Choose(-4 * 1440, 2 * 1440) : Gen.Choose(-400 * 1440, 400 * 1440)
        from holidayOffsets in Gen.Choose(-1, 6).ArrayOf(3).SelectMany(a => Gen.Choose(0, 3).Select(k => a.Take(k).ToArray()))
        from add in Gen.OneOf(Gen.Choose(0, 360), Gen.Choose(0, 4).Select(x => x * 60))
        from span in Gen.Choose(0, 2 * 1440)
        select Build(zone, shifts, baseIndex, offsetMinutes, holidayOffsets, add, span);

    static Case Build(string zone, Shift[] shifts, int baseIndex, int offsetMinutes, int[] holidayOffsets, int add, int span)
    {
        var tz = TimeZoneInfo.FindSystemTimeZoneById(zone);
        var bases = Transitions[zone];
        var local = bases[baseIndex % bases.Length].AddMinutes(offsetMinutes);
        // Interpret the local wall time through the zone (inside a gap this lands on the standard-time reading);
        // the instant itself is what matters, and it is minute-aligned because every offset here is.
        var instant = new DateTimeOffset(local, tz.GetUtcOffset(local));
        var startDate = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(instant, tz).DateTime);
        var holidays = holidayOffsets.Select(o => startDate.AddDays(o)).Distinct().ToArray();
        return new Case(zone, shifts, holidays, instant.ToUniversalTime(), add, span);
    }

    // ---- the reference model: deliberately naive, shares nothing with the implementation but the semantics ----

    static bool ReferenceOpen(Case c, TimeZoneInfo tz, DateTimeOffset minute)
    {
        var local = TimeZoneInfo.ConvertTime(minute, tz).DateTime;
        var date = DateOnly.FromDateTime(local);
        if (c.Holidays.Contains(date))
            return false;
        var tod = TimeOnly.FromDateTime(local);
        var prev = (DayOfWeek)(((int)local.DayOfWeek + 6) % 7);
        foreach (var s in c.Shifts)
        {
            var overnight = s.End <= s.Start;
            if (s.Day == local.DayOfWeek && tod >= s.Start && (overnight || tod < s.End))
                return true;
            if (s.Day == prev && overnight && tod < s.End)
                return true;
        }
        return false;
    }

    static DateTimeOffset ReferenceAdd(Case c, TimeZoneInfo tz)
    {
        var t = c.Start;
        var left = c.AddMinutes;
        for (var steps = 0; left > 0; steps++)
        {
            if (steps > 2_000_000)
                throw new InvalidOperationException("reference model found no business time");
            if (ReferenceOpen(c, tz, t))
                left--;
            t = t.AddMinutes(1);
        }
        return t;
    }

    static int ReferenceBetween(Case c, TimeZoneInfo tz)
    {
        var n = 0;
        for (var i = 0; i < c.SpanMinutes; i++)
            if (ReferenceOpen(c, tz, c.Start.AddMinutes(i)))
                n++;
        return n;
    }

    [Fact]
    public void Business_time_arithmetic_equals_the_minute_by_minute_reference_on_10000_cases()
    {
        var seed = ulong.TryParse(Environment.GetEnvironmentVariable("SWITCHBOARD_SEED"), out var s) ? s : (ulong)Random.Shared.NextInt64();
        output.WriteLine($"FsCheck seed {seed} (replay: SWITCHBOARD_SEED={seed})");
        var zones = Zones.ToDictionary(z => z, TimeZoneInfo.FindSystemTimeZoneById);
        var config = Config.QuickThrowOnFailure.WithMaxTest(10_000)
            .WithReplay(FSharpOption<Replay>.Some(new Replay(new Rnd(seed), FSharpOption<int>.None)));
        var property = Prop.ForAll(CaseGen.ToArbitrary(), c =>
        {
            var tz = zones[c.ZoneId];
            var cal = new BusinessCalendar("generated", tz, c.Shifts, c.Holidays);
            var expectedDue = ReferenceAdd(c, tz);
            var due = cal.AddBusinessTime(c.Start, TimeSpan.FromMinutes(c.AddMinutes));
            var expectedSpan = ReferenceBetween(c, tz);
            var span = cal.BusinessTimeBetween(c.Start, c.Start.AddMinutes(c.SpanMinutes));
            var roundTrip = cal.BusinessTimeBetween(c.Start, due);
            var ok = due == expectedDue && span == TimeSpan.FromMinutes(expectedSpan) && roundTrip == TimeSpan.FromMinutes(c.AddMinutes)
                && cal.IsOpen(c.Start) == ReferenceOpen(c, tz, c.Start);
            if (!ok)
                output.WriteLine($"seed {seed}: {c}\n  due {due:O} expected {expectedDue:O}; span {span} expected {expectedSpan}m; roundtrip {roundTrip}");
            return ok;
        });
        Check.One(config, property);
    }
}
