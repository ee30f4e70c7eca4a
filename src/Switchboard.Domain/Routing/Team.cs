using Switchboard.Sla;

namespace Switchboard.Routing;

/// <summary>How a team picks among eligible agents (after stickiness).</summary>
internal enum AssignmentSelector
{
    RoundRobin,
    LeastLoaded,
    BestSkillMatch,
}

/// <summary>
/// A team. <see cref="ReassignAfter"/>: wall-clock time an assignee has to answer before the conversation is
/// reassigned (null: never), at most <see cref="MaxReassignments"/> times so
/// a conversation nobody answers does not bounce between agents forever. <see cref="SlaPolicy"/> is the default policy for conversations routed here.
/// </summary>
internal sealed record Team(
    string Name,
    BusinessCalendar Calendar,
    string? SlaPolicy,
    AssignmentSelector Selector,
    TimeSpan? ReassignAfter,
    string? Lead,
    EscalationLadder? Ladder,
    int MaxReassignments = 3);

/// <summary>An agent. <see cref="Calendar"/> null: the agent works the hours of their first team's calendar.</summary>
internal sealed record Agent(
    string Id,
    string Name,
    string Email,
    bool Admin,
    IReadOnlyList<string> Teams,
    IReadOnlySet<string> Skills,
    IReadOnlySet<string> Languages,
    int Capacity,
    BusinessCalendar? Calendar);
