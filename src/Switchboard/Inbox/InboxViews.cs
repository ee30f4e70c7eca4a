using System.Data.Common;
using Dapper;

namespace Switchboard.Inbox;

/// <summary>The queues of the inbox sidebar.</summary>
public enum InboxQueue
{
    Mine,
    MyTeams,
    Unassigned,
    All,
}

public sealed record TeamCount(long Id, string Slug, string Name, long Open);

/// <summary>Reads what the inbox sidebar needs: the user's teams and open counts per team.</summary>
internal static class InboxViews
{
    public static async Task<IReadOnlyList<long>> TeamIdsOfAsync(DbConnection conn, long userId) =>
        [.. await conn.QueryAsync<long>("SELECT team_id FROM team_members WHERE user_id = @userId", new { userId })];

    public static async Task<IReadOnlyList<TeamCount>> TeamCountsAsync(DbConnection conn) =>
        [.. await conn.QueryAsync<TeamCount>(
            """
            SELECT t.id AS Id, t.slug AS Slug, t.name AS Name,
                   (SELECT COUNT(*) FROM conversations c WHERE c.team_id = t.id AND c.status = 'open') AS Open
            FROM teams t ORDER BY t.id
            """)];

    public static ConversationFilter FilterFor(InboxQueue queue, long userId, IReadOnlyList<long> myTeams, string? team) => queue switch
    {
        InboxQueue.Mine => new ConversationFilter(Team: team, AssigneeId: userId),
        InboxQueue.MyTeams => new ConversationFilter(Team: team, TeamIds: myTeams),
        InboxQueue.Unassigned => new ConversationFilter(Team: team, UnassignedOnly: true, Status: "open"),
        _ => new ConversationFilter(Team: team),
    };

    public static InboxQueue Parse(string? queue) => queue?.ToLowerInvariant() switch
    {
        "mine" => InboxQueue.Mine,
        "teams" => InboxQueue.MyTeams,
        "unassigned" => InboxQueue.Unassigned,
        _ => InboxQueue.All,
    };

    public static async Task<ConversationPage> PageAsync(DbConnection conn, InboxQueue queue, long userId, string? team, string? cursor, CancellationToken ct,
        long? topic = null, Classification.Corrections.InboxLabelFilter? labels = null)
    {
        var myTeams = queue == InboxQueue.MyTeams ? await TeamIdsOfAsync(conn, userId) : [];
        var filter = FilterFor(queue, userId, myTeams, team) with { TopicId = topic };
        filter = labels?.Apply(filter) ?? filter;
        try
        {
            return await ConversationQueries.ListAsync(conn, filter, cursor, 50, ct);
        }
        catch (ConversationQueries.InvalidCursorException)
        {
            // A stale or edited link: show the first page rather than an error.
            return await ConversationQueries.ListAsync(conn, filter, null, 50, ct);
        }
    }

    public static string Label(InboxQueue q) => q switch
    {
        InboxQueue.Mine => "Mine",
        InboxQueue.MyTeams => "My teams",
        InboxQueue.Unassigned => "Unassigned",
        _ => "All conversations",
    };

    public static string Slug(InboxQueue q) => q switch
    {
        InboxQueue.Mine => "mine",
        InboxQueue.MyTeams => "teams",
        InboxQueue.Unassigned => "unassigned",
        _ => "all",
    };
}
