using System.Data.Common;
using System.Security.Claims;
using Dapper;
using Switchboard.Audit;
using Switchboard.Auth;
using Switchboard.Notifications;

namespace Switchboard.Inbox;

[System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<ActionOutcome>))]
internal enum ActionOutcome
{
    Done,
    NotFound,
    Forbidden,
    Invalid,
}

internal sealed record ActionResult(long ConversationId, ActionOutcome Outcome, string? Error = null, ConversationState? After = null);

/// <summary>
/// Assign / transfer, snooze, resolve and reopen, for the UI's forms, the API and bulk actions alike. The decision
/// is the pure <see cref="ConversationAction.Apply"/>; this performs it: scoped load, data checks, update, audit and
/// notification in the caller's transaction. The caller commits, then publishes the ids on the InboxFeed.
/// </summary>
internal static class ConversationActions
{
    public const int MaxBulk = 200;

    public static async Task<ActionResult> ApplyAsync(
        DbConnection conn, DbTransaction tx, AccessScope scope, ClaimsPrincipal user, long id, ConversationAction action, TimeProvider time, CancellationToken ct)
    {
        var p = new DynamicParameters(new { id });
        var row = await conn.QueryFirstOrDefaultAsync<StateRow>(new CommandDefinition(
            $"SELECT c.status AS Status, c.team_id AS TeamId, c.assignee_id AS AssigneeId, c.snoozed_until AS SnoozedUntil FROM conversations c WHERE c.id = @id AND {scope.Sql(p)}",
            p, tx, cancellationToken: ct));
        if (row is null)
        {
            return new(id, ActionOutcome.NotFound, $"no conversation {id}");
        }

        if (!scope.CanWrite)
        {
            return new(id, ActionOutcome.Forbidden, "your role may read conversations but not change them");
        }

        var now = time.GetUtcNow();
        var before = row.ToState();
        var (after, error) = ConversationAction.Apply(before, action, now);
        if (after is null)
        {
            return new(id, ActionOutcome.Invalid, error);
        }

        if (action is ConversationAction.Assign && after.AssigneeId is { } assignee && (assignee != before.AssigneeId || after.TeamId != before.TeamId))
        {
            var check = await CheckAssigneeAsync(conn, tx, after, ct);
            if (check is not null)
            {
                return new(id, ActionOutcome.Invalid, check);
            }
        }

        var nowMs = now.ToUnixTimeMilliseconds();
        var assigneeChanged = after.AssigneeId != before.AssigneeId;
        await conn.ExecuteAsync(new CommandDefinition(
            """
            UPDATE conversations SET status = @status, team_id = @team, assignee_id = @assignee, snoozed_until = @snoozed,
                   assigned_at = CASE WHEN @assigneeChanged = 1 THEN @assignedAt ELSE assigned_at END,
                   holding_since = CASE WHEN @assignee IS NOT NULL THEN NULL ELSE holding_since END,
                   resolved_at = CASE WHEN @status <> 'resolved' THEN NULL WHEN status = 'resolved' THEN resolved_at ELSE @now END,
                   updated_at = @now
            WHERE id = @id
            """,
            new
            {
                id,
                status = after.Status,
                team = after.TeamId,
                assignee = after.AssigneeId,
                snoozed = after.SnoozedUntil?.ToUnixTimeMilliseconds(),
                assigneeChanged = assigneeChanged ? 1 : 0,
                assignedAt = after.AssigneeId is null ? (long?)null : nowMs,
                now = nowMs,
            }, tx, cancellationToken: ct));
        await AuditLog.WriteAsync(conn, tx, AuditEntry.By(user, "conversation." + Name(action), "conversation", id.ToString(System.Globalization.CultureInfo.InvariantCulture), before, after), time);
        if (assigneeChanged && after.AssigneeId is { } to && to != scope.UserId)
        {
            await NotificationStore.AddAsync(conn, tx, to, "assigned", id, $"{user.Identity?.Name ?? "Someone"} assigned conversation #{id} to you", time);
        }

        return new(id, ActionOutcome.Done, null, after);
    }

    public static string Name(ConversationAction a) => a switch
    {
        ConversationAction.Assign => "assign",
        ConversationAction.Snooze => "snooze",
        ConversationAction.Resolve => "resolve",
        ConversationAction.Reopen => "reopen",
        _ => "unknown",
    };

    /// <summary>The assignee must exist, be allowed to act, and belong to the conversation's team (when it has one).</summary>
    private static async Task<string?> CheckAssigneeAsync(DbConnection conn, DbTransaction tx, ConversationState after, CancellationToken ct)
    {
        var (role, deactivated) = await conn.QueryFirstOrDefaultAsync<(string?, long?)>(new CommandDefinition(
            "SELECT role, deactivated_at FROM users WHERE id = @id", new { id = after.AssigneeId }, tx, cancellationToken: ct));
        if (role is null)
        {
            return $"no user {after.AssigneeId}";
        }

        if (deactivated is not null)
        {
            return $"user {after.AssigneeId} is deactivated";
        }

        if (!Roles.Writers.Contains(role))
        {
            return $"a user with role {role} cannot be assigned conversations";
        }

        if (after.TeamId is { } team && role != Roles.Admin)
        {
            var member = await conn.ExecuteScalarAsync<long>(new CommandDefinition(
                "SELECT COUNT(*) FROM team_members WHERE team_id = @team AND user_id = @user", new { team, user = after.AssigneeId }, tx, cancellationToken: ct));
            if (member == 0)
            {
                return $"user {after.AssigneeId} is not a member of the conversation's team";
            }
        }

        return null;
    }

    /// <summary>Resolves a team slug or id to its id; null with a reason when there is no such team.</summary>
    public static async Task<(long? Id, string? Error)> TeamIdAsync(DbConnection conn, string? team, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(team))
        {
            return (null, null);
        }

        var id = await conn.QueryFirstOrDefaultAsync<long?>(new CommandDefinition(
            "SELECT id FROM teams WHERE slug = @team OR CAST(id AS TEXT) = @team", new { team = team.Trim() }, cancellationToken: ct));
        return id is null ? (null, $"no team '{team}'") : (id, null);
    }

    private sealed class StateRow
    {
        public string Status { get; init; } = "";
        public long? TeamId { get; init; }
        public long? AssigneeId { get; init; }
        public long? SnoozedUntil { get; init; }

        public ConversationState ToState() => new(Status, TeamId, AssigneeId, SnoozedUntil is { } s ? DateTimeOffset.FromUnixTimeMilliseconds(s) : null);
    }
}
