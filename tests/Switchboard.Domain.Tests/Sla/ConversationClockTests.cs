using Switchboard.Routing.Configuration;
using Switchboard.Sla;
using Xunit;

namespace Switchboard.Tests.Sla;

/// <summary>
/// The clock state machine on <see cref="TestWorkspace.Small"/>: policy "std" on Mon–Fri 09–17 Berlin, first
/// response 1h, next response 2h, resolution 8h, warning 15 min before, ladder std (assignee at breach, team lead 30 min later).
/// </summary>
public class ConversationClockTests
{
    static readonly Workspace Ws = TestWorkspace.Load(TestWorkspace.Small);
    static readonly TimeZoneInfo Berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");

    // Monday 2026-11-23, Berlin (UTC+1).
    static DateTimeOffset Mon(int h, int m = 0) => new(2026, 11, 23, h, m, 0, TimeSpan.FromHours(1));

    static ConversationClockState Opened(DateTimeOffset at, out List<ClockEffect> effects, string? policy = null)
    {
        var s = ConversationClockState.New("c1");
        effects = [];
        foreach (var ev in new ConversationEvent[] { new Assigned(at, "Support", "bo@x.test"), new PolicyChanged(at, policy), new CustomerMessaged(at) })
        {
            (s, var fx) = ConversationClock.Apply(s, ev, Ws);
            effects.AddRange(fx);
        }
        return s;
    }

    static (ConversationClockState, IReadOnlyList<ClockEffect>) Do(ConversationClockState s, ConversationEvent e) => ConversationClock.Apply(s, e, Ws);

    [Fact]
    public void Opening_starts_first_response_and_resolution_with_business_deadlines()
    {
        var s = Opened(Mon(16, 30), out var fx);
        var started = fx.Where(f => f.Kind == EffectKind.SlaStarted).ToDictionary(f => f.Metric!, f => f.Due);
        Assert.Equal(Mon(16, 30).AddDays(1).AddHours(-7), started["first_response"]); // Tue 09:30
        Assert.Equal(Mon(16, 30).AddDays(1).AddHours(0), started["resolution"]); // 30 min Mon + 7h30 Tue = Tue 16:30
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 9, 15, 0, TimeSpan.FromHours(1)), s.Clocks.Single(c => c.Metric == SlaMetric.FirstResponse).WarnAt);
    }

    [Fact]
    public void Warning_breach_and_ladder_fire_once_each_at_their_due_time_even_when_processed_hours_late()
    {
        var s = Opened(Mon(9), out _);
        // Six hours of "downtime": one Tick long after everything came due.
        var (after, fx) = Do(s, new Tick(Mon(15)));
        var fr = fx.Where(f => f.Metric == "first_response").ToList();
        Assert.Equal([EffectKind.Warning, EffectKind.Breach, EffectKind.Escalated, EffectKind.Escalated], fr.Select(f => f.Kind));
        Assert.Equal([Mon(9, 45), Mon(10), Mon(10), Mon(10, 30)], fr.Select(f => f.At));
        Assert.Equal(["c1|std|first_response|warning", "c1|std|first_response|breach", "c1|std|first_response|1", "c1|std|first_response|2"],
            fr.Select(f => f.Key));
        Assert.Equal(["bo@x.test"], fr[2].Targets.Select(t => t == "assignee" ? "bo@x.test" : t));
        // The same tick again, or an earlier one after a clock jump back: nothing new.
        Assert.DoesNotContain(Do(after, new Tick(Mon(15))).Item2, f => f.Metric == "first_response");
        Assert.Empty(Do(after, new Tick(Mon(12))).Item2);
    }

    [Fact]
    public void Every_effect_key_is_unique_across_a_long_conversation()
    {
        var s = Opened(Mon(9), out var all);
        var t = Mon(9);
        for (var i = 0; i < 5; i++)
        {
            t = t.AddHours(3);
            (s, var a) = Do(s, new AgentReplied(t, "bo@x.test"));
            t = t.AddMinutes(10);
            (s, var b) = Do(s, new CustomerMessaged(t));
            all.AddRange(a.Concat(b));
        }
        (s, var end) = Do(s, new Tick(t.AddDays(3)));
        all.AddRange(end);
        var keys = all.Where(f => f.Key is not null).Select(f => f.Key!).ToList();
        Assert.NotEmpty(keys);
        Assert.Equal(keys.Count, keys.Distinct().Count());
        Assert.Contains("c1|std|next_response.1|breach", keys);
        Assert.Contains(all, f => f.Kind == EffectKind.SlaStarted && f.Metric == "next_response.5");
    }

    [Fact]
    public void A_resolved_conversation_stops_its_clocks()
    {
        var s = Opened(Mon(9), out _);
        (s, var fx) = Do(s, new Resolved(Mon(9, 20), "bo@x.test"));
        Assert.Contains(fx, f => f.Kind == EffectKind.Resolved);
        Assert.Empty(ConversationClock.Pending(s, Ws));
        Assert.Null(ConversationClock.NextDue(s, Ws));
        Assert.Empty(Do(s, new Tick(Mon(9).AddDays(30))).Item2);
        Assert.All(s.Clocks, c => Assert.Contains(c.Status, new[] { ClockStatus.Met, ClockStatus.Stopped }));
    }

    [Fact]
    public void A_snoozed_conversation_resumes_when_the_snooze_ends()
    {
        var s = Opened(Mon(9), out _);
        (s, _) = Do(s, new Snoozed(Mon(9, 20), Mon(11)));
        Assert.Equal(EffectKind.SnoozeEnded, ConversationClock.Pending(s, Ws).Single().Kind);
        Assert.DoesNotContain(Do(s, new Tick(Mon(10, 59))).Item2, f => f.Kind == EffectKind.Breach);
        // 20 of 60 minutes used before the snooze: resumes at 11:00, breaches at 11:40, warned at 11:25.
        var (_, fx) = Do(s, new Tick(Mon(12)));
        Assert.Equal(Mon(11), fx.Single(f => f.Kind == EffectKind.SnoozeEnded).At);
        Assert.Equal(Mon(11, 25), fx.Single(f => f.Kind == EffectKind.Warning && f.Metric == "first_response").At);
        Assert.Equal(Mon(11, 40), fx.Single(f => f.Kind == EffectKind.Breach && f.Metric == "first_response").At);
    }

    [Fact]
    public void Waiting_on_the_customer_pauses_and_their_reply_resumes()
    {
        var s = Opened(Mon(9), out _);
        (s, _) = Do(s, new AgentReplied(Mon(9, 10), "bo@x.test"));
        (s, _) = Do(s, new WaitingOnCustomer(Mon(9, 10)));
        var resolution = s.Clocks.Single(c => c.Metric == SlaMetric.Resolution);
        Assert.Equal(ClockStatus.Paused, resolution.Status);
        Assert.Equal(TimeSpan.FromMinutes(10), resolution.Consumed);
        (s, var fx) = Do(s, new CustomerMessaged(Mon(9).AddDays(1)));
        // 7h50 left from Tue 09:00 → Tue 16:50; and a next-response clock starts.
        Assert.Equal(Mon(16, 50).AddDays(1), s.Clocks.Single(c => c.Metric == SlaMetric.Resolution).Due);
        Assert.Contains(fx, f => f.Kind == EffectKind.SlaStarted && f.Metric == "next_response.1" && f.Due == Mon(11).AddDays(1));
    }

    [Fact]
    public void Acknowledgement_stops_the_ladder_and_a_reply_meets_the_metric()
    {
        var s = Opened(Mon(9), out _);
        (s, var fx) = Do(s, new Acknowledged(Mon(10, 5), "lead@x.test"));
        Assert.Contains(fx, f => f.Kind == EffectKind.Escalated && f.Level == "1");
        Assert.Contains(fx, f => f.Kind == EffectKind.Acknowledged && f.Reason.Contains("1 running ladder", StringComparison.Ordinal));
        Assert.DoesNotContain(Do(s, new Tick(Mon(13))).Item2, f => f.Kind == EffectKind.Escalated);
        (s, fx) = Do(s, new AgentReplied(Mon(10, 10), "bo@x.test"));
        Assert.Contains(fx, f => f.Kind == EffectKind.SlaMet && f.Reason.EndsWith("met late", StringComparison.Ordinal));
    }

    [Fact]
    public void The_crisis_path_starts_at_the_top_of_the_crisis_ladder_immediately_and_only_once()
    {
        var s = Opened(Mon(9), out _);
        (s, var fx) = Do(s, new CrisisStarted(Mon(9, 1), "boycott"));
        var e = Assert.Single(fx);
        Assert.Equal((EffectKind.Escalated, "2", Mon(9, 1)), (e.Kind, e.Level, e.At));
        Assert.Equal(["role:pr_lead"], e.Targets);
        Assert.Equal("c1|crisis|crisis|2", e.Key);
        Assert.Empty(Do(s, new CrisisStarted(Mon(9, 2), "again")).Item2);
    }

    [Fact]
    public void Changing_the_policy_keeps_used_business_time_and_recomputes_deadlines()
    {
        var s = Opened(Mon(9), out _);
        (s, var fx) = Do(s, new PolicyChanged(Mon(9, 5), "fast"));
        var fr = s.Clocks.Single(c => c.Metric == SlaMetric.FirstResponse);
        Assert.Equal(("fast", TimeSpan.FromMinutes(5)), (fr.Policy, fr.Consumed));
        Assert.Equal(Mon(9, 10), fr.Due); // 10 min target on the 24/7 calendar, 5 used
        Assert.Contains(fx, f => f.Kind == EffectKind.SlaStarted && f.Policy == "fast" && f.Reason.StartsWith("recomputed", StringComparison.Ordinal));
        Assert.DoesNotContain(s.Clocks, c => c.Metric == SlaMetric.NextResponse);
    }

    [Fact]
    public void A_transfer_to_another_team_applies_that_teams_default_policy_keeping_used_time()
    {
        var s = Opened(Mon(9), out _);
        (s, var fx) = Do(s, new Assigned(Mon(9, 20), "Press", null));
        var fr = s.Clocks.Single(c => c.Metric == SlaMetric.FirstResponse);
        Assert.Equal(("fast", TimeSpan.FromMinutes(20)), (fr.Policy, fr.Consumed));
        Assert.Equal(Mon(9, 20), fr.Due); // 10 min target, 20 already used: due at once, so the breach is not lost
        Assert.Contains(fx, f => f.Kind == EffectKind.SlaStarted && f.Policy == "fast");
        // An assignment inside the same team changes nothing about the policy.
        var (same, sameFx) = Do(Opened(Mon(9), out _), new Assigned(Mon(9, 20), "Support", "lead@x.test"));
        Assert.Equal("std", same.Clocks.Single(c => c.Metric == SlaMetric.FirstResponse).Policy);
        Assert.DoesNotContain(sameFx, f => f.Kind == EffectKind.SlaStarted);
    }

    [Fact]
    public void Reassignment_and_time_based_rules_come_due_once()
    {
        var s = Opened(Mon(9), out _);
        var pending = ConversationClock.Pending(s, Ws);
        Assert.Contains(pending, p => p.Kind == EffectKind.NoReplyRuleDue && p.Due == Mon(9, 15) && p.Key == "c1|rule:no reply|no_reply|1");
        Assert.Contains(pending, p => p.Kind == EffectKind.ReassignDue && p.Due == Mon(9, 30) && p.Key == "c1|team:Support|reassign|1");
        (s, var fx) = Do(s, new Tick(Mon(9, 40)));
        Assert.Single(fx, f => f.Kind == EffectKind.NoReplyRuleDue);
        Assert.Single(fx, f => f.Kind == EffectKind.ReassignDue);
        Assert.DoesNotContain(ConversationClock.Pending(s, Ws), p => p.Kind is EffectKind.ReassignDue or EffectKind.NoReplyRuleDue);
        // A reply cancels neither retroactively, and the next customer message arms the time rule again.
        (s, _) = Do(s, new AgentReplied(Mon(9, 50), "bo@x.test"));
        (s, _) = Do(s, new CustomerMessaged(Mon(10)));
        Assert.Contains(ConversationClock.Pending(s, Ws), p => p.Key == "c1|rule:no reply|no_reply|2");
    }

    [Fact]
    public void State_is_never_mutated_by_apply()
    {
        var s = Opened(Mon(9), out _);
        var before = System.Text.Json.JsonSerializer.Serialize(s);
        _ = Do(s, new Tick(Mon(9).AddDays(2)));
        _ = Do(s, new Resolved(Mon(10), null));
        Assert.Equal(before, System.Text.Json.JsonSerializer.Serialize(s));
    }
}
