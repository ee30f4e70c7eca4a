using System.Globalization;
using System.Text;
using Switchboard.Posts;
using Switchboard.Routing.Configuration;
using Switchboard.Sla;

namespace Switchboard.Routing.Simulation;

/// <summary>One line of simulation input: an inbound/outgoing post or an agent event, at its timestamp.</summary>
internal abstract record SimInput(DateTimeOffset At, long Line);

/// <summary><paramref name="Fields"/>: the scalar fields of the input line (topic, sentiment, intent, conversation, agent…).</summary>
internal sealed record SimPost(DateTimeOffset At, long Line, Post Post, IReadOnlyDictionary<string, string> Fields) : SimInput(At, Line);

/// <summary>
/// agent_online / agent_offline (Agent), agent_reply / agent_ack / agent_resolve (Agent, Conversation),
/// snooze (Conversation, Until), pending (Conversation: waiting on the customer).
/// </summary>
internal sealed record SimAgentEvent(DateTimeOffset At, long Line, string Kind, string? Agent, string? Conversation, DateTimeOffset? Until) : SimInput(At, Line);

/// <summary>One output line. <see cref="Event"/>: routed|queued|assigned|reassigned|sla_started|warning|breach|escalated|acknowledged|resolved.</summary>
internal sealed record SimEvent(
    DateTimeOffset At, string Conversation, string Event, string? Team, string? Agent, string? Policy, string? Metric, string? Level,
    DateTimeOffset? Due, string? Reason);

internal sealed class SimSummary
{
    public long Posts { get; set; }
    public long Conversations { get; set; }
    public long AgentEvents { get; set; }
    public long Decisions { get; set; }
    public SortedDictionary<string, long> Events { get; } = new(StringComparer.Ordinal);
    public SortedDictionary<string, long> BreachesByMetric { get; } = new(StringComparer.Ordinal);
    public long MetInTime { get; set; }
    public long MetLate { get; set; }
    public long ReassignWithoutCandidate { get; set; }
    public int MaxQueueLength { get; set; }
    public DateTimeOffset? From { get; set; }
    public DateTimeOffset? To { get; set; }
    public List<string> Warnings { get; } = [];
}

/// <summary>
/// Replays inputs through a workspace on a simulated clock: a discrete-event loop over a priority queue keyed by due
/// time, driving the same pure pieces the host uses (<see cref="RoutingEngine"/>, <see cref="Assigner"/>,
/// <see cref="ConversationClock"/>). Agents named in agent_online/agent_offline events follow those events (offline
/// until their first agent_online); all others are online during their calendar's hours (their own, else their
/// first team's). Nobody answers unless the input says so.
/// </summary>
internal sealed class Simulator
{
    const int MaxWarnings = 100;
    readonly Workspace _ws;
    readonly Action<SimEvent> _emit;
    readonly SimSummary _summary = new();
    readonly Dictionary<string, Conv> _convs = new(StringComparer.Ordinal);
    readonly Dictionary<string, string> _convByPost = new(StringComparer.Ordinal);
    readonly Dictionary<string, string> _openConvByAuthor = new(StringComparer.Ordinal);
    readonly Dictionary<string, string> _lastAgentByAuthor = new(StringComparer.Ordinal);
    readonly Dictionary<string, AgentLoad> _loads = new(StringComparer.OrdinalIgnoreCase);
    readonly Dictionary<string, int> _cursors = new(StringComparer.Ordinal);
    readonly Dictionary<string, SortedSet<(int Rank, long Seq, string Conv)>> _queues = new(StringComparer.Ordinal);
    readonly PriorityQueue<QueueItem, (long Ticks, long Seq)> _timeline = new();
    readonly List<ClockEffect> _effects = [];
    long _seq;
    int _liveTimers;

    sealed class Conv
    {
        public required string Id { get; init; }
        public required ConversationClockState Clock { get; init; }
        public required RoutingInput Input { get; set; }
        public List<string> Skills { get; set; } = [];
        public string? Priority { get; set; }
        public string? AuthorKey { get; init; }
        public (int Rank, long Seq)? QueuedAs { get; set; }
        public DateTimeOffset? Scheduled { get; set; }
    }

    readonly record struct QueueItem(string? Conversation, string? Agent, bool Online);

    Simulator(Workspace ws, Action<SimEvent> emit)
    {
        _ws = ws;
        _emit = emit;
    }

    /// <summary>Runs the whole simulation. <paramref name="inputs"/> may be in any order; they are replayed by time (stable).</summary>
    public static SimSummary Run(IEnumerable<SimInput> inputs, Workspace ws, Action<SimEvent> emit)
    {
        var sim = new Simulator(ws, emit);
        var ordered = inputs.Select((x, i) => (x, i)).OrderBy(p => p.x.At).ThenBy(p => p.i).Select(p => p.x).ToList();
        sim.Execute(ordered);
        return sim._summary;
    }

    void Execute(List<SimInput> inputs)
    {
        if (inputs.Count == 0)
            return;
        var start = inputs[0].At;
        _summary.From = start;
        var explicitAgents = inputs.OfType<SimAgentEvent>()
            .Where(e => e.Kind is "agent_online" or "agent_offline" && e.Agent is not null)
            .Select(e => e.Agent!).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var agent in _ws.Agents)
        {
            _loads[agent.Id] = new AgentLoad(false, 0, null);
            if (!explicitAgents.Contains(agent.Id))
                ScheduleAvailability(agent, start);
        }
        foreach (var input in inputs)
        {
            DrainUntil(input.At);
            switch (input)
            {
                case SimPost p: OnPost(p); break;
                case SimAgentEvent e: OnAgentEvent(e); break;
            }
        }
        // After the last input, let every conversation timer play out (availability changes alone do not keep it going).
        while (_liveTimers > 0 && _timeline.TryPeek(out _, out var key))
            DrainUntil(new DateTimeOffset(key.Ticks, TimeSpan.Zero));
    }

    void DrainUntil(DateTimeOffset now)
    {
        while (_timeline.TryPeek(out var item, out var key) && key.Ticks <= now.UtcTicks)
        {
            _timeline.Dequeue();
            var at = new DateTimeOffset(key.Ticks, TimeSpan.Zero);
            if (item.Conversation is { } id)
            {
                var conv = _convs[id];
                if (conv.Scheduled is not { } due || due.UtcTicks != key.Ticks)
                    continue; // superseded by a later reschedule
                conv.Scheduled = null;
                _liveTimers--;
                Apply(conv, new Tick(at));
            }
            else if (item.Agent is { } agentId)
            {
                var agent = _ws.Agents.First(a => a.Id == agentId);
                SetOnline(agentId, item.Online, at);
                ScheduleAvailability(agent, at);
            }
        }
        _summary.To = _summary.To is { } to && to > now ? to : now;
    }

    void ScheduleAvailability(Agent agent, DateTimeOffset from)
    {
        var calendar = agent.Calendar ?? _ws.Teams[agent.Teams[0]].Calendar;
        if (calendar.NextOpenInterval(from) is not { } open)
            return;
        if (open.Start <= from)
        {
            SetOnline(agent.Id, true, from);
            _timeline.Enqueue(new QueueItem(null, agent.Id, false), (open.End.UtcTicks, _seq++));
        }
        else
        {
            SetOnline(agent.Id, false, from);
            _timeline.Enqueue(new QueueItem(null, agent.Id, true), (open.Start.UtcTicks, _seq++));
        }
    }

    void SetOnline(string agentId, bool online, DateTimeOffset at)
    {
        var load = _loads[agentId];
        if (load.Online == online)
            return;
        _loads[agentId] = load with { Online = online };
        if (online)
            DrainQueues(agentId, at);
    }

    // ---- inputs ----

    void OnPost(SimPost p)
    {
        _summary.Posts++;
        var post = p.Post;
        var fields = p.Fields;
        if (post.Outgoing)
        {
            var convId = fields.GetValueOrDefault("conversation")
                ?? (post.InReplyTo is not null ? _convByPost.GetValueOrDefault(post.InReplyTo) : null);
            if (convId is null || !_convs.TryGetValue(convId, out var replied))
            {
                Warn($"line {p.Line}: outgoing post {post.Id} answers no known conversation; ignored");
                return;
            }
            _convByPost[post.Id] = convId;
            var agent = fields.GetValueOrDefault("agent") ?? replied.Clock.Assignee;
            AgentReply(replied, agent, p.At);
            return;
        }

        var authorKey = post.Author?.Id ?? post.Author?.Handle;
        var authorSlot = authorKey is null ? null : post.Channel + "\u0001" + authorKey;
        var id = fields.GetValueOrDefault("conversation")
            ?? (post.InReplyTo is not null ? _convByPost.GetValueOrDefault(post.InReplyTo) : null)
            ?? (authorSlot is not null ? _openConvByAuthor.GetValueOrDefault(authorSlot) : null)
            ?? post.Id;
        _convByPost[post.Id] = id;
        var input = InputOf(post, fields, p.At);
        if (!_convs.TryGetValue(id, out var conv))
        {
            conv = new Conv { Id = id, Clock = ConversationClockState.New(id), Input = input, AuthorKey = authorKey };
            _convs[id] = conv;
            _summary.Conversations++;
            if (authorSlot is not null)
                _openConvByAuthor[authorSlot] = id;
            Route(conv, p.At);
            return;
        }
        conv.Input = input with { CurrentTeam = conv.Clock.Team };
        var wasResolved = conv.Clock.Status == ConversationStatus.Resolved;
        Apply(conv, new CustomerMessaged(p.At));
        if (wasResolved)
        {
            if (authorSlot is not null)
                _openConvByAuthor[authorSlot] = id;
            Assign(conv, p.At, exclude: null, reassign: false);
        }
    }

    static RoutingInput InputOf(Post post, IReadOnlyDictionary<string, string> f, DateTimeOffset at) => new(
        post.Channel, post.Text, at, post.Lang ?? f.GetValueOrDefault("language"),
        f.TryGetValue("topic", out var t) ? t.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            : f.TryGetValue("topics", out t) ? t.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : null,
        f.GetValueOrDefault("sentiment"), f.GetValueOrDefault("intent"), f.GetValueOrDefault("department"), f.GetValueOrDefault("urgency"),
        post.Author?.Id, post.Author?.Handle, post.Author?.Followers, post.Author?.Verified);

    void Route(Conv conv, DateTimeOffset at)
    {
        var decision = RoutingEngine.Route(conv.Input, _ws);
        _summary.Decisions++;
        conv.Skills = [.. decision.Skills];
        conv.Priority = decision.Priority;
        var policy = _ws.PolicyFor(decision.SlaPolicy, decision.Team);
        Emit(new SimEvent(at, conv.Id, "routed", decision.Team, null, policy?.Name, null, null, null,
            decision.Explain() + (decision.Priority is null ? "" : $"; priority {decision.Priority}")
            + (decision.Labels.Count == 0 ? "" : $"; labels {string.Join(",", decision.Labels)}")
            + (decision.RequireApproval ? "; replies need approval" : "")
            + (decision.Notify.Count == 0 ? "" : $"; notify {string.Join(",", decision.Notify)}")));
        Apply(conv, new Assigned(at, decision.Team, null));
        Apply(conv, new PolicyChanged(at, decision.SlaPolicy));
        Apply(conv, new CustomerMessaged(at));
        if (decision.Crisis)
            Apply(conv, new CrisisStarted(at, "rule: " + string.Join(", ", decision.MatchedRules)));
        Assign(conv, at, exclude: null, reassign: false);
    }

    void OnAgentEvent(SimAgentEvent e)
    {
        _summary.AgentEvents++;
        if (e.Kind is "agent_online" or "agent_offline")
        {
            if (e.Agent is null || !_loads.ContainsKey(e.Agent))
            {
                Warn($"line {e.Line}: unknown agent '{e.Agent}'; ignored");
                return;
            }
            SetOnline(_ws.Agents.First(a => string.Equals(a.Id, e.Agent, StringComparison.OrdinalIgnoreCase)).Id, e.Kind == "agent_online", e.At);
            return;
        }
        if (e.Conversation is null || !_convs.TryGetValue(e.Conversation, out var conv))
        {
            Warn($"line {e.Line}: {e.Kind} for unknown conversation '{e.Conversation}'; ignored");
            return;
        }
        switch (e.Kind)
        {
            case "agent_reply": AgentReply(conv, e.Agent, e.At); break;
            case "agent_ack": Apply(conv, new Acknowledged(e.At, e.Agent)); break;
            case "agent_resolve": Resolve(conv, e.Agent, e.At); break;
            case "pending": Apply(conv, new WaitingOnCustomer(e.At)); break;
            case "snooze":
                if (e.Until is not { } until || until <= e.At)
                    Warn($"line {e.Line}: snooze needs 'until' after 'at'; ignored");
                else
                    Apply(conv, new Snoozed(e.At, until));
                break;
            default:
                Warn($"line {e.Line}: unknown event '{e.Kind}'; ignored");
                break;
        }
    }

    void AgentReply(Conv conv, string? agent, DateTimeOffset at)
    {
        if (agent is not null && conv.AuthorKey is not null)
            _lastAgentByAuthor[conv.AuthorKey] = agent;
        Apply(conv, new AgentReplied(at, agent));
    }

    void Resolve(Conv conv, string? by, DateTimeOffset at)
    {
        if (conv.Clock.Status == ConversationStatus.Resolved)
            return;
        var team = conv.Clock.Team!;
        var assignee = conv.Clock.Assignee;
        Apply(conv, new Resolved(at, by));
        Dequeue(conv, team);
        if (assignee is not null)
        {
            Release(assignee);
            Apply(conv, new Assigned(at, team, null));
            DrainQueues(assignee, at);
        }
    }

    void Release(string agent)
    {
        var l = _loads[agent];
        _loads[agent] = l with { Open = Math.Max(0, l.Open - 1) };
    }

    // ---- assignment ----

    static int Rank(string? priority) => priority switch { "urgent" => 0, "high" => 1, "normal" or null => 2, _ => 3 };

    bool Assign(Conv conv, DateTimeOffset at, string? exclude, bool reassign)
    {
        var team = conv.Clock.Team!;
        var req = Request(conv, exclude);
        var d = Assigner.Decide(req, _ws, _loads, _cursors.GetValueOrDefault(team, -1));
        _summary.Decisions++;
        _cursors[team] = d.RoundRobinCursor;
        if (d.Agent is null)
        {
            if (reassign)
            {
                _summary.ReassignWithoutCandidate++;
                return false;
            }
            if (conv.QueuedAs is null)
            {
                var q = Queue(team);
                conv.QueuedAs = (Rank(conv.Priority), _seq++);
                q.Add((conv.QueuedAs.Value.Rank, conv.QueuedAs.Value.Seq, conv.Id));
                _summary.MaxQueueLength = Math.Max(_summary.MaxQueueLength, q.Count);
                Emit(new SimEvent(at, conv.Id, "queued", team, null, null, null, null, null, d.Reason + "; " + Candidates(d)));
            }
            return false;
        }
        var previous = conv.Clock.Assignee;
        if (previous is not null)
            Release(previous);
        var load = _loads[d.Agent];
        _loads[d.Agent] = load with { Open = load.Open + 1, LastAssignedAt = at };
        Dequeue(conv, team);
        Apply(conv, new Assigned(at, team, d.Agent));
        Emit(new SimEvent(at, conv.Id, reassign ? "reassigned" : "assigned", team, d.Agent, null, null, null, null,
            (reassign ? $"from {previous}: " : "") + d.Reason + "; " + Candidates(d)));
        return true;
    }

    AssignmentRequest Request(Conv conv, string? exclude) => new(conv.Id, conv.Clock.Team!, conv.Skills, conv.Input.Language,
        conv.AuthorKey is null ? null : _lastAgentByAuthor.GetValueOrDefault(conv.AuthorKey), exclude);

    static string Candidates(AssignmentDecision d)
    {
        var sb = new StringBuilder("candidates:");
        foreach (var c in d.Candidates)
        {
            sb.Append(' ').Append(c.Agent).Append(' ');
            if (c.Eligible)
                sb.Append(CultureInfo.InvariantCulture, $"score {c.Score:0.###} load {c.Load}/{c.Capacity}");
            else
                sb.Append('(').Append(c.Excluded).Append(')');
            sb.Append(';');
        }
        return sb.ToString().TrimEnd(';');
    }

    SortedSet<(int, long, string)> Queue(string team)
    {
        if (!_queues.TryGetValue(team, out var q))
            _queues[team] = q = [];
        return q;
    }

    void Dequeue(Conv conv, string team)
    {
        if (conv.QueuedAs is { } k)
        {
            Queue(team).Remove((k.Rank, k.Seq, conv.Id));
            conv.QueuedAs = null;
        }
    }

    /// <summary>
    /// Re-evaluates the holding queues of an agent's teams when that agent came online or freed capacity. Only this
    /// agent's change can make a queued conversation assignable, so the walk stops once the agent is full.
    /// </summary>
    void DrainQueues(string agentId, DateTimeOffset at)
    {
        var agent = _ws.Agents.First(a => a.Id == agentId);
        var picks = new List<Conv>();
        foreach (var team in agent.Teams)
        {
            if (!_queues.TryGetValue(team, out var q) || q.Count == 0)
                continue;
            var load = _loads[agentId];
            var free = agent.Capacity - load.Open;
            if (!load.Online || free <= 0)
                return;
            picks.Clear();
            foreach (var (_, _, convId) in q)
            {
                if (picks.Count >= free)
                    break;
                var conv = _convs[convId];
                if (Assigner.CanTake(agent, load, Request(conv, null), _ws))
                    picks.Add(conv);
            }
            foreach (var conv in picks)
                Assign(conv, at, exclude: null, reassign: false);
        }
    }

    // ---- clocks ----

    void Apply(Conv conv, ConversationEvent ev)
    {
        _effects.Clear();
        ConversationClock.ApplyInPlace(conv.Clock, ev, _ws, _effects);
        // Effects can trigger more decisions (reassignment, time rules) that apply further events; copy first.
        foreach (var fx in _effects.ToArray())
            Handle(conv, fx);
        Reschedule(conv);
    }

    void Reschedule(Conv conv)
    {
        var next = ConversationClock.NextDue(conv.Clock, _ws);
        if (next == conv.Scheduled)
            return;
        if (conv.Scheduled is null)
            _liveTimers++;
        if (next is null)
            _liveTimers--;
        conv.Scheduled = next;
        if (next is { } due)
            _timeline.Enqueue(new QueueItem(conv.Id, null, false), (due.UtcTicks, _seq++));
    }

    void Handle(Conv conv, ClockEffect fx)
    {
        var team = conv.Clock.Team;
        switch (fx.Kind)
        {
            case EffectKind.SlaStarted:
                Emit(new SimEvent(fx.At, conv.Id, "sla_started", team, conv.Clock.Assignee, fx.Policy, fx.Metric, null, fx.Due, fx.Reason));
                break;
            case EffectKind.Warning:
                Emit(new SimEvent(fx.At, conv.Id, "warning", team, conv.Clock.Assignee, fx.Policy, fx.Metric, null, fx.Due, fx.Reason));
                break;
            case EffectKind.Breach:
                var metric = fx.Metric!.Split('.')[0];
                _summary.BreachesByMetric[metric] = _summary.BreachesByMetric.GetValueOrDefault(metric) + 1;
                Emit(new SimEvent(fx.At, conv.Id, "breach", team, conv.Clock.Assignee, fx.Policy, fx.Metric, null, fx.Due, fx.Reason));
                break;
            case EffectKind.Escalated:
                Emit(new SimEvent(fx.At, conv.Id, "escalated", team, conv.Clock.Assignee, fx.Policy, fx.Metric, fx.Level, null,
                    fx.Reason + "; notify " + string.Join(", ", fx.Targets.Select(t => ResolveTarget(t, conv)))));
                break;
            case EffectKind.Acknowledged:
                Emit(new SimEvent(fx.At, conv.Id, "acknowledged", team, conv.Clock.Assignee, null, null, null, null, fx.Reason));
                break;
            case EffectKind.Resolved:
                Emit(new SimEvent(fx.At, conv.Id, "resolved", team, conv.Clock.Assignee, null, null, null, null, fx.Reason));
                break;
            case EffectKind.SlaMet:
                if (fx.Reason.EndsWith("late", StringComparison.Ordinal))
                    _summary.MetLate++;
                else
                    _summary.MetInTime++;
                break;
            case EffectKind.ReassignDue:
                Assign(conv, fx.At, exclude: conv.Clock.Assignee, reassign: true);
                break;
            case EffectKind.NoReplyRuleDue:
                RunTimeRule(conv, fx);
                break;
            case EffectKind.SnoozeEnded:
                break;
            default:
                throw new InvalidOperationException($"unhandled effect {fx.Kind}");
        }
    }

    string ResolveTarget(string target, Conv conv) => target switch
    {
        "assignee" => conv.Clock.Assignee ?? "assignee (none)",
        "team_lead" => conv.Clock.Team is { } t && _ws.Teams[t].Lead is { } lead ? lead : "team_lead (none)",
        _ => target,
    };

    void RunTimeRule(Conv conv, ClockEffect fx)
    {
        var rule = _ws.NoReplyRules.First(r => r.Name == fx.Policy);
        var d = RoutingEngine.Evaluate([rule], conv.Input with { CurrentTeam = conv.Clock.Team, At = fx.At }, _ws);
        _summary.Decisions++;
        if (!d.Trace[0].Matched)
            return;
        if (d.Priority is not null)
            conv.Priority = d.Priority;
        conv.Skills = [.. conv.Skills.Union(d.Skills)];
        var reason = $"time rule '{rule.Name}': {fx.Reason}" + (d.Priority is null ? "" : $"; priority {d.Priority}")
            + (d.Notify.Count == 0 ? "" : $"; notify {string.Join(", ", d.Notify.Select(t => ResolveTarget(t, conv)))}");
        var teamChanged = rule.Then.Team is { } newTeam && newTeam != conv.Clock.Team;
        Emit(new SimEvent(fx.At, conv.Id, "routed", d.Team, conv.Clock.Assignee, d.SlaPolicy, null, null, null, reason));
        if (teamChanged)
        {
            if (conv.Clock.Assignee is { } old)
                Release(old);
            Dequeue(conv, conv.Clock.Team!);
            Apply(conv, new Assigned(fx.At, d.Team, null));
            Assign(conv, fx.At, exclude: null, reassign: false);
        }
        if (d.SlaPolicy is not null || teamChanged)
            Apply(conv, new PolicyChanged(fx.At, d.SlaPolicy ?? conv.Clock.Policy));
        if (d.Crisis)
            Apply(conv, new CrisisStarted(fx.At, $"time rule '{rule.Name}'"));
    }

    void Emit(SimEvent e)
    {
        _summary.Events[e.Event] = _summary.Events.GetValueOrDefault(e.Event) + 1;
        _emit(e);
    }

    void Warn(string message)
    {
        if (_summary.Warnings.Count < MaxWarnings)
            _summary.Warnings.Add(message);
    }
}
