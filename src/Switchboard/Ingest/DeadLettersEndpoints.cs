using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Switchboard.Auth;
using Switchboard.Storage;

namespace Switchboard.Ingest;

/// <summary>
/// Dead letters for admins: the API (list, retry, discard; a post's key goes in the query string because ids can hold
/// any character) and the /channels page's form posts, which redirect back with the outcome.
/// </summary>
internal static class DeadLettersEndpoints
{
    public static void MapDeadLetters(this WebApplication app, RouteGroupBuilder api)
    {
        var group = api.MapGroup("/dead-letters").WithTags("Ingest").RequireAuthorization(Policies.Admin);
        group.MapGet("/", async (Database db, CancellationToken ct) => TypedResults.Ok(await DeadLetters.ListAsync(db, ct)))
            .WithSummary("Posts that failed on their own (newest first, 200 at most); parked ones are no longer redelivered");
        group.MapPost("/retry", async Task<Results<Ok<DeadLetterResult>, ProblemHttpResult>> (
                string? channel, string? id, HttpContext ctx, Database db, IngestQueue queue, TimeProvider time) =>
                ToHttp(await DeadLetterActions.RetryAsync(db, queue, time, ctx.User, channel, id, ctx.RequestAborted)))
            .WithSummary("Send a dead letter's post through ingest again; removed when stored, kept with the new error when it fails");
        group.MapDelete("/", async Task<Results<Ok<DeadLetterResult>, ProblemHttpResult>> (
                string? channel, string? id, HttpContext ctx, Database db, TimeProvider time) =>
                ToHttp(await DeadLetterActions.DiscardAsync(db, time, ctx.User, channel, id, ctx.RequestAborted)))
            .WithSummary("Discard a dead letter (audited with the post)");

        var page = app.MapGroup("/channels/dead-letters").RequireAuthorization(Policies.Admin).ExcludeFromDescription();
        page.MapPost("/retry", async ([FromForm] string? channel, [FromForm] string? id, HttpContext ctx, Database db, IngestQueue queue, TimeProvider time) =>
            Back(await DeadLetterActions.RetryAsync(db, queue, time, ctx.User, channel, id, ctx.RequestAborted)));
        page.MapPost("/discard", async ([FromForm] string? channel, [FromForm] string? id, HttpContext ctx, Database db, TimeProvider time) =>
            Back(await DeadLetterActions.DiscardAsync(db, time, ctx.User, channel, id, ctx.RequestAborted)));
    }

    private static Results<Ok<DeadLetterResult>, ProblemHttpResult> ToHttp(DeadLetterResult r) =>
        r.Ok ? TypedResults.Ok(r) : TypedResults.Problem(detail: r.Message, statusCode: r.Status);

    private static IResult Back(DeadLetterResult r) =>
        Results.LocalRedirect(r.Ok
            ? "/channels?dead=" + Uri.EscapeDataString(r.Message) + "#dead-letters"
            : "/channels?error=" + Uri.EscapeDataString(r.Message) + "#dead-letters");
}
