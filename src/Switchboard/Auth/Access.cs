using System.Data.Common;
using System.Globalization;
using System.Security.Claims;
using Dapper;

namespace Switchboard.Auth;

/// <summary>The roles of users.role and the authorization policies every endpoint names.</summary>
internal static class Roles
{
    public const string Admin = "admin";
    public const string Manager = "manager";
    public const string Agent = "agent";
    public const string Trainee = "trainee";
    public const string Approver = "approver";
    public const string Analyst = "analyst";

    public static readonly string[] All = [Admin, Manager, Agent, Trainee, Approver, Analyst];

    /// <summary>Everyone but the read-only analyst may change conversations.</summary>
    public static readonly string[] Writers = [Admin, Manager, Agent, Trainee, Approver];
}

internal static class Policies
{
    /// <summary>Any signed-in user (cookie or API token): what they see is then narrowed by their AccessScope.</summary>
    public const string InboxRead = "inbox.read";

    /// <summary>Users who may act on conversations: every role but analyst.</summary>
    public const string InboxWrite = "inbox.write";

    public const string Manager = "manager";
    public const string Admin = "admin";

    /// <summary>KPIs and their export: managers, admins and the read-only analyst (the executive's role).</summary>
    public const string Reports = "reports.read";
}

/// <summary>
/// What one user may see: their role, their teams (team_members) and channels (user_channels; none = every channel).
/// Read from the database on every request, so a changed role or membership applies at once. Every conversation
/// lookup goes through <see cref="Sql"/>, so an id outside the scope behaves exactly like an id that does not exist.
/// </summary>
internal sealed record AccessScope(long UserId, string Role, IReadOnlyList<long> TeamIds, IReadOnlyList<string> Channels)
{
    /// <summary>Admins see every team; so does an analyst with no team (organisation-wide, read-only reporting).</summary>
    public bool AllTeams => Role == Roles.Admin || (Role == Roles.Analyst && TeamIds.Count == 0);

    public bool CanWrite => Roles.Writers.Contains(Role);

    public bool IsManager => Role is Roles.Admin or Roles.Manager;

    public static readonly AccessScope Nobody = new(0, "", [], ["\u0000"]);

    /// <summary>
    /// Reads the user's role, team seats and channels in one round trip: every scoped endpoint loads the scope, some of
    /// them more than once in a request, and three reads each time were most of a small request's database work.
    /// </summary>
    public static async Task<AccessScope> LoadAsync(DbConnection conn, ClaimsPrincipal user, DbTransaction? tx = null)
    {
        var id = user.UserId();
        var rows = await conn.QueryAsync<(string Kind, string? Text, long? Number)>(
            """
            SELECT 'r' AS Kind, role AS Text, NULL AS Number FROM users WHERE id = @id
            UNION ALL SELECT 't', NULL, team_id FROM team_members WHERE user_id = @id
            UNION ALL SELECT 'c', channel, NULL FROM user_channels WHERE user_id = @id
            """, new { id }, tx);
        string? role = null;
        var teams = new List<long>();
        var channels = new List<string>();
        foreach (var (kind, text, number) in rows)
        {
            switch (kind)
            {
                case "r": role = text; break;
                case "t": teams.Add(number!.Value); break;
                default: channels.Add(text!); break;
            }
        }

        if (role is null)
        {
            return Nobody;
        }

        teams.Sort();
        channels.Sort(StringComparer.Ordinal);
        return new AccessScope(id, role, teams, channels);
    }

    /// <summary>
    /// Whether this scope sees one conversation: the same predicate as every list and lookup (<see cref="Sql"/>), so
    /// the inbox, the composer, hand-overs and label corrections cannot disagree about who sees what.
    /// </summary>
    public async Task<bool> SeesAsync(DbConnection conn, long conversationId, DbTransaction? tx = null)
    {
        var p = new DynamicParameters();
        p.Add("seesConversation", conversationId);
        return await conn.ExecuteScalarAsync<long>(
            $"SELECT COUNT(*) FROM conversations c WHERE c.id = @seesConversation AND {Sql(p)}", p, tx) > 0;
    }

    /// <summary>
    /// A predicate over the conversation alias `c` limiting rows to this scope (adds its parameters to p).
    /// Own team's conversations, the ones assigned to the user, and for managers the not-yet-routed ones.
    /// </summary>
    public string Sql(DynamicParameters p, string alias = "c")
    {
        var parts = new List<string>();
        if (this == Nobody)
        {
            return "1 = 0";
        }

        if (!AllTeams)
        {
            // Ids are numbers from our own table, so they are inlined; lists are not portable Dapper parameters
            // (PostgreSQL wants = ANY(array), SQLite an expanded list).
            var team = TeamIds.Count == 0 ? "1 = 0" : $"{alias}.team_id IN ({string.Join(',', TeamIds.Select(t => t.ToString(CultureInfo.InvariantCulture)))})";
            var unrouted = IsManager ? $" OR {alias}.team_id IS NULL" : "";
            parts.Add($"({team} OR {alias}.assignee_id = @scopeUser{unrouted})");
            p.Add("scopeUser", UserId);
        }

        if (Channels.Count > 0)
        {
            var names = Channels.Select((ch, i) => (Name: "scopeChannel" + i.ToString(CultureInfo.InvariantCulture), Value: ch)).ToList();
            parts.Add($"{alias}.channel IN ({string.Join(',', names.Select(n => "@" + n.Name))})");
            foreach (var (name, value) in names)
            {
                p.Add(name, value);
            }
        }

        return parts.Count == 0 ? "1 = 1" : string.Join(" AND ", parts);
    }
}
