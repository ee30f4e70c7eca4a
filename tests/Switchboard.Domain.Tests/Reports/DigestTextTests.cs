using Switchboard.Reports;
using Xunit;

namespace Switchboard.Domain.Tests.Reports;

public class DigestTextTests
{
    static readonly DateTimeOffset T0 = new(2026, 2, 24, 10, 0, 0, TimeSpan.Zero);

    static ConversationFact Fact(long id, TimeSpan? reply, string status, bool breach, DateTimeOffset at) =>
        new(id, "mastodon", "care", "Care", null, null, status, "negative", at, reply is { } r ? at + r : null, status == "resolved" ? at.AddHours(3) : null,
            true, breach, false, false, 0, null, null);

    [Fact]
    public void The_digest_gives_the_headline_kpis_with_their_change_and_escapes_topic_names()
    {
        var digest = new DigestSchedule("exec", "ops", DigestEvery.Week, DayOfWeek.Monday, new TimeOnly(8, 0), TimeZoneInfo.Utc, null);
        var (_, period) = digest.Latest(new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero));
        var report = Kpis.Compute(period, Kpis.DefaultResponseTarget,
            [Fact(1, TimeSpan.FromMinutes(10), "resolved", false, T0), Fact(2, null, "open", true, T0)],
            new MessageVolume(5, 1), [(1, "<!channel> & friends", 3)]) with
        {
            Previous = Kpis.Compare(period.Previous, Kpis.DefaultResponseTarget,
                [Fact(3, TimeSpan.FromMinutes(30), "resolved", false, T0.AddDays(-7))], new MessageVolume(1, 1)),
        };
        var text = DigestText.Format(digest, report);
        Assert.StartsWith("*Switchboard weekly digest* · 23 Feb – 1 Mar 2026 (UTC)", text, StringComparison.Ordinal);
        Assert.Contains("• 2 conversations started (▲ 100 %); 5 messages in, 1 replies out", text, StringComparison.Ordinal);
        Assert.Contains("median 10 min (▼ 20 min)", text, StringComparison.Ordinal);
        Assert.Contains("1 unanswered", text, StringComparison.Ordinal);
        Assert.Contains("SLA attainment: 50 % (▼ 50 pts) (1 met, 1 breached, 0 in progress)", text, StringComparison.Ordinal);
        Assert.Contains("&lt;!channel&gt; &amp; friends 100 %", text, StringComparison.Ordinal);
        Assert.DoesNotContain("<!channel>", text, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_week_says_so_instead_of_dividing_by_zero()
    {
        var digest = new DigestSchedule("care", "ops", DigestEvery.Day, DayOfWeek.Monday, new TimeOnly(7, 0), TimeZoneInfo.Utc, "customer-service");
        var (_, period) = digest.Latest(T0);
        var text = DigestText.Format(digest, Kpis.Compute(period, Kpis.DefaultResponseTarget, [], new MessageVolume(0, 0), []));
        Assert.StartsWith("*Switchboard daily digest* · customer-service · Mon 23 Feb 2026 (UTC)", text, StringComparison.Ordinal);
        Assert.Contains("no conversation answered yet", text, StringComparison.Ordinal);
        Assert.Contains("SLA attainment: –", text, StringComparison.Ordinal);
    }
}
