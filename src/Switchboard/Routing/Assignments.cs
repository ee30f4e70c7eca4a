using System.Data.Common;
using Dapper;
using Switchboard.Audit;
using Switchboard.Notifications;
using Switchboard.Sla;
using Switchboard.Storage;

namespace Switchboard.Routing;

/// <summary>
/// Runs the pure <see cref="Assigner"/> on stored state and performs its decision: claim the conversation for the
/// chosen agent with a conditional UPDATE (so two workers can never both claim it), or put it in the team's holding
/// queue. The decision, with every candidate, replaces the assignment part of the route trace.
/// </summary>
/// <summary>What <see cref="Assignments.AssignAsync"/> did: the agent chosen (null: held, or nobody else) and the row after it.</summary>
internal readonly record struct AssignmentResult(long? Agent, ConversationRow Row);

internal static class Assignments
{
    /// <summary>
    /// The agent's user id, or null when the conversation is held (or a reassignment found nobody), and the row as it
    /// now stands (assignee, holding, trace), so the caller goes on without reading it again.
    /// </summary>
    public static async Task<AssignmentResult> AssignAsync(DbConnection conn, DbTransaction tx, SlaContext ctx, ConversationRow row, string team,
        IReadOnlyList<string> skills, string? language, long? exclude)
    {
        var ws = ctx.Workspace;
        if (!ws.Teams.ContainsKey(team) || !ctx.Agents.TeamIds.ContainsKey(team))
            return new(null, row);
        var now = ctx.Time.GetUtcNow();
        long? sticky = row.AuthorId is null ? null : await conn.ExecuteScalarCachedAsync<long?>(
            """
            SELECT assignee_id FROM conversations WHERE author_id = @a AND id <> @id AND assignee_id IS NOT NULL
            ORDER BY last_message_at DESC LIMIT 1
            """, new { a = row.AuthorId, id = row.Id }, tx);
        var cursor = await conn.ExecuteScalarCachedAsync<long?>("SELECT position FROM routing_cursors WHERE team = @team", new { team }, tx) ?? -1;
        var request = new AssignmentRequest(ClockStore.Key(row.Id), team, skills, language,
            sticky is null ? null : AgentDirectory.Key(sticky.Value), exclude is null ? null : AgentDirectory.Key(exclude.Value));
        var decision = Assigner.Decide(request, ws, ctx.Agents.LoadsFor(team, ws, now), (int)cursor);

        long? chosen = decision.Agent is null ? null : long.Parse(decision.Agent, System.Globalization.CultureInfo.InvariantCulture);
        var nowMs = now.ToUnixTimeMilliseconds();
        if (chosen is { } agent)
        {
            var claimed = await conn.ExecuteCachedAsync(
                """
                UPDATE conversations SET assignee_id = @agent, assigned_at = @now, holding_since = NULL, updated_at = @now
                WHERE id = @id AND COALESCE(assignee_id, 0) = @expected
                """, new { agent, now = nowMs, id = row.Id, expected = row.AssigneeId ?? 0 }, tx);
            if (claimed != 1) // someone else assigned it meanwhile: theirs stands
                return new(null, await ConversationRow.LoadAsync(ctx.Db, conn, tx, row.Id) ?? row);
            ctx.Agents.Assigned(agent, nowMs);
            if (exclude is { } previous)
                ctx.Agents.Freed(previous);
            if (decision.RoundRobinCursor != cursor)
            {
                await conn.ExecuteCachedAsync(
                    "INSERT INTO routing_cursors (team, position) VALUES (@team, @p) ON CONFLICT (team) DO UPDATE SET position = excluded.position",
                    new { team, p = (long)decision.RoundRobinCursor }, tx);
            }
            await NotificationStore.AddAsync(conn, tx, agent, exclude is null ? "assigned" : "reassigned", row.Id,
                $"Conversation #{row.Id} assigned to you: {decision.Reason}", ctx.Time);
        }
        else if (exclude is null)
        {
            await conn.ExecuteCachedAsync("UPDATE conversations SET holding_since = COALESCE(holding_since, @now), updated_at = @now WHERE id = @id",
                new { now = nowMs, id = row.Id }, tx);
        }

        var trace = RouteTrace.Parse(row.RouteTrace);
        var assignment = new AssignmentTraceDto(now, chosen, chosen is { } c && ctx.Agents.ById.TryGetValue(c, out var a) ? a.Name : null,
            exclude is not null && chosen is null ? "reassignment: " + decision.Reason + "; the current assignee keeps it" : decision.Reason,
            [.. decision.Candidates.Select(x => new CandidateDto(long.Parse(x.Agent, System.Globalization.CultureInfo.InvariantCulture),
                ctx.Agents.ById.TryGetValue(long.Parse(x.Agent, System.Globalization.CultureInfo.InvariantCulture), out var u) ? u.Name : x.Agent,
                x.Eligible, Math.Round(x.Score, 3), x.Load, x.Capacity, x.Excluded))]);
        var traceJson = trace is null ? row.RouteTrace : (trace with { Assignment = assignment }).ToJson();
        if (trace is not null)
        {
            await conn.ExecuteCachedAsync("UPDATE conversations SET route_trace = @t WHERE id = @id", new { t = traceJson, id = row.Id }, tx);
        }
        await AuditLog.WriteAsync(conn, tx, AuditEntry.BySystem(ctx.Actor, chosen is null ? "conversation.hold" : "conversation.assign", "conversation",
            row.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), new { assignee = row.AssigneeId },
            new { assignee = chosen, reason = assignment.Reason }), ctx.Time);
        ctx.Touched.Add(row.Id);
        return new(chosen, chosen is { } x
            ? row with { AssigneeId = x, HoldingSince = null, RouteTrace = traceJson }
            : row with { HoldingSince = exclude is null ? row.HoldingSince ?? nowMs : row.HoldingSince, RouteTrace = traceJson });
    }

    /// <summary>
    /// Offers held conversations (oldest first) to the agents now eligible: called when an agent comes online or
    /// frees capacity, and by the scheduler's safety sweep. Stops at <paramref name="limit"/> per call.
    /// </summary>
    public static async Task<int> ReevaluateHoldingAsync(DbConnection conn, DbTransaction tx, SlaContext ctx, IReadOnlyCollection<string>? teams, int limit = 200)
    {
        var held = (await conn.QueryAsync<(long Id, string Slug)>(
            """
            SELECT c.id, t.slug FROM conversations c JOIN teams t ON t.id = c.team_id
            WHERE c.holding_since IS NOT NULL AND c.status <> 'resolved' AND c.assignee_id IS NULL
            ORDER BY c.holding_since, c.id LIMIT @limit
            """, new { limit }, tx)).Where(h => teams is null || teams.Contains(h.Slug)).ToList();
        var assigned = 0;
        foreach (var (id, _) in held)
        {
            if (await ConversationRuntime.AssignHeldAsync(conn, tx, ctx, id))
                assigned++;
        }
        return assigned;
    }
}
