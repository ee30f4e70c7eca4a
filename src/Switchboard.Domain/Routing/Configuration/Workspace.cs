using Switchboard.Sla;

namespace Switchboard.Routing.Configuration;

/// <summary>
/// A validated routing/SLA configuration: every reference (team, policy, calendar, ladder, list) is resolved, so
/// the engines never meet a dangling name. Built only by <see cref="WorkspaceLoader"/> (or tests).
/// </summary>
internal sealed class Workspace
{
    public required IReadOnlyDictionary<string, BusinessCalendar> Calendars { get; init; }
    /// <summary>Teams in file order (order matters for display, not for routing).</summary>
    public required IReadOnlyList<Team> TeamList { get; init; }
    public required IReadOnlyList<Agent> Agents { get; init; }
    public required IReadOnlyDictionary<string, SlaPolicy> Policies { get; init; }
    public required IReadOnlyDictionary<string, EscalationLadder> Ladders { get; init; }
    public required IReadOnlyDictionary<string, IReadOnlySet<string>> AuthorLists { get; init; }
    /// <summary>Rules in evaluation order, both triggers.</summary>
    public required IReadOnlyList<RoutingRule> Rules { get; init; }
    public required string DefaultTeam { get; init; }
    public string? DefaultPolicy { get; init; }
    /// <summary>The ladder whose top level a crisis starts at immediately.</summary>
    public EscalationLadder? CrisisLadder { get; init; }
    /// <summary>Outbound webhook URLs by name (targets "webhook:NAME").</summary>
    public IReadOnlyDictionary<string, Uri> Webhooks { get; init; } = new Dictionary<string, Uri>();
    /// <summary>Scheduled KPI digests (docs/reports.md), posted to <see cref="Webhooks"/>.</summary>
    public IReadOnlyList<Reports.DigestSchedule> Digests { get; init; } = [];

    IReadOnlyDictionary<string, Team>? _teams;
    IReadOnlyList<RoutingRule>? _messageRules;
    IReadOnlyList<RoutingRule>? _noReplyRules;
    ILookup<string, Agent>? _members;

    public IReadOnlyDictionary<string, Team> Teams => _teams ??= TeamList.ToDictionary(t => t.Name, StringComparer.Ordinal);
    public IReadOnlyList<RoutingRule> MessageRules => _messageRules ??= [.. Rules.Where(r => r.Trigger == RuleTrigger.Message)];
    public IReadOnlyList<RoutingRule> NoReplyRules => _noReplyRules ??= [.. Rules.Where(r => r.Trigger == RuleTrigger.NoReply)];

    /// <summary>Members of a team in file order (round robin walks this order).</summary>
    public IEnumerable<Agent> MembersOf(string team) =>
        (_members ??= Agents.SelectMany(a => a.Teams.Select(t => (t, a))).ToLookup(x => x.t, x => x.a, StringComparer.Ordinal))[team];

    Dictionary<string, HashSet<string>>? _teamLanguages;

    /// <summary>Whether any member of the team speaks the language (then, and only then, assignment requires it).</summary>
    public bool TeamSpeaks(string team, string language)
    {
        _teamLanguages ??= TeamList.ToDictionary(t => t.Name,
            t => MembersOf(t.Name).SelectMany(a => a.Languages).ToHashSet(StringComparer.OrdinalIgnoreCase), StringComparer.Ordinal);
        return _teamLanguages.TryGetValue(team, out var set) && set.Contains(language);
    }

    /// <summary>The policy that applies: explicit, else the team's default, else the workspace default.</summary>
    public SlaPolicy? PolicyFor(string? explicitPolicy, string? team)
    {
        if (explicitPolicy is not null && Policies.TryGetValue(explicitPolicy, out var p))
            return p;
        if (team is not null && Teams.TryGetValue(team, out var t) && t.SlaPolicy is not null && Policies.TryGetValue(t.SlaPolicy, out p))
            return p;
        return DefaultPolicy is not null && Policies.TryGetValue(DefaultPolicy, out p) ? p : null;
    }
}
