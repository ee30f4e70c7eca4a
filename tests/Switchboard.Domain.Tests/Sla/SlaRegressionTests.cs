using Switchboard.Sla;
using Xunit;

namespace Switchboard.Tests.Sla;

/// <summary>The named regressions of docs/reliability.md ("SLA arithmetic"), plus DST edges worth naming.</summary>
public class SlaRegressionTests
{
    static readonly TimeZoneInfo Berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");

    static BusinessCalendar OfficeHours(TimeZoneInfo zone) => new("office", zone,
        [.. new[] { DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday, DayOfWeek.Friday }
            .Select(d => new Shift(d, new TimeOnly(9, 0), new TimeOnly(17, 0)))]);

    static DateTimeOffset Local(TimeZoneInfo zone, int y, int mo, int d, int h, int mi)
    {
        var local = new DateTime(y, mo, d, h, mi, 0);
        return new DateTimeOffset(local, zone.GetUtcOffset(local));
    }

    [Fact]
    public void Friday_1630_plus_one_business_hour_on_Mon_Fri_9_to_17_is_Monday_0930()
    {
        var cal = OfficeHours(Berlin);
        var friday = Local(Berlin, 2026, 11, 20, 16, 30);
        Assert.Equal(DayOfWeek.Friday, friday.DayOfWeek);
        Assert.Equal(Local(Berlin, 2026, 11, 23, 9, 30), cal.AddBusinessTime(friday, TimeSpan.FromHours(1)));
        Assert.Equal(TimeSpan.FromHours(1), cal.BusinessTimeBetween(friday, Local(Berlin, 2026, 11, 23, 9, 30)));
    }

    [Fact]
    public void A_24_7_calendar_adds_nothing_at_midnight()
    {
        var cal = BusinessCalendar.AlwaysOpen();
        var midnight = new DateTimeOffset(2026, 11, 23, 0, 0, 0, TimeSpan.Zero);
        Assert.Equal(midnight, cal.AddBusinessTime(midnight, TimeSpan.Zero));
        Assert.Equal(midnight.AddMinutes(30), cal.AddBusinessTime(midnight.AddMinutes(-30), TimeSpan.FromHours(1)));
        Assert.Equal(TimeSpan.FromHours(2), cal.BusinessTimeBetween(midnight.AddHours(-1), midnight.AddHours(1)));
        Assert.Equal(midnight.AddDays(3), cal.AddBusinessTime(midnight, TimeSpan.FromDays(3)));
    }

    [Fact]
    public void A_24_7_calendar_in_a_DST_zone_counts_real_elapsed_time_across_the_spring_gap_and_autumn_overlap()
    {
        var always = new BusinessCalendar("always-berlin", Berlin,
            [.. Enum.GetValues<DayOfWeek>().Select(d => new Shift(d, TimeOnly.MinValue, TimeOnly.MinValue))]);
        var beforeGap = Local(Berlin, 2026, 3, 29, 1, 30); // 02:00 → 03:00 that night
        Assert.Equal(beforeGap.AddHours(1), always.AddBusinessTime(beforeGap, TimeSpan.FromHours(1)));
        var beforeOverlap = Local(Berlin, 2026, 10, 25, 1, 30); // 03:00 → 02:00 that night
        Assert.Equal(TimeSpan.FromHours(4), always.BusinessTimeBetween(beforeOverlap, beforeOverlap.AddHours(4)));
    }

    [Fact]
    public void A_night_shift_across_the_autumn_overlap_is_an_hour_longer()
    {
        // Sat 22:00 → Sun 06:00 covers the repeated hour on 2026-10-25: 9 real hours of business time.
        var cal = new BusinessCalendar("night", Berlin, [new Shift(DayOfWeek.Saturday, new TimeOnly(22, 0), new TimeOnly(6, 0))]);
        Assert.Equal(TimeSpan.FromHours(9), cal.BusinessTimeBetween(Local(Berlin, 2026, 10, 24, 12, 0), Local(Berlin, 2026, 10, 25, 12, 0)));
        Assert.Equal(TimeSpan.FromHours(7), cal.BusinessTimeBetween(Local(Berlin, 2026, 3, 28, 12, 0), Local(Berlin, 2026, 3, 29, 12, 0)));
    }

    [Fact]
    public void Lord_Howe_half_hour_DST_shift_is_counted()
    {
        var lordHowe = TimeZoneInfo.FindSystemTimeZoneById("Australia/Lord_Howe");
        // 2026-10-04 02:00 → 02:30 local. A 01:00–05:00 shift that day is 3.5 real hours.
        var cal = new BusinessCalendar("lh", lordHowe, [new Shift(DayOfWeek.Sunday, new TimeOnly(1, 0), new TimeOnly(5, 0))]);
        Assert.Equal(TimeSpan.FromHours(3.5), cal.BusinessTimeBetween(Local(lordHowe, 2026, 10, 3, 12, 0), Local(lordHowe, 2026, 10, 4, 12, 0)));
    }

    [Fact]
    public void Holidays_close_the_whole_local_date()
    {
        var cal = new BusinessCalendar("office", Berlin, OfficeHours(Berlin).Shifts, [new DateOnly(2026, 12, 25)]);
        var thursday = Local(Berlin, 2026, 12, 24, 16, 30);
        // 30 min on Thu 24th, Fri 25th is a holiday, then Mon 28th.
        Assert.Equal(Local(Berlin, 2026, 12, 28, 9, 30), cal.AddBusinessTime(thursday, TimeSpan.FromHours(1)));
    }

    [Fact]
    public void A_calendar_without_hours_refuses_to_compute_a_deadline_instead_of_looping()
    {
        var cal = new BusinessCalendar("closed", Berlin, []);
        Assert.False(cal.HasOpenTime);
        Assert.Throws<InvalidOperationException>(() => cal.AddBusinessTime(DateTimeOffset.UnixEpoch, TimeSpan.FromMinutes(1)));
        Assert.Equal(TimeSpan.Zero, cal.BusinessTimeBetween(DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddDays(30)));
    }
}
