using Switchboard.Reports;
using Xunit;

namespace Switchboard.Domain.Tests.Reports;

public class KpiDeltaTests
{
    [Fact]
    public void The_previous_period_is_the_as_many_days_right_before()
    {
        var p = ReportPeriod.Parse("2026-03-01", "2026-03-07", "Europe/Paris", DateTimeOffset.UnixEpoch.AddYears(56)).Period!.Previous;
        Assert.Equal((new DateOnly(2026, 2, 22), new DateOnly(2026, 2, 28), 7, "Europe/Paris"), (p.From, p.To, p.Days, p.Zone.Id));
    }

    [Theory]
    [InlineData(112, 100, "▲ 12 %")]
    [InlineData(95, 100, "▼ 5 %")]
    [InlineData(100, 100, "= same")]
    [InlineData(5, 0, "new")]
    [InlineData(0, 0, "= 0")]
    public void Volume_changes_are_relative_and_neither_good_nor_bad(long now, long before, string text)
    {
        Assert.Equal(new KpiDelta(text, DeltaTone.Neutral), KpiDelta.Count(now, before));
    }

    [Fact]
    public void Shorter_times_are_better_and_a_missing_side_shows_nothing()
    {
        Assert.Equal(new KpiDelta("▼ 4 min", DeltaTone.Better), KpiDelta.Shorter(TimeSpan.FromMinutes(16), TimeSpan.FromMinutes(20)));
        Assert.Equal(new KpiDelta("▲ 1.5 h", DeltaTone.Worse), KpiDelta.Shorter(TimeSpan.FromHours(2), TimeSpan.FromMinutes(30)));
        Assert.Equal("", KpiDelta.Shorter(null, TimeSpan.FromMinutes(5)).Text);
        Assert.Equal("", KpiDelta.Shorter(TimeSpan.FromMinutes(5), null).Text);
    }

    [Fact]
    public void Shares_change_in_points_and_fewer_breaches_are_better()
    {
        Assert.Equal(new KpiDelta("▲ 3.5 pts", DeltaTone.Better), KpiDelta.Points(0.935, 0.9));
        Assert.Equal(new KpiDelta("▼ 10 pts", DeltaTone.Worse), KpiDelta.Points(0.8, 0.9));
        Assert.Equal(new KpiDelta("= same", DeltaTone.Neutral), KpiDelta.Points(0.9, 0.9004));
        Assert.Equal(new KpiDelta("▼ 2", DeltaTone.Better), KpiDelta.FewerIsBetter(3, 5));
        Assert.Equal(new KpiDelta("▲ 1", DeltaTone.Worse), KpiDelta.FewerIsBetter(4, 3));
    }

    [Theory]
    [InlineData(45, "45 s")]
    [InlineData(12 * 60, "12 min")]
    [InlineData(90 * 60, "1.5 h")]
    [InlineData(3 * 86400, "3 d")]
    public void Durations_use_one_unit(int seconds, string text) => Assert.Equal(text, KpiDelta.Duration(TimeSpan.FromSeconds(seconds)));
}
