using Switchboard.Routing;
using Switchboard.Routing.Configuration;

namespace Switchboard.Sla;

/// <summary>Something that happened to a conversation, as far as its clocks care.</summary>
internal abstract record ConversationEvent(DateTimeOffset At);

internal sealed record CustomerMessaged(DateTimeOffset At) : ConversationEvent(At);

internal sealed record AgentReplied(DateTimeOffset At, string? Agent) : ConversationEvent(At);

/// <summary>Routed to a team and (maybe) assigned; <see cref="Agent"/> null means queued or unassigned.</summary>
internal sealed record Assigned(DateTimeOffset At, string Team, string? Agent) : ConversationEvent(At);

/// <summary>The SLA policy changed (rule, team change, manager): running clocks keep their used business time.</summary>
internal sealed record PolicyChanged(DateTimeOffset At, string? Policy) : ConversationEvent(At);

internal sealed record WaitingOnCustomer(DateTimeOffset At) : ConversationEvent(At);

internal sealed record Snoozed(DateTimeOffset At, DateTimeOffset Until) : ConversationEvent(At);

internal sealed record Resolved(DateTimeOffset At, string? By) : ConversationEvent(At);

internal sealed record Acknowledged(DateTimeOffset At, string? By) : ConversationEvent(At);

internal sealed record CrisisStarted(DateTimeOffset At, string Reason) : ConversationEvent(At);

/// <summary>Time passed: fire every timer due at or before <see cref="ConversationEvent.At"/>.</summary>
internal sealed record Tick(DateTimeOffset At) : ConversationEvent(At);

internal enum EffectKind
{
    SlaStarted,
    SlaMet,
    Warning,
    Breach,
    Escalated,
    Acknowledged,
    Resolved,
    /// <summary>The assignee did not answer within the team's timeout: the host re-runs assignment without them.</summary>
    ReassignDue,
    /// <summary>A time-based rule is due: the host evaluates its conditions and applies its actions.</summary>
    NoReplyRuleDue,
    SnoozeEnded,
}

/// <summary>
/// An effect of applying an event. Timer-driven effects carry <see cref="Key"/>, the idempotency key
/// (conversation|policy|metric|level): the host stores the effect row with a unique index on it in the same
/// transaction as the new state, so a second scheduler instance, a retry after a crash or a replay after a DST
/// repeat cannot record it twice. <see cref="At"/> is when it was due, not when it was processed.
/// </summary>
internal sealed record ClockEffect(
    EffectKind Kind,
    DateTimeOffset At,
    string Conversation,
    string? Policy,
    string? Metric,
    string? Level,
    DateTimeOffset? Due,
    IReadOnlyList<string> Targets,
    string Reason,
    string? Key = null);

/// <summary>
/// A timer the conversation's state implies; the earliest one is what the host stores as the conversation's next due
/// time. <see cref="Key"/> is the idempotency key its effect will carry.
/// </summary>
internal sealed record PendingTimer(EffectKind Kind, DateTimeOffset Due, string Conversation, string Policy, string Metric, string Level)
{
    public string Key => $"{Conversation}|{Policy}|{Metric}|{Level}";
}

/// <summary>
/// The SLA/escalation/reassignment timers of one conversation as a pure state machine:
/// <c>Apply(state, event) → (new state, effects)</c> and <c>Pending(state) → timers with due times</c>.
/// Every effect is due at a computed instant; nothing here reads a clock.
/// </summary>
internal static class ConversationClock
{
    // Loop guard: an event can fire at most this many timers (a ladder has a handful of levels; 1000 means a bug).
    const int MaxFiresPerApply = 1000;

    public static (ConversationClockState State, IReadOnlyList<ClockEffect> Effects) Apply(
        ConversationClockState state, ConversationEvent ev, Workspace ws)
    {
        var s = state.Clone();
        var effects = new List<ClockEffect>();
        ApplyInPlace(s, ev, ws, effects);
        return (s, effects);
    }

    /// <summary>As <see cref="Apply"/> but mutating <paramref name="s"/>: for simulations that own their state.</summary>
    public static void ApplyInPlace(ConversationClockState s, ConversationEvent ev, Workspace ws, List<ClockEffect> effects)
    {
        // Timers due before (or exactly at) the event happened first: a breach at 10:00 is a breach even if the
        // reply at 10:00 is processed in the same call, and an event applied hours late sees the world as it was.
        Advance(s, ev.At, ws, effects);
        switch (ev)
        {
            case CustomerMessaged m: OnCustomerMessage(s, m.At, ws, effects); break;
            case AgentReplied r: OnAgentReply(s, r.At, effects); break;
            case Assigned a: OnAssigned(s, a, ws, effects); break;
            case PolicyChanged p: OnPolicyChanged(s, p, ws, effects); break;
            case WaitingOnCustomer w:
                if (s.Status == ConversationStatus.Open)
                {
                    PauseAll(s, w.At, ws);
                    s.Status = ConversationStatus.WaitingOnCustomer;
                }
                break;
            case Snoozed z:
                if (s.Status != ConversationStatus.Resolved)
                {
                    PauseAll(s, z.At, ws);
                    s.Status = ConversationStatus.Snoozed;
                    s.SnoozedUntil = z.Until;
                }
                break;
            case Resolved r: OnResolved(s, r, ws, effects); break;
            case Acknowledged k: OnAcknowledged(s, k, effects); break;
            case CrisisStarted c: OnCrisis(s, c, ws, effects); break;
            case Tick:
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(ev), ev.GetType().Name, "unknown conversation event");
        }
    }

    /// <summary>All timers the state implies, earliest first (ties: by kind, then key, so the order is deterministic).</summary>
    public static List<PendingTimer> Pending(ConversationClockState s, Workspace ws)
    {
        var list = new List<PendingTimer>();
        Collect(s, ws, list);
        list.Sort(Order);
        return list;
    }

    /// <summary>The earliest pending timer, without building and sorting the whole list (the simulator's hot path).</summary>
    public static PendingTimer? Earliest(ConversationClockState s, Workspace ws)
    {
        var list = t_scratch ??= new List<PendingTimer>(8);
        list.Clear();
        Collect(s, ws, list);
        PendingTimer? best = null;
        foreach (var t in list)
        {
            if (best is null || Order(t, best) < 0)
                best = t;
        }
        list.Clear();
        return best;
    }

    // Scratch list per thread: Earliest runs several times per event, and a fresh list each time showed up in GC time.
    [ThreadStatic]
    static List<PendingTimer>? t_scratch;

    static int Order(PendingTimer a, PendingTimer b)
    {
        var c = a.Due.CompareTo(b.Due);
        if (c == 0)
            c = a.Kind.CompareTo(b.Kind);
        if (c == 0)
            c = string.CompareOrdinal(a.Policy, b.Policy);
        if (c == 0)
            c = string.CompareOrdinal(a.Metric, b.Metric);
        return c != 0 ? c : string.CompareOrdinal(a.Level, b.Level);
    }

    static void Collect(ConversationClockState s, Workspace ws, List<PendingTimer> list)
    {

        if (s.Status == ConversationStatus.Resolved)
            return;
        foreach (var c in s.Clocks)
        {
            if (c.Status != ClockStatus.Running)
                continue;
            if (c.WarnAt is { } w && !c.Warned)
                list.Add(new(EffectKind.Warning, w, s.Conversation, c.Policy, c.MetricKey, "warning"));
            if (c.Due is { } d && !c.Breached)
                list.Add(new(EffectKind.Breach, d, s.Conversation, c.Policy, c.MetricKey, "breach"));
        }
        foreach (var run in s.Ladders)
        {
            if (run.Stopped || !ws.Ladders.TryGetValue(run.Ladder, out var ladder) || run.NextLevel >= ladder.Levels.Count)
                continue;
            list.Add(new(EffectKind.Escalated, run.StartedAt + ladder.OffsetOf(run.NextLevel), s.Conversation, run.Policy, run.Metric, Num(run.NextLevel + 1)));
        }
        if (s.Status == ConversationStatus.Open && s.Assignee is not null && s.AssignedAt is { } assignedAt
            && s.ReassignFiredSeq != s.AssignmentSeq && s.Team is not null
            && ws.Teams.TryGetValue(s.Team, out var team) && team.ReassignAfter is { } after
            && s.AssignmentSeq <= team.MaxReassignments
            && (s.LastAgentReplyAt is null || s.LastAgentReplyAt < assignedAt))
        {
            list.Add(new(EffectKind.ReassignDue, assignedAt + after, s.Conversation, "team:" + s.Team, "reassign", Num(s.AssignmentSeq)));
        }
        if (s.Status == ConversationStatus.Open && s.LastCustomerMessageAt is { } last
            && (s.LastAgentReplyAt is null || s.LastAgentReplyAt < last))
        {
            foreach (var rule in ws.NoReplyRules)
            {
                if (rule.After is { } wait && !s.FiredRules.Contains(RuleMark(rule, s)))
                    list.Add(new(EffectKind.NoReplyRuleDue, last + wait, s.Conversation, "rule:" + rule.Name, "no_reply", Num(s.CustomerMessages)));
            }
        }
        if (s.Status == ConversationStatus.Snoozed && s.SnoozedUntil is { } until)
            list.Add(new(EffectKind.SnoozeEnded, until, s.Conversation, "snooze", "snooze", until.UtcTicks.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }

    /// <summary>The earliest pending timer's due time: what the host stores on the conversation row for its scheduler.</summary>
    public static DateTimeOffset? NextDue(ConversationClockState s, Workspace ws)
    {
        return Earliest(s, ws)?.Due;
    }

    static readonly string[] SmallNumbers = [.. Enumerable.Range(0, 64).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))];

    static string Num(int n) => n >= 0 && n < SmallNumbers.Length ? SmallNumbers[n] : n.ToString(System.Globalization.CultureInfo.InvariantCulture);

    static string Key(ConversationClockState s, string policy, string metric, string level) => $"{s.Conversation}|{policy}|{metric}|{level}";

    static string RuleMark(RoutingRule rule, ConversationClockState s) => $"{rule.Name}|{s.CustomerMessages}";

    static void Advance(ConversationClockState s, DateTimeOffset now, Workspace ws, List<ClockEffect> effects)
    {
        for (var fired = 0; ; fired++)
        {
            if (fired >= MaxFiresPerApply)
                throw new InvalidOperationException($"conversation {s.Conversation}: more than {MaxFiresPerApply} timers fired for one event (loop guard)");
            var next = Earliest(s, ws);
            if (next is null || next.Due > now)
                return;
            Fire(s, next, ws, effects);
        }
    }

    static void Fire(ConversationClockState s, PendingTimer t, Workspace ws, List<ClockEffect> effects)
    {
        var (policy, metric, level) = (t.Policy, t.Metric, t.Level);
        switch (t.Kind)
        {
            case EffectKind.Warning:
                {
                    var c = s.Clocks.First(c => c.Status == ClockStatus.Running && c.MetricKey == metric && c.Policy == policy);
                    c.Warned = true;
                    effects.Add(new(EffectKind.Warning, t.Due, s.Conversation, policy, metric, null, c.Due, [],
                        $"{Describe(c)} breaches at {c.Due:O}", t.Key));
                    break;
                }
            case EffectKind.Breach:
                {
                    var c = s.Clocks.First(c => c.Status == ClockStatus.Running && c.MetricKey == metric && c.Policy == policy);
                    c.Breached = true;
                    effects.Add(new(EffectKind.Breach, t.Due, s.Conversation, policy, metric, null, c.Due, [],
                        $"{Describe(c)} not met in time", t.Key));
                    var ladder = LadderFor(s, policy, ws);
                    if (ladder is not null && ladder.Levels.Count > 0)
                        s.Ladders.Add(new LadderRun { Ladder = ladder.Name, Policy = policy, Metric = metric, StartedAt = t.Due });
                    break;
                }
            case EffectKind.Escalated:
                {
                    var run = s.Ladders.First(r => !r.Stopped && r.Policy == policy && r.Metric == metric);
                    var ladder = ws.Ladders[run.Ladder];
                    var lvl = ladder.Levels[run.NextLevel];
                    run.NextLevel++;
                    effects.Add(new(EffectKind.Escalated, t.Due, s.Conversation, policy, metric, level, null, lvl.Targets,
                        ladder.Describe(run.NextLevel - 1), t.Key));
                    break;
                }
            case EffectKind.ReassignDue:
                s.ReassignFiredSeq = s.AssignmentSeq;
                effects.Add(new(EffectKind.ReassignDue, t.Due, s.Conversation, policy, metric, level, t.Due,
                    s.Assignee is null ? [] : [s.Assignee],
                    $"assignee {s.Assignee} did not answer within the team's timeout", t.Key));
                break;
            case EffectKind.NoReplyRuleDue:
                {
                    var rule = ws.NoReplyRules.First(r => "rule:" + r.Name == policy);
                    s.FiredRules.Add(RuleMark(rule, s));
                    effects.Add(new(EffectKind.NoReplyRuleDue, t.Due, s.Conversation, rule.Name, metric, level, t.Due, [],
                        $"no reply {rule.After!.Value.TotalMinutes:0.#} min after the customer's last message", t.Key));
                    break;
                }
            case EffectKind.SnoozeEnded:
                s.Status = ConversationStatus.Open;
                s.SnoozedUntil = null;
                ResumeAll(s, t.Due, ws);
                effects.Add(new(EffectKind.SnoozeEnded, t.Due, s.Conversation, null, null, null, null, [], "snooze ended; clocks resume", t.Key));
                break;
            default:
                throw new InvalidOperationException($"timer kind {t.Kind} cannot fire");
        }
    }

    static EscalationLadder? LadderFor(ConversationClockState s, string policy, Workspace ws)
    {
        if (ws.Policies.TryGetValue(policy, out var p) && p.Ladder is not null)
            return p.Ladder;
        return s.Team is not null && ws.Teams.TryGetValue(s.Team, out var team) ? team.Ladder : null;
    }

    static string Describe(MetricClock c) => $"{c.Metric.Wire()} ({c.Target.TotalMinutes:0.#} business min on policy '{c.Policy}')";

    static void OnCustomerMessage(ConversationClockState s, DateTimeOffset at, Workspace ws, List<ClockEffect> effects)
    {
        var policy = ws.PolicyFor(s.Policy, s.Team);
        if (s.Status == ConversationStatus.Resolved)
        {
            // Reopened: a fresh resolution cycle and a response is owed again.
            s.Status = ConversationStatus.Open;
            s.ResolutionCycle++;
            StartClock(s, policy, SlaMetric.Resolution, s.ResolutionCycle, at, effects);
            s.NextResponseCycle++;
            StartClock(s, policy, SlaMetric.NextResponse, s.NextResponseCycle, at, effects);
        }
        else
        {
            if (s.Status is ConversationStatus.WaitingOnCustomer or ConversationStatus.Snoozed)
            {
                s.Status = ConversationStatus.Open;
                s.SnoozedUntil = null;
                ResumeAll(s, at, ws);
            }
            if (s.CustomerMessages == 0)
            {
                StartClock(s, policy, SlaMetric.FirstResponse, 0, at, effects);
                StartClock(s, policy, SlaMetric.Resolution, 0, at, effects);
            }
            else if (s.FirstResponseDone && !s.Clocks.Any(c => c.Metric == SlaMetric.NextResponse && c.Active))
            {
                s.NextResponseCycle++;
                StartClock(s, policy, SlaMetric.NextResponse, s.NextResponseCycle, at, effects);
            }
        }
        s.CustomerMessages++;
        s.LastCustomerMessageAt = at;
    }

    static void StartClock(ConversationClockState s, SlaPolicy? policy, SlaMetric metric, int cycle, DateTimeOffset at, List<ClockEffect> effects)
    {
        if (policy?.Target(metric) is not { } target)
            return;
        var c = new MetricClock
        {
            Metric = metric,
            Cycle = cycle,
            Policy = policy.Name,
            Target = target,
            StartedAt = at,
            RunningSince = at,
            Status = ClockStatus.Running,
        };
        ComputeDeadlines(c, policy);
        s.Clocks.Add(c);
        effects.Add(new(EffectKind.SlaStarted, at, s.Conversation, policy.Name, c.MetricKey, null, c.Due, [],
            $"{Describe(c)} on calendar '{policy.Calendar.Name}' ({policy.Calendar.Zone.Id})"));
    }

    static void ComputeDeadlines(MetricClock c, SlaPolicy policy)
    {
        var since = c.RunningSince!.Value;
        var remaining = c.Target - c.Consumed;
        c.Due = remaining <= TimeSpan.Zero ? since : policy.Calendar.AddBusinessTime(since, remaining);
        c.WarnAt = !c.Warned && policy.WarnBefore > TimeSpan.Zero && c.Target > policy.WarnBefore
            ? (remaining - policy.WarnBefore <= TimeSpan.Zero ? since : policy.Calendar.AddBusinessTime(since, remaining - policy.WarnBefore))
            : null;
    }

    static void PauseAll(ConversationClockState s, DateTimeOffset at, Workspace ws)
    {
        foreach (var c in s.Clocks)
        {
            if (c.Status != ClockStatus.Running)
                continue;
            if (ws.Policies.TryGetValue(c.Policy, out var p))
                c.Consumed += p.Calendar.BusinessTimeBetween(c.RunningSince!.Value, at);
            c.RunningSince = null;
            c.Due = null;
            c.WarnAt = null;
            c.Status = ClockStatus.Paused;
        }
    }

    static void ResumeAll(ConversationClockState s, DateTimeOffset at, Workspace ws)
    {
        foreach (var c in s.Clocks)
        {
            if (c.Status != ClockStatus.Paused || !ws.Policies.TryGetValue(c.Policy, out var p))
                continue;
            c.Status = ClockStatus.Running;
            c.RunningSince = at;
            ComputeDeadlines(c, p);
        }
    }

    static void OnAgentReply(ConversationClockState s, DateTimeOffset at, List<ClockEffect> effects)
    {
        s.LastAgentReplyAt = at;
        s.FirstResponseDone = true;
        foreach (var c in s.Clocks)
        {
            if (c.Metric is SlaMetric.FirstResponse or SlaMetric.NextResponse && c.Active)
                Meet(s, c, at, effects);
        }
    }

    static void Meet(ConversationClockState s, MetricClock c, DateTimeOffset at, List<ClockEffect> effects)
    {
        c.Status = ClockStatus.Met;
        effects.Add(new(EffectKind.SlaMet, at, s.Conversation, c.Policy, c.MetricKey, null, c.Due, [],
            c.Breached ? $"{c.Metric.Wire()} met late" : $"{c.Metric.Wire()} met in time"));
        c.Due = null;
        c.WarnAt = null;
        foreach (var run in s.Ladders)
        {
            if (run.Metric == c.MetricKey && run.Policy == c.Policy)
                run.Stopped = true;
        }
    }

    static void OnAssigned(ConversationClockState s, Assigned a, Workspace ws, List<ClockEffect> effects)
    {
        var moved = s.Team is not null && s.Team != a.Team;
        s.Team = a.Team;
        // A transfer to another team recomputes the policy: without an explicit one, the new team's default applies
        // (used business time carries over, as for any policy change).
        if (moved)
            OnPolicyChanged(s, new PolicyChanged(a.At, s.Policy), ws, effects);
        if (a.Agent != s.Assignee)
        {
            s.Assignee = a.Agent;
            s.AssignmentSeq++;
            s.AssignedAt = a.At;
        }
    }

    static void OnPolicyChanged(ConversationClockState s, PolicyChanged p, Workspace ws, List<ClockEffect> effects)
    {
        var oldName = s.Clocks.LastOrDefault(c => c.Active)?.Policy ?? s.Policy;
        s.Policy = p.Policy;
        var policy = ws.PolicyFor(p.Policy, s.Team);
        if (policy is null || policy.Name == oldName)
            return;
        foreach (var c in s.Clocks)
        {
            if (!c.Active)
                continue;
            // Used business time carries over (measured on the old calendar); the new target and calendar apply from now.
            if (c.Status == ClockStatus.Running && ws.Policies.TryGetValue(c.Policy, out var old))
            {
                c.Consumed += old.Calendar.BusinessTimeBetween(c.RunningSince!.Value, p.At);
                c.RunningSince = p.At;
            }
            foreach (var run in s.Ladders)
            {
                if (run.Metric == c.MetricKey && run.Policy == c.Policy)
                    run.Stopped = true;
            }
            if (policy.Target(c.Metric) is not { } target)
            {
                c.Status = ClockStatus.Stopped;
                c.Due = null;
                c.WarnAt = null;
                continue;
            }
            c.Policy = policy.Name;
            c.Target = target;
            if (c.Status == ClockStatus.Running)
            {
                ComputeDeadlines(c, policy);
                effects.Add(new(EffectKind.SlaStarted, p.At, s.Conversation, policy.Name, c.MetricKey, null, c.Due, [],
                    $"recomputed: {Describe(c)}, {c.Consumed.TotalMinutes:0.#} business min already used"));
            }
        }
    }

    static void OnResolved(ConversationClockState s, Resolved r, Workspace ws, List<ClockEffect> effects)
    {
        if (s.Status == ConversationStatus.Resolved)
            return;
        foreach (var c in s.Clocks)
        {
            if (!c.Active)
                continue;
            if (c.Metric == SlaMetric.Resolution)
            {
                Meet(s, c, r.At, effects);
            }
            else
            {
                c.Status = ClockStatus.Stopped;
                c.Due = null;
                c.WarnAt = null;
            }
        }
        foreach (var run in s.Ladders)
            run.Stopped = true;
        s.Status = ConversationStatus.Resolved;
        s.SnoozedUntil = null;
        _ = ws;
        effects.Add(new(EffectKind.Resolved, r.At, s.Conversation, null, null, null, null, [], r.By is null ? "resolved" : $"resolved by {r.By}"));
    }

    static void OnAcknowledged(ConversationClockState s, Acknowledged k, List<ClockEffect> effects)
    {
        var stopped = 0;
        foreach (var run in s.Ladders)
        {
            if (!run.Stopped)
            {
                run.Stopped = true;
                stopped++;
            }
        }
        effects.Add(new(EffectKind.Acknowledged, k.At, s.Conversation, null, null, null, null, [],
            $"acknowledged{(k.By is null ? "" : " by " + k.By)}; {stopped} running ladder(s) stopped"));
    }

    static void OnCrisis(ConversationClockState s, CrisisStarted c, Workspace ws, List<ClockEffect> effects)
    {
        if (s.Crisis || ws.CrisisLadder is not { Levels.Count: > 0 } ladder)
            return;
        s.Crisis = true;
        var top = ladder.Levels.Count;
        var key = Key(s, "crisis", "crisis", Num(top));
        effects.Add(new(EffectKind.Escalated, c.At, s.Conversation, "crisis", "crisis", Num(top), null, ladder.Levels[^1].Targets,
            $"crisis path: straight to the top of ladder '{ladder.Name}' ({c.Reason})", key));
        s.Ladders.Add(new LadderRun { Ladder = ladder.Name, Policy = "crisis", Metric = "crisis", StartedAt = c.At, NextLevel = top, Stopped = true });
    }
}
