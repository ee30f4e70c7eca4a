using Switchboard.Handover;
using Switchboard.Sla;
using Xunit;

namespace Switchboard.Domain.Tests.Handover;

public class HandoverDeadlineTests
{
    private static BusinessCalendar OfficeHours() => new("office", TimeZoneInfo.Utc,
        [.. new[] { DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday, DayOfWeek.Friday }
            .Select(d => new Shift(d, new TimeOnly(9, 0), new TimeOnly(17, 0)))]);

    [Fact]
    public void A_question_asked_late_on_friday_is_due_on_monday_in_business_time()
    {
        // Friday 2026-11-20 16:00 UTC, four business hours: one on Friday, three on Monday.
        var d = HandoverDeadline.Compute(new DateTimeOffset(2026, 11, 20, 16, 0, 0, TimeSpan.Zero), TimeSpan.FromHours(4), TimeSpan.FromHours(1), OfficeHours());
        Assert.Equal(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero), d.DueAt);
        Assert.Equal(new DateTimeOffset(2026, 11, 23, 11, 0, 0, TimeSpan.Zero), d.WarnAt);
    }

    [Fact]
    public void A_warning_longer_than_the_window_fires_at_once_and_a_closed_calendar_counts_wall_time()
    {
        var asked = new DateTimeOffset(2026, 11, 22, 10, 0, 0, TimeSpan.Zero);
        var d = HandoverDeadline.Compute(asked, TimeSpan.FromMinutes(30), TimeSpan.FromHours(2), BusinessCalendar.AlwaysOpen());
        Assert.Equal(asked, d.WarnAt);
        Assert.Equal(asked.AddMinutes(30), d.DueAt);
        var never = new BusinessCalendar("never", TimeZoneInfo.Utc, []);
        Assert.Equal(asked.AddMinutes(30), HandoverDeadline.Compute(asked, TimeSpan.FromMinutes(30), TimeSpan.Zero, never).DueAt);
        Assert.Throws<ArgumentOutOfRangeException>(() => HandoverDeadline.Compute(asked, TimeSpan.Zero, TimeSpan.Zero, never));
    }

    [Fact]
    public void The_timer_warns_once_then_breaches_once()
    {
        var t0 = new DateTimeOffset(2026, 11, 22, 10, 0, 0, TimeSpan.Zero);
        var d = new HandoverDeadline(t0.AddHours(4), t0.AddHours(3));
        Assert.Equal(HandoverTimerStep.None, HandoverTimer.Next(t0, d, false, false));
        Assert.Equal(HandoverTimerStep.Warn, HandoverTimer.Next(t0.AddHours(3), d, false, false));
        Assert.Equal(HandoverTimerStep.None, HandoverTimer.Next(t0.AddHours(3.5), d, true, false));
        Assert.Equal(HandoverTimerStep.Breach, HandoverTimer.Next(t0.AddHours(4), d, true, false));
        Assert.Equal(HandoverTimerStep.Breach, HandoverTimer.Next(t0.AddHours(5), d, false, false));
        Assert.Equal(HandoverTimerStep.None, HandoverTimer.Next(t0.AddHours(5), d, true, true));
    }
}
