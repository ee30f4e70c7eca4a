using Microsoft.AspNetCore.Mvc;
using Switchboard.Api;
using Switchboard.Auth;
using Switchboard.Storage;

namespace Switchboard.Inbox;

internal sealed record LabelRequest(string? Label);

internal sealed record LabelsResponse(long ConversationId, IReadOnlyList<string> Labels);

/// <summary>
/// Conversation labels over HTTP: a form for the conversation view (add, or remove with `remove`), the JSON API, and
/// the bulk "label" / "unlabel" actions (called from the inbox's bulk endpoint).
/// </summary>
internal static class ConversationLabelsEndpoints
{
    public static void MapConversationLabels(this WebApplication app)
    {
        app.MapPost("/inbox/conversations/{id:long}/labels", async ([FromRoute] long id, [FromForm] string? label, [FromForm] string? remove,
            [FromForm] string? returnUrl, HttpContext ctx, Database db, InboxFeed feed, TimeProvider time) =>
        {
            var r = await RunAsync(id, remove ?? label, remove is null, ctx, db, feed, time);
            var back = Local(returnUrl) ?? $"/conversations/{id}";
            return r.Outcome switch
            {
                ActionOutcome.Done => Results.LocalRedirect(back),
                ActionOutcome.NotFound => Results.NotFound(),
                ActionOutcome.Forbidden => Results.StatusCode(StatusCodes.Status403Forbidden),
                _ => Results.LocalRedirect(back + (back.Contains('?', StringComparison.Ordinal) ? "&" : "?") + "notice=" + Uri.EscapeDataString(r.Error ?? "invalid")),
            };
        }).RequireAuthorization(Policies.InboxWrite).ExcludeFromDescription();

        var api = app.MapGroup("/api/inbox/conversations/{id:long}/labels").RequireAuthorization(AuthSetup.ApiPolicy).WithTags("Inbox");
        api.MapPost("/", async ([FromRoute] long id, LabelRequest? body, HttpContext ctx, Database db, InboxFeed feed, TimeProvider time) =>
            await ToHttpAsync(await RunAsync(id, body?.Label, true, ctx, db, feed, time), db, ctx))
            .RequireAuthorization(Policies.InboxWrite).WithSummary("Add a label to a conversation (lower-cased; at most 40 characters, 20 a conversation)");
        api.MapDelete("/{label}", async ([FromRoute] long id, [FromRoute] string label, HttpContext ctx, Database db, InboxFeed feed, TimeProvider time) =>
            await ToHttpAsync(await RunAsync(id, label, false, ctx, db, feed, time), db, ctx))
            .RequireAuthorization(Policies.InboxWrite).WithSummary("Remove a label from a conversation");
    }

    /// <summary>Adds or removes one label on up to 200 conversations in one transaction; each id is checked against the scope.</summary>
    public static async Task<BulkResponse> BulkAsync(IReadOnlyList<long> ids, string? label, bool add, HttpContext ctx, Database db, InboxFeed feed, TimeProvider time)
    {
        if (ConversationLabel.Normalize(label).Error is { } error)
            return new BulkResponse([], error);
        await using var conn = await db.OpenAsync(ctx.RequestAborted);
        await using var tx = await conn.BeginTransactionAsync(ctx.RequestAborted);
        var scope = await AccessScope.LoadAsync(conn, ctx.User, tx);
        var results = new List<ActionResult>();
        foreach (var id in ids.Distinct())
            results.Add(await ConversationLabels.ChangeAsync(conn, tx, scope, ctx.User, id, label, add, time, ctx.RequestAborted));
        await tx.CommitAsync(ctx.RequestAborted);
        feed.Publish([.. results.Where(r => r.Outcome == ActionOutcome.Done).Select(r => r.ConversationId)]);
        return new BulkResponse(results, null);
    }

    static async Task<ActionResult> RunAsync(long id, string? label, bool add, HttpContext ctx, Database db, InboxFeed feed, TimeProvider time)
    {
        await using var conn = await db.OpenAsync(ctx.RequestAborted);
        await using var tx = await conn.BeginTransactionAsync(ctx.RequestAborted);
        var scope = await AccessScope.LoadAsync(conn, ctx.User, tx);
        var result = await ConversationLabels.ChangeAsync(conn, tx, scope, ctx.User, id, label, add, time, ctx.RequestAborted);
        if (result.Outcome == ActionOutcome.Done)
        {
            await tx.CommitAsync(ctx.RequestAborted);
            feed.Publish([id]);
        }

        return result;
    }

    static async Task<IResult> ToHttpAsync(ActionResult r, Database db, HttpContext ctx)
    {
        switch (r.Outcome)
        {
            case ActionOutcome.Done:
                await using (var conn = await db.OpenAsync(ctx.RequestAborted))
                    return TypedResults.Ok(new LabelsResponse(r.ConversationId, await ConversationLabels.ListAsync(conn, null, r.ConversationId, ctx.RequestAborted)));
            case ActionOutcome.NotFound:
                return TypedResults.NotFound(new ProblemDetailsDto(404, r.Error ?? "not found"));
            case ActionOutcome.Forbidden:
                return TypedResults.Problem(detail: r.Error, statusCode: StatusCodes.Status403Forbidden, title: "Forbidden");
            default:
                return Problems.BadRequest(r.Error ?? "invalid");
        }
    }

    static string? Local(string? url) =>
        !string.IsNullOrEmpty(url) && url.StartsWith('/') && !url.StartsWith("//", StringComparison.Ordinal) && !url.StartsWith("/\\", StringComparison.Ordinal) ? url : null;
}
