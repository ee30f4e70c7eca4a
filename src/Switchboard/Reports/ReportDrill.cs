using System.Globalization;
using Switchboard.Inbox;

namespace Switchboard.Reports;

/// <summary>
/// The inbox filters a report's numbers link to ("drill down from a chart to the conversations behind it", Chatwoot
/// #6887): conversations started in a period, on a channel, by assignee, that breached an SLA or were escalated. Each
/// maps to the same condition the report counted with, so a number and its list agree.
/// </summary>
public sealed record ReportDrill(ReportPeriod? Period, string? Channel, string? Breached, string? Assignee, bool Escalated)
{
    public static readonly string[] Keys = ["from", "to", "zone", "channel", "breached", "assignee", "escalated"];

    /// <summary>The breach families a link may name; "any" is every one.</summary>
    public static readonly string[] BreachKinds = ["any", "first_response", "next_response", "resolution"];

    public bool IsEmpty => Period is null && Channel is null && Breached is null && Assignee is null && !Escalated;

    /// <summary>Reads the drill-down keys of an inbox address; a malformed one is an error (a list silently wider than
    /// the number clicked would mislead).</summary>
    public static (ReportDrill? Drill, string? Error) From(IQueryCollection query, DateTimeOffset now)
    {
        string? Value(string key) => string.IsNullOrWhiteSpace(query[key]) ? null : query[key].ToString().Trim();
        ReportPeriod? period = null;
        if (Value("from") is not null || Value("to") is not null)
        {
            var (p, error) = ReportPeriod.Parse(Value("from"), Value("to"), Value("zone"), now);
            if (p is null)
            {
                return (null, error);
            }

            period = p;
        }

        var channel = Value("channel");
        if (channel is { Length: > 64 })
        {
            return (null, "channel is longer than 64 characters");
        }

        var breached = Value("breached") switch
        {
            null => null,
            "1" or "true" => "any",
            var b when BreachKinds.Contains(b) => b,
            var b => (string?)("!" + b),
        };
        if (breached is ['!', ..])
        {
            return (null, $"breached must be 1 or one of {string.Join(", ", BreachKinds)}");
        }

        var assignee = Value("assignee");
        if (assignee is not null && assignee != "none" && !long.TryParse(assignee, NumberStyles.None, CultureInfo.InvariantCulture, out _))
        {
            return (null, "assignee must be a user id or 'none'");
        }

        var escalated = Value("escalated");
        if (escalated is not null and not "1" and not "true")
        {
            return (null, "escalated must be 1");
        }

        return (new ReportDrill(period, channel, breached, assignee, escalated is not null), null);
    }

    /// <summary>Adds this drill-down's conditions to an inbox filter.</summary>
    public ConversationFilter Apply(ConversationFilter f)
    {
        var conditions = new List<SqlCondition>(f.Conditions);
        if (Period is { } p)
        {
            conditions.Add(new("c.created_at >= @drillStart AND c.created_at < @drillEnd",
                new Dictionary<string, object?> { ["drillStart"] = p.Start.ToUnixTimeMilliseconds(), ["drillEnd"] = p.End.ToUnixTimeMilliseconds() }));
        }

        if (Channel is not null)
        {
            conditions.Add(new("c.channel = @drillChannel", new Dictionary<string, object?> { ["drillChannel"] = Channel }));
        }

        if (Breached is not null)
        {
            var metric = Breached switch
            {
                "first_response" => " AND e.metric = 'first_response'",
                "next_response" => " AND e.metric LIKE 'next_response%'",
                "resolution" => " AND e.metric LIKE 'resolution%'",
                _ => "",
            };
            conditions.Add(new($"EXISTS (SELECT 1 FROM sla_effects e WHERE e.conversation_id = c.id AND e.kind = 'Breach'{metric})", new Dictionary<string, object?>()));
        }

        if (Assignee == "none")
        {
            conditions.Add(new("c.assignee_id IS NULL", new Dictionary<string, object?>()));
        }
        else if (Assignee is not null)
        {
            conditions.Add(new("c.assignee_id = @drillAssignee",
                new Dictionary<string, object?> { ["drillAssignee"] = long.Parse(Assignee, CultureInfo.InvariantCulture) }));
        }

        if (Escalated)
        {
            conditions.Add(new("c.escalation_level > 0", new Dictionary<string, object?>()));
        }

        return f with { Conditions = conditions };
    }

    /// <summary>What the list shows, in words, so a reader knows why it is narrower than the queue.</summary>
    public string Describe()
    {
        var parts = new List<string>();
        if (Period is { } p)
        {
            parts.Add(p.From == p.To
                ? $"started on {p.From:yyyy-MM-dd} ({p.Zone.Id})"
                : $"started {p.From:yyyy-MM-dd} to {p.To:yyyy-MM-dd} ({p.Zone.Id})");
        }

        if (Channel is not null)
        {
            parts.Add($"on {Channel}");
        }

        if (Assignee is not null)
        {
            parts.Add(Assignee == "none" ? "unassigned" : $"assigned to user {Assignee}");
        }

        if (Breached is not null)
        {
            parts.Add(Breached == "any" ? "breached an SLA" : $"breached the {Breached.Replace('_', ' ')} SLA");
        }

        if (Escalated)
        {
            parts.Add("escalated");
        }

        return string.Join(" · ", parts);
    }
}
