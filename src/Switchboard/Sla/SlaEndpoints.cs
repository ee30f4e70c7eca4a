using System.Data.Common;
using System.Security.Claims;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Switchboard.Api;
using Switchboard.Auth;
using Switchboard.Routing;
using Switchboard.Storage;

namespace Switchboard.Sla;

internal sealed record ConversationSlaDto(long Id, string Status, long? AssigneeId, long EscalationLevel, DateTimeOffset? AcknowledgedAt,
    DateTimeOffset? FirstResponseDue, DateTimeOffset? NextResponseDue, DateTimeOffset? ResolutionDue, DateTimeOffset? NextDue, DateTimeOffset? HoldingSince,
    bool RequiresApproval, RouteTrace? Trace);

internal sealed record AvailabilityRequest(bool Available);

internal sealed record AvailabilityDto(long UserId, bool Available, int Assigned);

/// <summary>
/// Acknowledge (stops running ladders), resolve (stops the clocks), reopen, and an agent's own availability. Each runs
/// the clock in one transaction with its audit record; the conversation must be in the caller's inbox scope
/// (<see cref="AccessScope"/>, else 404, so guessing ids gives nothing) and the caller's role one that writes.
/// </summary>
internal static class SlaEndpoints
{
    public static RouteGroupBuilder MapConversationActionsApi(this RouteGroupBuilder api)
    {
        var g = api.MapGroup("/conversations").WithTags("Conversations");
        g.MapGet("/{id:long}/routing", GetAsync).WithSummary("Routing trace, SLA deadlines and escalation state of a conversation");
        g.MapPost("/{id:long}/acknowledge", (long id, ClaimsPrincipal user, SlaRuntime rt, CancellationToken ct) => rt.ActAsync(id, user, "acknowledge", ct))
            .WithSummary("Acknowledge the escalation: stops the running ladders");
        g.MapPost("/{id:long}/resolve", (long id, ClaimsPrincipal user, SlaRuntime rt, CancellationToken ct) => rt.ActAsync(id, user, "resolve", ct))
            .WithSummary("Resolve: stops the SLA clocks and frees the assignee's capacity");
        g.MapPost("/{id:long}/reopen", (long id, ClaimsPrincipal user, SlaRuntime rt, CancellationToken ct) => rt.ActAsync(id, user, "reopen", ct))
            .WithSummary("Reopen: a fresh resolution cycle and a response is owed again");
        api.MapPost("/me/availability", (AvailabilityRequest? body, ClaimsPrincipal user, SlaRuntime rt, CancellationToken ct) => rt.AvailabilityAsync(body, user, ct))
            .WithTags("Agents").WithSummary("Go online or offline for assignment; going online offers the holding queue");
        return api;
    }

    static async Task<Results<Ok<ConversationSlaDto>, NotFound<ProblemDetailsDto>>> GetAsync(long id, ClaimsPrincipal user, Database db, CancellationToken ct)
    {
        await using var conn = await db.OpenAsync(ct);
        if (!await (await AccessScope.LoadAsync(conn, user)).SeesAsync(conn, id))
            return TypedResults.NotFound(new ProblemDetailsDto(404, $"no conversation {id}"));
        return await LoadAsync(conn, id) is { } dto ? TypedResults.Ok(dto) : TypedResults.NotFound(new ProblemDetailsDto(404, $"no conversation {id}"));
    }

    sealed record Row(long Id, string Status, long? AssigneeId, long EscalationLevel, long? AcknowledgedAt, long? FirstResponseDueAt, long? NextResponseDueAt,
        long? ResolutionDueAt, long? NextDueAt, long? HoldingSince, long RequiresApproval, string? RouteTrace);

    static DateTimeOffset? T(long? ms) => ms is { } v ? DateTimeOffset.FromUnixTimeMilliseconds(v) : null;

    /// <summary>
    /// For panels of the conversation view: the SLA the view cascaded when it is this conversation's (one read for
    /// all panels), otherwise read here, so a panel also works on its own.
    /// </summary>
    internal static async Task<ConversationSlaDto?> ReuseOrLoadAsync(Database db, ConversationSlaDto? cascaded, long id)
    {
        if (cascaded?.Id == id)
            return cascaded;
        await using var conn = await db.OpenAsync();
        return await LoadAsync(conn, id);
    }

    internal static async Task<ConversationSlaDto?> LoadAsync(DbConnection conn, long id)
    {
        var r = await conn.QueryFirstOrDefaultAsync<Row>(
            """
            SELECT id AS Id, status AS Status, assignee_id AS AssigneeId, escalation_level AS EscalationLevel, acknowledged_at AS AcknowledgedAt,
              first_response_due_at AS FirstResponseDueAt, next_response_due_at AS NextResponseDueAt, resolution_due_at AS ResolutionDueAt,
              next_due_at AS NextDueAt, holding_since AS HoldingSince, requires_approval AS RequiresApproval, route_trace AS RouteTrace
            FROM conversations WHERE id = @id
            """, new { id });
        return r is null ? null : new ConversationSlaDto(r.Id, r.Status, r.AssigneeId, r.EscalationLevel, T(r.AcknowledgedAt), T(r.FirstResponseDueAt),
            T(r.NextResponseDueAt), T(r.ResolutionDueAt), T(r.NextDueAt), T(r.HoldingSince), r.RequiresApproval == 1, RouteTrace.Parse(r.RouteTrace));
    }
}
