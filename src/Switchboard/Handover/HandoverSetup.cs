using System.Security.Claims;

namespace Switchboard.Handover;

/// <summary>Hand-over to an internal expert: services, the timer, the API (under /api with its policy) and the UI.</summary>
internal static class HandoverSetup
{
    public static void AddHandover(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton(HandoverOptions.FromEnvironment());
        builder.Services.AddSingleton<HandoverStore>();
        builder.Services.AddSingleton<HandoverClock>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<HandoverClock>());
    }

    public static void MapHandover(this WebApplication app, RouteGroupBuilder api)
    {
        var experts = api.MapGroup("/experts").WithTags("Hand-over");
        experts.MapGet("/", async (HandoverStore s, Storage.Database db, CancellationToken ct) =>
        {
            await using var conn = await db.OpenAsync(ct);
            return Results.Ok(await s.ExpertsAsync(conn));
        }).WithSummary("Users flagged as experts, with their areas (whom an agent may ask)");
        experts.MapPut("/{userId:long}", (long userId, SetExpertRequest body, ClaimsPrincipal user, HandoverStore s, CancellationToken ct) => s.SetExpertAsync(user, userId, body, ct))
            .WithSummary("Flag a user as an expert with their areas (admins and managers)");
        experts.MapDelete("/{userId:long}", (long userId, ClaimsPrincipal user, HandoverStore s, CancellationToken ct) => s.RemoveExpertAsync(user, userId, ct))
            .WithSummary("Stop offering a user as an expert (open hand-overs stay theirs)");

        var conv = api.MapGroup("/conversations/{id:long}/handovers").WithTags("Hand-over");
        conv.MapGet("/", (long id, ClaimsPrincipal user, HandoverStore s, CancellationToken ct) => s.ListForConversationAsync(user, id, ct))
            .WithSummary("Hand-overs of a conversation");
        conv.MapPost("/", (long id, AskExpertRequest body, ClaimsPrincipal user, HandoverStore s, CancellationToken ct) => s.AskAsync(user, id, body, ct))
            .WithSummary("Ask an expert about this conversation; the hand-over's due time follows the team's business calendar");

        var h = api.MapGroup("/handovers").WithTags("Hand-over");
        h.MapGet("/", async (ClaimsPrincipal user, HandoverStore s, CancellationToken ct) => Results.Ok(await s.MineAsync(user, ct)))
            .WithSummary("Hand-overs I asked or that are addressed to me");
        h.MapGet("/{handoverId:long}", (long handoverId, ClaimsPrincipal user, HandoverStore s, CancellationToken ct) => s.GetAsync(user, handoverId, ct))
            .WithSummary("A hand-over with its conversation's thread (the expert's only view of the conversation)");
        h.MapPost("/{handoverId:long}/answer", (long handoverId, AnswerRequest body, ClaimsPrincipal user, HandoverStore s, CancellationToken ct) => s.AnswerAsync(user, handoverId, body, ct))
            .WithSummary("The expert answers: the answer lands in the asking agent's draft, never directly with the customer");
        h.MapPost("/{handoverId:long}/decline", (long handoverId, DeclineRequest body, ClaimsPrincipal user, HandoverStore s, CancellationToken ct) => s.DeclineAsync(user, handoverId, body, ct))
            .WithSummary("The expert declines with a reason");
        h.MapPost("/{handoverId:long}/cancel", (long handoverId, ClaimsPrincipal user, HandoverStore s, CancellationToken ct) => s.CancelAsync(user, handoverId, ct))
            .WithSummary("The asking agent (or a manager of the team) cancels an open hand-over");
    }
}
