using System.Data.Common;
using System.Security.Claims;
using Dapper;
using Switchboard.Auth;

namespace Switchboard.Composer;

/// <summary>The facts about a conversation the composer and approvals need, loaded once per request.</summary>
internal sealed record ConversationFacts(long Id, string Channel, long? TeamId, string? TeamName, bool RequiresApproval,
    long? AuthorId, string? AuthorName, string? AuthorHandle, long? Followers, bool? Verified, long? LastInboundMessageId);

/// <summary>
/// Scoping for the composer, approvals and hand-overs: a conversation is visible exactly when the user's
/// <see cref="AccessScope"/> sees it in the inbox (their teams and channels, what is assigned to them, and for managers
/// what no team owns yet). Analysts are read-only. A conversation the user may not see is reported as missing, so
/// guessing ids reveals nothing.
/// </summary>
internal static class ConversationAccess
{
    public static string Role(ClaimsPrincipal user) => user.FindFirstValue(ClaimTypes.Role) ?? "";

    public static async Task<ConversationFacts?> VisibleAsync(DbConnection conn, ClaimsPrincipal user, long conversationId, DbTransaction? tx = null)
    {
        // The scope's predicate goes into the same read, so seeing the conversation costs no extra round trip.
        var scope = await AccessScope.LoadAsync(conn, user, tx);
        var p = new DynamicParameters();
        p.Add("conversationId", conversationId);
        var facts = await conn.QueryFirstOrDefaultAsync<FactsRow>(
            $"""
            SELECT c.id AS Id, c.channel AS Channel, c.team_id AS TeamId, t.name AS TeamName, c.requires_approval AS RequiresApproval,
                   a.id AS AuthorId, a.name AS AuthorName, a.handle AS AuthorHandle, a.followers AS Followers, a.verified AS Verified,
                   (SELECT MAX(m.id) FROM messages m WHERE m.conversation_id = c.id AND m.direction = 'in') AS LastInboundMessageId
            FROM conversations c LEFT JOIN teams t ON t.id = c.team_id LEFT JOIN authors a ON a.id = c.author_id
            WHERE c.id = @conversationId AND {scope.Sql(p)}
            """, p, tx);
        if (facts is null)
        {
            return null;
        }

        return new ConversationFacts(facts.Id, facts.Channel, facts.TeamId, facts.TeamName, facts.RequiresApproval != 0, facts.AuthorId,
            facts.AuthorName, facts.AuthorHandle, facts.Followers, facts.Verified is null ? null : facts.Verified != 0, facts.LastInboundMessageId);
    }

    /// <summary>Whether the user may use what a team owns (its canned replies): admins everything, others their teams' and shared ones.</summary>
    public static async Task<bool> InTeamAsync(DbConnection conn, ClaimsPrincipal user, long? teamId, DbTransaction? tx = null) =>
        Role(user) == "admin" || teamId is null
        || await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM team_members WHERE team_id = @teamId AND user_id = @userId",
            new { teamId, userId = user.UserId() }, tx) > 0;

    /// <summary>Analysts read; everyone else may write replies.</summary>
    public static bool CanWrite(ClaimsPrincipal user) => Role(user) is not ("analyst" or "");

    private sealed class FactsRow
    {
        public long Id { get; init; }
        public string Channel { get; init; } = "";
        public long? TeamId { get; init; }
        public string? TeamName { get; init; }
        public long RequiresApproval { get; init; }
        public long? AuthorId { get; init; }
        public string? AuthorName { get; init; }
        public string? AuthorHandle { get; init; }
        public long? Followers { get; init; }
        public long? Verified { get; init; }
        public long? LastInboundMessageId { get; init; }
    }
}
