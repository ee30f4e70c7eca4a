using Switchboard.Routing.Configuration;

namespace Switchboard.Routing;

/// <summary>What the assigner needs to know about an agent right now (kept by the host or the simulator).</summary>
internal sealed record AgentLoad(bool Online, int Open, DateTimeOffset? LastAssignedAt);

/// <summary>
/// A conversation to place in <see cref="Team"/>. <see cref="StickyAgent"/>: the agent who last helped this author.
/// <see cref="Exclude"/>: the current assignee when reassigning after a timeout.
/// </summary>
internal sealed record AssignmentRequest(
    string Conversation,
    string Team,
    IReadOnlyList<string> Skills,
    string? Language,
    string? StickyAgent = null,
    string? Exclude = null);

/// <summary>One candidate as the trace shows it: score and load for eligible agents, the exclusion reason otherwise.</summary>
internal sealed record CandidateTrace(string Agent, bool Eligible, double Score, int Load, int Capacity, string? Excluded);

/// <summary>
/// <see cref="Agent"/> null means "hold in the team's queue". <see cref="RoundRobinCursor"/> is the new cursor
/// (index in the team's member order of the last agent chosen) for the host to store per team.
/// </summary>
internal sealed record AssignmentDecision(string? Agent, string Reason, IReadOnlyList<CandidateTrace> Candidates, int RoundRobinCursor);

/// <summary>
/// Assignment inside a team as a pure decision. Eligible = online, member, below capacity, holding every required
/// skill and speaking the conversation's language — the language is required only when some member of the team speaks
/// it at all, so a rare language does not hold a conversation forever. Then stickiness, then the team's selector.
/// Fairness: ties go to the agent who was assigned longest ago.
/// </summary>
internal static class Assigner
{
    public static AssignmentDecision Decide(AssignmentRequest req, Workspace ws, IReadOnlyDictionary<string, AgentLoad> loads, int roundRobinCursor)
    {
        var team = ws.Teams[req.Team];
        var members = ws.MembersOf(req.Team) as IList<Agent> ?? [.. ws.MembersOf(req.Team)];
        var languageRequired = req.Language is not null && ws.TeamSpeaks(req.Team, req.Language);
        var candidates = new List<CandidateTrace>(members.Count);
        Agent? sticky = null;
        int bestIndex = -1;
        double bestScore = double.MinValue;
        DateTimeOffset? bestLast = null;
        var bestLoad = int.MaxValue;
        for (var i = 0; i < members.Count; i++)
        {
            var a = members[i];
            var load = loads.TryGetValue(a.Id, out var l) ? l : new AgentLoad(false, 0, null);
            var excluded = Exclusion(a, load, req, languageRequired);
            var score = excluded is null ? Score(a, load, req, team.Selector) : 0;
            candidates.Add(new CandidateTrace(a.Id, excluded is null, score, load.Open, a.Capacity, excluded));
            if (excluded is not null)
                continue;
            if (a.Id == req.StickyAgent)
                sticky = a;
            if (team.Selector == AssignmentSelector.RoundRobin)
                continue;
            if (score > bestScore || (score == bestScore && (Older(load.LastAssignedAt, bestLast) || (load.LastAssignedAt == bestLast && load.Open < bestLoad))))
            {
                bestIndex = i;
                bestScore = score;
                bestLast = load.LastAssignedAt;
                bestLoad = load.Open;
            }
        }
        if (sticky is not null)
            return new AssignmentDecision(sticky.Id, $"sticky: {sticky.Id} last helped this author", candidates, roundRobinCursor);
        if (team.Selector == AssignmentSelector.RoundRobin)
        {
            for (var step = 1; step <= members.Count; step++)
            {
                var i = (((roundRobinCursor + step) % members.Count) + members.Count) % members.Count;
                if (candidates[i].Eligible)
                    return new AssignmentDecision(members[i].Id, $"round robin: next eligible after position {roundRobinCursor}", candidates, i);
            }
        }
        else if (bestIndex >= 0)
        {
            var why = team.Selector == AssignmentSelector.LeastLoaded ? "least loaded" : "best skill match";
            return new AssignmentDecision(members[bestIndex].Id, $"{why}: score {bestScore:0.###}", candidates, roundRobinCursor);
        }
        var reason = members.Count == 0 ? $"team '{req.Team}' has no members" : "no eligible agent: held in the team queue";
        return new AssignmentDecision(null, reason, candidates, roundRobinCursor);
    }

    /// <summary>
    /// Whether <paramref name="agent"/> alone is eligible for the request: lets a holding queue be re-checked against
    /// the one agent whose availability changed without running the full decision for every queued conversation.
    /// </summary>
    public static bool CanTake(Agent agent, AgentLoad load, AssignmentRequest req, Workspace ws)
    {
        var languageRequired = req.Language is not null && ws.TeamSpeaks(req.Team, req.Language);
        return agent.Teams.Contains(req.Team) && Exclusion(agent, load, req, languageRequired) is null;
    }

    static bool Older(DateTimeOffset? a, DateTimeOffset? b) => (a, b) switch
    {
        (null, not null) => true,
        ({ } x, { } y) => x < y,
        _ => false,
    };

    static string? Exclusion(Agent a, AgentLoad load, AssignmentRequest req, bool languageRequired)
    {
        if (a.Id == req.Exclude)
            return "current assignee (reassigning)";
        if (!load.Online)
            return "offline";
        if (load.Open >= a.Capacity)
            return $"at capacity ({load.Open}/{a.Capacity})";
        foreach (var s in req.Skills)
        {
            if (!a.Skills.Contains(s))
                return $"lacks skill '{s}'";
        }
        if (languageRequired && !a.Languages.Contains(req.Language!))
            return $"does not speak '{req.Language}'";
        return null;
    }

    /// <summary>Higher is better. Least loaded: free share of capacity. Best skill: skills matched, then free share as a tiebreak.</summary>
    static double Score(Agent a, AgentLoad load, AssignmentRequest req, AssignmentSelector selector)
    {
        var free = 1.0 - ((double)load.Open / Math.Max(1, a.Capacity));
        return selector switch
        {
            AssignmentSelector.BestSkillMatch => req.Skills.Count(a.Skills.Contains) + (req.Language is not null && a.Languages.Contains(req.Language) ? 1 : 0) + (free * 0.5),
            AssignmentSelector.LeastLoaded => free,
            _ => free,
        };
    }
}
