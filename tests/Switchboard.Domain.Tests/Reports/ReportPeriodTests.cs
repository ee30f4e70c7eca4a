using Switchboard.Reports;
using Xunit;

namespace Switchboard.Domain.Tests.Reports;

public class ReportPeriodTests
{
    static readonly DateTimeOffset Now = new(2026, 12, 5, 23, 30, 0, TimeSpan.Zero);

    [Fact]
    public void Without_dates_a_report_covers_the_last_seven_days_today_included_in_the_readers_zone()
    {
        var (utc, _) = ReportPeriod.Parse(null, null, null, Now);
        Assert.Equal((new DateOnly(2026, 11, 29), new DateOnly(2026, 12, 5)), (utc!.From, utc.To));
        // 23:30 UTC is already Sunday 6 December in Paris.
        var (paris, _) = ReportPeriod.Parse(null, null, "Europe/Paris", Now);
        Assert.Equal((new DateOnly(2026, 11, 30), new DateOnly(2026, 12, 6)), (paris!.From, paris.To));
        Assert.Equal(new DateTimeOffset(2026, 11, 30, 0, 0, 0, TimeSpan.FromHours(1)), paris.Start);
        Assert.Equal(new DateTimeOffset(2026, 12, 7, 0, 0, 0, TimeSpan.FromHours(1)), paris.End);
    }

    [Fact]
    public void One_missing_end_takes_its_default_from_the_other()
    {
        Assert.Equal(new DateOnly(2026, 11, 7), ReportPeriod.Parse("2026-11-01", null, null, Now).Period!.To);
        Assert.Equal(new DateOnly(2026, 12, 5), ReportPeriod.Parse("2026-12-03", null, null, Now).Period!.To); // not past today
        Assert.Equal(new DateOnly(2026, 10, 26), ReportPeriod.Parse(null, "2026-11-01", null, Now).Period!.From);
    }

    [Theory]
    [InlineData("2026-11-31", null, null, "from must be a date")]
    [InlineData("2026/11/01", null, null, "from must be a date")]
    [InlineData("20261101", null, null, "from must be a date")]
    [InlineData(" 2026-11-01x", null, null, "from must be a date")]
    [InlineData(null, "tomorrow", null, "to must be a date")]
    [InlineData("2026-12-05", "2026-12-01", null, "is after to")]
    [InlineData("2025-01-01", "2026-01-02", null, "at most 366 days")]
    [InlineData(null, null, "Europe/Atlantis", "zone must be a time zone id")]
    [InlineData(null, null, "../../../etc/passwd", "zone must be a time zone id")]
    public void A_malformed_period_is_refused_with_its_reason(string? from, string? to, string? zone, string reason)
    {
        var (period, error) = ReportPeriod.Parse(from, to, zone, Now);
        Assert.Null(period);
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_huge_value_is_refused_and_clipped_in_the_message()
    {
        var (_, error) = ReportPeriod.Parse(new string('9', 100_000), null, null, Now);
        Assert.NotNull(error);
        Assert.True(error.Length < 200, error);
        Assert.NotNull(ReportPeriod.Parse(null, null, new string('x', 100_000), Now).Error);
    }

    [Fact]
    public void The_longest_period_is_366_days()
    {
        Assert.Equal(366, ReportPeriod.Parse("2024-01-01", "2024-12-31", null, Now).Period!.Days);
    }

    [Fact]
    public void Days_follow_the_zone_across_a_dst_change()
    {
        // Europe/Paris leaves summer time on Sunday 25 October 2026: that day has 25 hours.
        var (p, _) = ReportPeriod.Parse("2026-10-25", "2026-10-25", "Europe/Paris", Now);
        Assert.Equal(TimeSpan.FromHours(25), p!.End - p.Start);
        Assert.Equal(new DateOnly(2026, 10, 25), p.DayOf(new DateTimeOffset(2026, 10, 25, 22, 59, 0, TimeSpan.Zero)));
        Assert.Equal(new DateOnly(2026, 10, 26), p.DayOf(new DateTimeOffset(2026, 10, 25, 23, 0, 0, TimeSpan.Zero)));
    }

    [Fact]
    public void A_day_whose_midnight_does_not_exist_starts_at_its_first_valid_time()
    {
        // America/Santiago springs forward at midnight (6 September 2026): the day starts at 01:00 local.
        var (p, _) = ReportPeriod.Parse("2026-09-06", "2026-09-06", "America/Santiago", Now);
        var start = p!.Start;
        Assert.Equal(new DateOnly(2026, 9, 6), p.DayOf(start));
        Assert.Equal(new DateOnly(2026, 9, 5), p.DayOf(start.AddMinutes(-1)));
    }
}
