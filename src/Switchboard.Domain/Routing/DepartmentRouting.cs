using Switchboard.Classification;

namespace Switchboard.Routing;

/// <summary>Which team queue a new conversation joins, and why.</summary>
public sealed record QueueDecision(string TeamSlug, string Priority, string Reason);

/// <summary>
/// The first routing decision: each department has a team; everything without one goes to Customer Service, the
/// team that owns "anything a customer says". Crisis intents are raised to urgent. Rules as data supersede this.
/// </summary>
public static class DepartmentRouting
{
    public const string DefaultTeam = "customer-service";

    private static readonly Dictionary<string, string> TeamByDepartment = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Marketing"] = "marketing",
        ["Public Relations"] = "public-relations",
        ["Internal Communications"] = "internal-communications",
        ["Partners & Channel"] = "partners-channel",
        ["Customer Service"] = "customer-service",
        ["Human Resources"] = "human-resources",
        ["IT"] = "it",
        ["Innovation"] = "innovation",
    };

    public static QueueDecision Decide(Triage triage, string channel)
    {
        var priority = triage.Intent == "crisis" || triage.Urgency >= 0.75 ? "urgent" : triage.Urgency >= 0.4 ? "high" : "normal";
        if (channel == "slack" && triage.Department is null)
        {
            return new QueueDecision("internal-communications", priority, "internal channel with no department");
        }

        if (triage.Intent == "crisis")
        {
            return new QueueDecision("public-relations", "urgent", $"crisis words ({triage.Explain})");
        }

        if (triage.Department is { } d && TeamByDepartment.TryGetValue(d, out var team))
        {
            return new QueueDecision(team, priority, $"department {d}");
        }

        return new QueueDecision(DefaultTeam, priority, "no department matched: default team");
    }
}
