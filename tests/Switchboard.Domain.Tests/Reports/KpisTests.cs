using Switchboard.Reports;
using Xunit;

namespace Switchboard.Domain.Tests.Reports;

public class KpisTests
{
    static readonly DateTimeOffset T0 = new(2026, 3, 2, 10, 0, 0, TimeSpan.Zero);
    static readonly ReportPeriod Week = ReportPeriod.Parse("2026-03-01", "2026-03-07", null, T0).Period!;

    static ConversationFact Fact(long id, TimeSpan? reply = null, string status = "open", TimeSpan? resolvedAfter = null, bool sla = true,
        bool breachFirst = false, bool breachResolution = false, string? sentiment = "neutral", string team = "care", long? agent = null,
        DateTimeOffset? at = null, int level = 0, TimeSpan? ackAfter = null)
    {
        var created = at ?? T0;
        return new(id, "mastodon", team, team.ToUpperInvariant(), agent, agent is null ? null : "Agent " + agent, status, sentiment, created,
            reply is { } r ? created + r : null, resolvedAfter is { } s ? created + s : null, sla, breachFirst, false, breachResolution,
            level, level > 0 ? created : null, ackAfter is { } a ? created + a : null);
    }

    static KpiReport Compute(params ConversationFact[] facts) => Kpis.Compute(Week, Kpis.DefaultResponseTarget, facts, new MessageVolume(10, 4), []);

    [Fact]
    public void Percentiles_are_nearest_rank_so_every_reported_time_is_one_that_happened()
    {
        var minutes = new[] { 5, 50, 20, 90, 10 };
        var stats = DurationStats.Of(minutes.Select(m => TimeSpan.FromMinutes(m)), TimeSpan.FromHours(1));
        Assert.Equal(TimeSpan.FromMinutes(20), stats.Median); // rank ceil(2.5) = 3 of [5, 10, 20, 50, 90]
        Assert.Equal(TimeSpan.FromMinutes(90), stats.P90); // rank ceil(4.5) = 5
        Assert.Equal(4, stats.WithinTarget);
        Assert.Equal(0.8, stats.ShareWithinTarget);
        var none = DurationStats.Of([], TimeSpan.FromHours(1));
        Assert.Equal((0, null, null, null), (none.Count, none.Median, none.P90, none.ShareWithinTarget));
    }

    [Fact]
    public void Sla_attainment_counts_known_outcomes_only()
    {
        var r = Compute(
            Fact(1, reply: TimeSpan.FromMinutes(5), status: "resolved", resolvedAfter: TimeSpan.FromHours(2)), // met
            Fact(2, breachFirst: true), // breached, still open
            Fact(3, reply: TimeSpan.FromMinutes(5), status: "resolved", resolvedAfter: TimeSpan.FromHours(3), breachResolution: true), // breached
            Fact(4, reply: TimeSpan.FromMinutes(5)), // in progress: not counted either way
            Fact(5, status: "resolved", resolvedAfter: TimeSpan.FromHours(1), sla: false)); // no SLA policy
        var t = r.Total;
        Assert.Equal((4, 2, 1, 1), (t.WithSla, t.Breached, t.Met, t.SlaInProgress));
        Assert.Equal(1.0 / 3, t.SlaAttainment);
        Assert.Equal((1, 0, 1), (r.Breaches.FirstResponse, r.Breaches.NextResponse, r.Breaches.Resolution));
        Assert.Equal(3, t.Resolved);
        Assert.Equal(TimeSpan.FromHours(2), t.Resolution.Median);
        Assert.Null(Compute(Fact(1)).Total.SlaAttainment); // nothing known yet: no share, rather than 100 %
    }

    [Fact]
    public void A_reply_stamped_before_its_post_counts_as_zero_and_a_reopened_conversation_is_not_resolved()
    {
        var early = Fact(1, reply: TimeSpan.FromMinutes(-3));
        Assert.Equal(TimeSpan.Zero, early.FirstResponse);
        Assert.Null(Fact(2, status: "open", resolvedAfter: TimeSpan.FromHours(1)).Resolution);
    }

    [Fact]
    public void Breakdowns_group_by_team_agent_and_channel_and_sum_to_the_total()
    {
        var r = Compute(
            Fact(1, team: "care", agent: 7, sentiment: "negative"),
            Fact(2, team: "care", agent: 8, sentiment: "positive"),
            Fact(3, team: "care", sentiment: "negative"),
            Fact(4, team: "pr", agent: 7, sentiment: null));
        Assert.Equal(["care", "pr"], r.Teams.Select(t => t.Key));
        Assert.Equal([3, 1], r.Teams.Select(t => t.Conversations));
        Assert.Equal(4, r.Agents.Sum(a => a.Conversations));
        Assert.Equal(2, r.Agents.Single(a => a.Key == "7").Conversations);
        Assert.Equal(Kpis.Unassigned, r.Agents.Single(a => a.Name == "Unassigned").Key);
        Assert.Equal(4, r.Channels.Single().Conversations);
        // Net sentiment over the three with a sentiment: (1 − 2) / 3.
        Assert.Equal(-1.0 / 3, r.Total.NetSentiment!.Value, 10);
        Assert.Equal(3, r.Total.Labelled);
    }

    [Fact]
    public void Every_day_of_the_period_has_a_row_and_facts_outside_the_period_are_ignored()
    {
        var r = Compute(
            Fact(1, at: new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero)),
            Fact(2, at: new DateTimeOffset(2026, 3, 7, 23, 59, 59, TimeSpan.Zero)),
            Fact(3, at: new DateTimeOffset(2026, 3, 8, 0, 0, 0, TimeSpan.Zero)),
            Fact(4, at: new DateTimeOffset(2026, 2, 28, 23, 59, 59, TimeSpan.Zero)));
        Assert.Equal(7, r.Days.Count);
        Assert.Equal([1, 0, 0, 0, 0, 0, 1], r.Days.Select(d => d.Kpis.Conversations));
        Assert.Equal(2, r.Total.Conversations);
    }

    [Fact]
    public void Acknowledgement_time_and_topic_shares()
    {
        var r = Kpis.Compute(Week, Kpis.DefaultResponseTarget,
            [Fact(1, level: 1, ackAfter: TimeSpan.FromMinutes(4)), Fact(2, level: 2, ackAfter: TimeSpan.FromMinutes(30)), Fact(3, level: 1)],
            new MessageVolume(0, 0), [(1, "Outages", 30), (2, "Billing", 10)]);
        Assert.Equal(3, r.Total.Escalated);
        Assert.Equal(TimeSpan.FromMinutes(4), r.AcknowledgeMedian);
        Assert.Equal(["Outages", "Billing"], r.Topics.Select(t => t.Name));
        Assert.Equal([0.75, 0.25], r.Topics.Select(t => t.Share));
        Assert.Null(r.Messages.RepliesPerInbound);
        Assert.Equal(0.4, new MessageVolume(10, 4).RepliesPerInbound);
    }
}
