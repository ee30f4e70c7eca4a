using System.Data.Common;
using Dapper;
using Switchboard.Auth;

namespace Switchboard.Inbox;

/// <summary>The queues of the inbox sidebar.</summary>
public enum InboxQueue
{
    Mine,
    MyTeams,
    Unassigned,
    All,
    Holding,
    BreachingSoon,
    Escalated,
}

public sealed record TeamCount(long Id, string Slug, string Name, long Open);

/// <summary>What a list page asks for: a queue, optionally one team, a sort and a cursor.</summary>
public sealed record InboxListRequest(InboxQueue Queue, string? Team = null, InboxSort? Sort = null, string? Cursor = null,
    long? Topic = null, Classification.Corrections.InboxLabelFilter? Labels = null, Reports.ReportDrill? Drill = null);

/// <summary>Reads what the inbox sidebar and lists need, always within the user's access scope.</summary>
internal static class InboxViews
{
    /// <summary>"Breaching soon" means a deadline within this window (or already past).</summary>
    public static readonly TimeSpan BreachingWindow = TimeSpan.FromMinutes(30);

    public const int PageSize = 50;

    public static readonly InboxQueue[] Sidebar =
        [InboxQueue.Mine, InboxQueue.MyTeams, InboxQueue.Unassigned, InboxQueue.BreachingSoon, InboxQueue.Escalated, InboxQueue.Holding, InboxQueue.All];

    public static async Task<IReadOnlyList<TeamCount>> TeamCountsAsync(DbConnection conn, AccessScope scope)
    {
        var teams = await conn.QueryAsync<TeamCount>(
            """
            SELECT t.id AS Id, t.slug AS Slug, t.name AS Name,
                   (SELECT COUNT(*) FROM conversations c WHERE c.team_id = t.id AND c.status = 'open') AS Open
            FROM teams t ORDER BY t.id
            """);
        return [.. teams.Where(t => scope.AllTeams || scope.TeamIds.Contains(t.Id))];
    }

    public static ConversationFilter FilterFor(InboxListRequest r, AccessScope scope, DateTimeOffset now)
    {
        var f = r.Queue switch
        {
            InboxQueue.Mine => new ConversationFilter(Team: r.Team, AssigneeId: scope.UserId),
            InboxQueue.MyTeams => new ConversationFilter(Team: r.Team, TeamIds: scope.TeamIds),
            InboxQueue.Unassigned => new ConversationFilter(Team: r.Team, UnassignedOnly: true, Status: "open"),
            InboxQueue.Holding => new ConversationFilter(Team: r.Team) { HoldingOnly = true },
            InboxQueue.Escalated => new ConversationFilter(Team: r.Team) { EscalatedOnly = true },
            InboxQueue.BreachingSoon => new ConversationFilter(Team: r.Team) { DueBeforeMs = (now + BreachingWindow).ToUnixTimeMilliseconds() },
            _ => new ConversationFilter(Team: r.Team),
        };
        f = f with { Scope = scope, Sort = r.Sort ?? DefaultSort(r.Queue), TopicId = r.Topic };
        f = r.Labels?.Apply(f) ?? f;
        return r.Drill?.Apply(f) ?? f;
    }

    /// <summary>Breaching soon is about deadlines, so it sorts by them unless asked otherwise.</summary>
    public static InboxSort DefaultSort(InboxQueue q) => q == InboxQueue.BreachingSoon ? InboxSort.Due : InboxSort.Recent;

    public static InboxQueue Parse(string? queue) => queue?.ToLowerInvariant() switch
    {
        "mine" => InboxQueue.Mine,
        "teams" => InboxQueue.MyTeams,
        "unassigned" => InboxQueue.Unassigned,
        "holding" => InboxQueue.Holding,
        "breaching" => InboxQueue.BreachingSoon,
        "escalated" => InboxQueue.Escalated,
        _ => InboxQueue.All,
    };

    /// <summary>The topic and label filters of a request, as the list keeps them in its links (name → value).</summary>
    public static Dictionary<string, string?> ListFilters(IQueryCollection query) =>
        Classification.Corrections.InboxLabelFilter.Keys.Append("topic").Concat(Reports.ReportDrill.Keys)
            .Where(k => !string.IsNullOrEmpty(query[k]))
            .ToDictionary(k => k, k => (string?)query[k].ToString());

    public static InboxSort? ParseSort(string? sort) => sort?.ToLowerInvariant() switch
    {
        "recent" => InboxSort.Recent,
        "urgency" => InboxSort.Urgency,
        "due" => InboxSort.Due,
        _ => null,
    };

    public static async Task<ConversationPage> PageAsync(DbConnection conn, InboxListRequest r, AccessScope scope, DateTimeOffset now, CancellationToken ct)
    {
        var filter = FilterFor(r, scope, now);
        try
        {
            return await ConversationQueries.ListAsync(conn, filter, r.Cursor, PageSize, ct);
        }
        catch (ConversationQueries.InvalidCursorException)
        {
            // A stale or edited link: show the first page rather than an error.
            return await ConversationQueries.ListAsync(conn, filter, null, PageSize, ct);
        }
    }

    public static string Label(InboxQueue q) => q switch
    {
        InboxQueue.Mine => "Mine",
        InboxQueue.MyTeams => "My teams",
        InboxQueue.Unassigned => "Unassigned",
        InboxQueue.Holding => "Holding queue",
        InboxQueue.BreachingSoon => "Breaching soon",
        InboxQueue.Escalated => "Escalated",
        _ => "All conversations",
    };

    public static string Slug(InboxQueue q) => q switch
    {
        InboxQueue.Mine => "mine",
        InboxQueue.MyTeams => "teams",
        InboxQueue.Unassigned => "unassigned",
        InboxQueue.Holding => "holding",
        InboxQueue.BreachingSoon => "breaching",
        InboxQueue.Escalated => "escalated",
        _ => "all",
    };

    public static string Slug(InboxSort s) => s switch
    {
        InboxSort.Urgency => "urgency",
        InboxSort.Due => "due",
        _ => "recent",
    };
}
