using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

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

        // The forms of the conversation view and the expert's page; same checks as the API, then back to the page.
        var ui = app.MapGroup("/handover").RequireAuthorization().ExcludeFromDescription();
        ui.MapPost("/ask/{conversationId:long}", async (long conversationId, [FromForm] string? expert, [FromForm] string? question, ClaimsPrincipal user, HandoverStore s, CancellationToken ct) =>
        {
            var parts = (expert ?? "").Split('|', 2);
            long? expertId = long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var e) ? e : null;
            var result = await s.AskAsync(user, conversationId, new AskExpertRequest(expertId, question, parts.Length > 1 ? parts[1] : null), ct);
            return Back(result, $"/conversations/{conversationId}", "Asked the expert.");
        });
        ui.MapPost("/{handoverId:long}/cancel", async (long handoverId, ClaimsPrincipal user, HandoverStore s, Storage.Database db, CancellationToken ct) =>
        {
            var result = await s.CancelAsync(user, handoverId, ct);
            return result is IValueHttpResult { Value: HandoverDto h } ? Results.LocalRedirect($"/conversations/{h.ConversationId}") : Back(result, "/", "");
        });
        // The expert's page follows the conversation: handover.js fetches this when the inbox feed names it.
        ui.MapGet("/{handoverId:long}/live", async Task<IResult> (long handoverId, ClaimsPrincipal user, HandoverStore s, CancellationToken ct) =>
            await s.ViewAsync(user, handoverId, ct) is { } view
                ? new RazorComponentResult<Components.HandoverLive>(new { View = view })
                : Results.NotFound());
        ui.MapPost("/{handoverId:long}/answer", async (long handoverId, [FromForm] string? answer, ClaimsPrincipal user, HandoverStore s, CancellationToken ct) =>
            Back(await s.AnswerAsync(user, handoverId, new AnswerRequest(answer), ct), $"/handovers/{handoverId}", "Answer sent to the agent's draft."));
        ui.MapPost("/{handoverId:long}/decline", async (long handoverId, [FromForm] string? reason, ClaimsPrincipal user, HandoverStore s, CancellationToken ct) =>
            Back(await s.DeclineAsync(user, handoverId, new DeclineRequest(reason), ct), $"/handovers/{handoverId}", "Declined."));
    }

    /// <summary>404/403 stay what they are (no redirect confirming an id); other outcomes go back to the page with a message.</summary>
    private static IResult Back(IResult result, string page, string done)
    {
        if (result is IStatusCodeHttpResult { StatusCode: StatusCodes.Status404NotFound or StatusCodes.Status403Forbidden } refused)
        {
            return Results.StatusCode(refused.StatusCode!.Value);
        }

        var ok = result is IStatusCodeHttpResult { StatusCode: >= 200 and < 300 };
        var detail = result is ProblemHttpResult p ? p.ProblemDetails.Detail ?? "refused" : "refused";
        return Results.LocalRedirect(page + (ok ? "?done=" + Uri.EscapeDataString(done) : "?error=" + Uri.EscapeDataString(detail)));
    }
}
