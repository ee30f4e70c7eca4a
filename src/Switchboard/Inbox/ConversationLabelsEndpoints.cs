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
            InboxActionsSetup.FormOutcome((await RunAsync(id, remove ?? label, remove is null, ctx, db, feed, time)).Result, returnUrl))
            .RequireAuthorization(Policies.InboxWrite).ExcludeFromDescription();

        var api = app.MapGroup("/api/inbox/conversations/{id:long}/labels").RequireAuthorization(AuthSetup.ApiPolicy).WithTags("Inbox");
        api.MapPost("/", async ([FromRoute] long id, LabelRequest? body, HttpContext ctx, Database db, InboxFeed feed, TimeProvider time) =>
            ToHttp(await RunAsync(id, body?.Label, true, ctx, db, feed, time)))
            .RequireAuthorization(Policies.InboxWrite).WithSummary("Add a label to a conversation (lower-cased; at most 40 characters, 20 a conversation)");
        api.MapDelete("/{label}", async ([FromRoute] long id, [FromRoute] string label, HttpContext ctx, Database db, InboxFeed feed, TimeProvider time) =>
            ToHttp(await RunAsync(id, label, false, ctx, db, feed, time)))
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

    /// <summary>One change in its own transaction; the labels it leaves are read before the commit, on the same connection.</summary>
    static async Task<(ActionResult Result, IReadOnlyList<string> Labels)> RunAsync(long id, string? label, bool add, HttpContext ctx, Database db,
        InboxFeed feed, TimeProvider time)
    {
        await using var conn = await db.OpenAsync(ctx.RequestAborted);
        await using var tx = await conn.BeginTransactionAsync(ctx.RequestAborted);
        var scope = await AccessScope.LoadAsync(conn, ctx.User, tx);
        var result = await ConversationLabels.ChangeAsync(conn, tx, scope, ctx.User, id, label, add, time, ctx.RequestAborted);
        if (result.Outcome != ActionOutcome.Done)
            return (result, []);
        var labels = await ConversationLabels.ListAsync(conn, tx, id, ctx.RequestAborted);
        await tx.CommitAsync(ctx.RequestAborted);
        feed.Publish([id]);
        return (result, labels);
    }

    static IResult ToHttp((ActionResult Result, IReadOnlyList<string> Labels) r) =>
        r.Result.Outcome == ActionOutcome.Done
            ? TypedResults.Ok(new LabelsResponse(r.Result.ConversationId, r.Labels))
            : InboxActionsSetup.ToHttp(r.Result);
}
