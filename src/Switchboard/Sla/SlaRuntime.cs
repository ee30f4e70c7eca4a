using System.Data.Common;
using System.Security.Claims;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Switchboard.Api;
using Switchboard.Audit;
using Switchboard.Auth;
using Switchboard.Inbox;
using Switchboard.Routing;
using Switchboard.Storage;

namespace Switchboard.Sla;

/// <summary>The effectful side of the conversation actions and availability, shared by the API and the inbox forms.</summary>
internal sealed class SlaRuntime(Database db, ActiveRules rules, SlaSignal signal, InboxFeed feed, TimeProvider time)
{
    async Task<DbTransaction> BeginAsync(DbConnection conn, CancellationToken ct) =>
        db.IsSqlite && conn is Microsoft.Data.Sqlite.SqliteConnection s ? s.BeginTransaction(deferred: false) : await conn.BeginTransactionAsync(ct);

    void Committed(SlaContext ctx) => ctx.Announce(signal, feed);

    public async Task<Results<Ok<ConversationSlaDto>, NotFound<ProblemDetailsDto>, ProblemHttpResult>> ActAsync(long id, ClaimsPrincipal user, string action,
        CancellationToken ct)
    {
        for (var attempt = 0; attempt < 3; attempt++)
        {
            await using var conn = await db.OpenAsync(ct);
            await using var tx = await BeginAsync(conn, ct);
            var row = await ConversationRow.LoadAsync(db, conn, tx, id);
            // The inbox's scope decides who sees it; acting on it also takes a role that writes.
            var scope = await AccessScope.LoadAsync(conn, user, tx);
            if (row is null || !await scope.SeesAsync(conn, id, tx))
                return TypedResults.NotFound(new ProblemDetailsDto(404, $"no conversation {id}"));
            if (!scope.CanWrite)
                return TypedResults.Problem(detail: "your role reads conversations but does not act on them", statusCode: StatusCodes.Status403Forbidden, title: "Forbidden");
            var ctx = await SlaContext.CreateAsync(db, conn, tx, rules, time, "api", ct);
            var now = time.GetUtcNow();
            var nowMs = now.ToUnixTimeMilliseconds();
            var who = user.FindFirstValue(ClaimTypes.Email);
            ConversationEvent ev;
            string newStatus;
            switch (action)
            {
                case "acknowledge":
                    ev = new Acknowledged(now, who);
                    newStatus = row.Status;
                    await conn.ExecuteAsync("UPDATE conversations SET acknowledged_at = @now, updated_at = @now WHERE id = @id", new { now = nowMs, id }, tx);
                    break;
                case "resolve":
                    if (row.Status == "resolved")
                        return Problems.BadRequest($"conversation {id} is already resolved");
                    ev = new Resolved(now, who);
                    newStatus = "resolved";
                    break;
                default:
                    if (row.Status != "resolved")
                        return Problems.BadRequest($"conversation {id} is not resolved");
                    // Reopening owes the customer an answer again, exactly as if they had written.
                    ev = new CustomerMessaged(now);
                    newStatus = "open";
                    break;
            }
            if (newStatus != row.Status)
            {
                await conn.ExecuteAsync("UPDATE conversations SET status = @s, holding_since = CASE WHEN @s = 'resolved' THEN NULL ELSE holding_since END, resolved_at = CASE WHEN @s = 'resolved' THEN @now END, updated_at = @now WHERE id = @id",
                    new { s = newStatus, now = nowMs, id }, tx);
            }
            await AuditLog.WriteAsync(conn, tx, AuditEntry.By(user, "conversation." + action, "conversation", id.ToString(System.Globalization.CultureInfo.InvariantCulture),
                new { status = row.Status }, new { status = newStatus }), time);
            if (!await ApplyClockAsync(conn, tx, ctx, row, ev, now))
            {
                await tx.RollbackAsync(ct);
                continue;
            }
            await tx.CommitAsync(ct);
            Committed(ctx);
            return TypedResults.Ok((await SlaEndpoints.LoadAsync(conn, id))!);
        }
        return Problems.BadRequest($"conversation {id} changed concurrently; try again");
    }

    /// <summary>
    /// Brings the SLA clocks in line after another path (the inbox's forms, API and bulk actions) already changed the
    /// conversation: a resolve stops the clocks and frees capacity, a reopen owes the customer an answer again, a
    /// snooze pauses the clocks until it ends (the scheduler wakes the conversation then), and an assignment or
    /// transfer restarts the assignee's reply timeout and, in another team, applies that team's policy. Without this a
    /// conversation resolved or snoozed from the inbox would keep its clocks running — the peers' bug this product avoids.
    /// </summary>
    public async Task SyncAsync(long id, ConversationAction action, ClaimsPrincipal user, CancellationToken ct)
    {
        for (var attempt = 0; attempt < 3; attempt++)
        {
            await using var conn = await db.OpenAsync(ct);
            await using var tx = await BeginAsync(conn, ct);
            var row = await ConversationRow.LoadAsync(db, conn, tx, id);
            if (row is null)
                return;
            var ctx = await SlaContext.CreateAsync(db, conn, tx, rules, time, "inbox", ct);
            var now = time.GetUtcNow();
            ConversationEvent? ev = action switch
            {
                ConversationAction.Resolve => new Resolved(now, user.FindFirstValue(ClaimTypes.Email)),
                ConversationAction.Reopen => new CustomerMessaged(now),
                ConversationAction.Snooze z => new Snoozed(now, z.Until),
                ConversationAction.Assign when row.TeamSlug is not null && row.SlaState is not null =>
                    new Assigned(now, row.TeamSlug, row.AssigneeId is { } a ? AgentDirectory.Key(a) : null),
                _ => null,
            };
            if (ev is null)
                return;
            if (!await ApplyClockAsync(conn, tx, ctx, row, ev, now))
            {
                await tx.RollbackAsync(ct);
                continue;
            }
            await tx.CommitAsync(ct);
            Committed(ctx);
            return;
        }
    }

    /// <summary>
    /// Runs one event through the conversation's clocks (starting them first for a conversation routed before it had
    /// any) and, on a resolve, offers the freed capacity to the holding queue: the oldest held conversations of the
    /// assignee's teams may now fit. False when the clock changed concurrently: the caller rolls back and retries.
    /// </summary>
    static async Task<bool> ApplyClockAsync(DbConnection conn, DbTransaction tx, SlaContext ctx, ConversationRow row, ConversationEvent ev, DateTimeOffset now)
    {
        var events = new List<ConversationEvent>();
        if (row.SlaState is null && row.TeamSlug is not null)
            events.Add(new Assigned(now, row.TeamSlug, row.AssigneeId is { } x ? AgentDirectory.Key(x) : null));
        events.Add(ev);
        if (!await ConversationRuntime.ApplyAsync(conn, tx, ctx, row, events))
            return false;
        if (ev is Resolved && row.AssigneeId is { } freed && ctx.Agents.ById.TryGetValue(freed, out var agent))
        {
            ctx.Agents.Freed(freed);
            await Assignments.ReevaluateHoldingAsync(conn, tx, ctx, agent.Teams.ToHashSet());
        }
        return true;
    }

    /// <summary>
    /// Offers the holding queues of <paramref name="teams"/> to their members again: called when a person got a new team
    /// seat or more capacity, so a waiting conversation does not wait for the next agent to come online.
    /// </summary>
    public async Task<int> OfferHoldingAsync(IReadOnlySet<string> teams, CancellationToken ct)
    {
        await using var conn = await db.OpenAsync(ct);
        await using var tx = await BeginAsync(conn, ct);
        var ctx = await SlaContext.CreateAsync(db, conn, tx, rules, time, "people", ct);
        var assigned = await Assignments.ReevaluateHoldingAsync(conn, tx, ctx, teams.ToHashSet());
        await tx.CommitAsync(ct);
        Committed(ctx);
        return assigned;
    }

    public async Task<Results<Ok<AvailabilityDto>, ProblemHttpResult>> AvailabilityAsync(AvailabilityRequest? body, ClaimsPrincipal user, CancellationToken ct)
    {
        if (body is null)
            return Problems.BadRequest("expected a JSON body {\"available\": true|false}");
        var uid = user.UserId();
        if (uid <= 0)
            return Problems.BadRequest("only a signed-in user has an availability");
        await using var conn = await db.OpenAsync(ct);
        await using var tx = await BeginAsync(conn, ct);
        var nowMs = time.GetUtcNow().ToUnixTimeMilliseconds();
        var before = await conn.ExecuteScalarAsync<long>("SELECT available FROM users WHERE id = @uid", new { uid }, tx);
        await conn.ExecuteAsync("UPDATE users SET available = @a, last_seen_at = @now WHERE id = @uid", new { a = body.Available ? 1 : 0, now = nowMs, uid }, tx);
        await AuditLog.WriteAsync(conn, tx, AuditEntry.By(user, "user.availability", "user", uid.ToString(System.Globalization.CultureInfo.InvariantCulture),
            new { available = before == 1 }, new { available = body.Available }), time);
        var assigned = 0;
        SlaContext? ctx = null;
        if (body.Available)
        {
            ctx = await SlaContext.CreateAsync(db, conn, tx, rules, time, "availability", ct);
            var teams = ctx.Agents.ById.TryGetValue(uid, out var me) ? me.Teams.ToHashSet() : [];
            if (teams.Count > 0)
                assigned = await Assignments.ReevaluateHoldingAsync(conn, tx, ctx, teams);
        }
        await tx.CommitAsync(ct);
        if (ctx is not null)
            Committed(ctx);
        return TypedResults.Ok(new AvailabilityDto(uid, body.Available, assigned));
    }
}
