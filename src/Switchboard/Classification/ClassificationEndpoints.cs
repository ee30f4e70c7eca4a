using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Switchboard.Api;
using Switchboard.Auth;
using Switchboard.Classification.Corrections;
using Switchboard.Classification.Models;
using Switchboard.Inbox;
using Switchboard.Storage;

namespace Switchboard.Classification;

internal sealed record LabelRequest(string? Label, string? Value);

/// <summary>
/// Corrections, models, retraining and accuracy over HTTP: the JSON API under /api (bearer token or cookie), and the
/// form posts of the conversation view and the /classification page (cookie + antiforgery token).
/// </summary>
internal static class ClassificationEndpoints
{
    public static void MapClassificationApi(this RouteGroupBuilder api)
    {
        var messages = api.MapGroup("/messages").WithTags("Classification");
        messages.MapGet("/{id:long}/labels", GetLabelsAsync).WithSummary("A message's labels: value, score, explanation, allowed values, latest human review");
        messages.MapPost("/{id:long}/labels", CorrectAsync).Accepts<LabelRequest>("application/json").WithSummary("Correct (or confirm) one label of a message: JSON {label, value}");

        var models = api.MapGroup("/models").WithTags("Classification");
        models.MapGet("/", ListModelsAsync).WithSummary("Every model version, newest first per name");
        models.MapPost("/", UploadModelAsync).WithSummary("Upload a model file (body: the file's bytes) as the active version of ?name=")
            .Accepts<byte[]>("application/octet-stream");
        models.MapPost("/{name}/retrain", RetrainAsync).WithSummary("Retrain a label set from human labels; activated only if at least as accurate");

        api.MapGet("/classification/accuracy", AccuracyAsync).WithTags("Classification")
            .WithSummary("Per label and week: labelled, corrections, confirmations, reviewed accuracy; model versions; retraining history");
    }

    public static void MapClassificationForms(this WebApplication app)
    {
        var forms = app.MapGroup("").RequireAuthorization().ExcludeFromDescription();
        forms.MapPost("/inbox/messages/{id:long}/labels", CorrectFormAsync);
        forms.MapPost("/classification/retrain", RetrainFormAsync);
        forms.MapPost("/classification/models", UploadFormAsync);
    }

    internal static async Task<Results<Ok<MessageLabelsDto>, NotFound<ProblemDetailsDto>>> GetLabelsAsync(
        long id, ClaimsPrincipal user, Database db, CancellationToken ct)
    {
        await using var conn = await db.OpenAsync(ct);
        var labels = await LabelViews.ForMessageAsync(conn, user, id, ct);
        return labels is null ? TypedResults.NotFound(new ProblemDetailsDto(404, $"no message {id}")) : TypedResults.Ok(labels);
    }

    internal static async Task<IResult> CorrectAsync(long id, HttpRequest request, ClaimsPrincipal user, Database db, InboxFeed feed,
        TimeProvider time, CancellationToken ct)
    {
        LabelRequest? body;
        try
        {
            body = await request.ReadFromJsonAsync<LabelRequest>(ct);
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException or BadHttpRequestException)
        {
            return Problems.BadRequest("the body must be JSON {\"label\": \"sentiment\", \"value\": \"negative\"}");
        }

        var r = await LabelCorrections.ApplyAsync(db, user, id, body?.Label, body?.Value, time, ct);
        return ToResult(r, feed);
    }

    private static IResult ToResult(CorrectionResult r, InboxFeed feed)
    {
        switch (r.Status)
        {
            case CorrectionStatus.Stored:
                feed.Publish([r.Correction!.ConversationId]);
                return TypedResults.Ok(r.Correction);
            case CorrectionStatus.Forbidden:
                return TypedResults.Problem(detail: r.Error, statusCode: StatusCodes.Status403Forbidden, title: "Forbidden");
            case CorrectionStatus.NotFound:
                return TypedResults.NotFound(new ProblemDetailsDto(404, r.Error!));
            default:
                return Problems.BadRequest(r.Error!);
        }
    }

    internal static async Task<IResult> ListModelsAsync(ClaimsPrincipal user, Database db, CancellationToken ct)
    {
        if (!LabelScope.CanSeeAccuracy(user))
        {
            return Forbidden("only managers, admins and analysts see models");
        }

        await using var conn = await db.OpenAsync(ct);
        return TypedResults.Ok(await ModelStore.ListAsync(conn, ct));
    }

    internal static async Task<IResult> UploadModelAsync(string? name, HttpRequest request, ClaimsPrincipal user, Database db, TimeProvider time,
        CancellationToken ct)
    {
        if (!LabelScope.CanManageModels(user))
        {
            return Forbidden("only managers and admins import models");
        }

        byte[] bytes;
        try
        {
            using var ms = new MemoryStream();
            await request.Body.CopyToAsync(ms, ct);
            bytes = ms.ToArray();
        }
        catch (BadHttpRequestException e)
        {
            return Problems.BadRequest("could not read the model file: " + e.Message);
        }

        var r = await ModelStore.ImportAsync(db, name, bytes, ModelActor.Of(user), time, ct);
        return r.Model is null ? Problems.BadRequest(r.Error!) : TypedResults.Ok(r.Model);
    }

    internal static async Task<IResult> RetrainAsync(string name, ClaimsPrincipal user, Database db, TimeProvider time, CancellationToken ct)
    {
        if (!LabelScope.CanManageModels(user))
        {
            return Forbidden("only managers and admins retrain models");
        }

        var r = await Retraining.RunAsync(db, name, "manual", ModelActor.Of(user), time, ct);
        return r.Attempt is null ? Problems.BadRequest(r.Error!) : TypedResults.Ok(r.Attempt);
    }

    internal static async Task<IResult> AccuracyAsync(ClaimsPrincipal user, Database db, int? weeks, CancellationToken ct)
    {
        if (!LabelScope.CanSeeAccuracy(user))
        {
            return Forbidden("only managers, admins and analysts see classification accuracy");
        }

        if (weeks is < 1 or > 520)
        {
            return Problems.BadRequest("weeks must be between 1 and 520");
        }

        await using var conn = await db.OpenAsync(ct);
        return TypedResults.Ok(await AccuracyReport.LoadAsync(conn, weeks ?? 12, ct));
    }

    // The conversation view's one-click menus post here; the page reloads at the message (no script needed).
    private static async Task<IResult> CorrectFormAsync(long id, [FromForm] string? label, [FromForm] string? value, ClaimsPrincipal user,
        Database db, InboxFeed feed, TimeProvider time, CancellationToken ct)
    {
        var r = await LabelCorrections.ApplyAsync(db, user, id, label, value, time, ct);
        if (r.Status != CorrectionStatus.Stored)
        {
            return ToResult(r, feed);
        }

        feed.Publish([r.Correction!.ConversationId]);
        return Results.LocalRedirect($"/conversations/{r.Correction.ConversationId}#m{id}");
    }

    private static async Task<IResult> RetrainFormAsync([FromForm] string? name, ClaimsPrincipal user, Database db, TimeProvider time, CancellationToken ct)
    {
        if (!LabelScope.CanManageModels(user))
        {
            return Forbidden("only managers and admins retrain models");
        }

        var r = await Retraining.RunAsync(db, name, "manual", ModelActor.Of(user), time, ct);
        return Results.LocalRedirect("/classification?" + (r.Attempt is { } a
            ? "notice=" + Uri.EscapeDataString($"{a.Name}: {a.Outcome} — {a.Reason}")
            : "error=" + Uri.EscapeDataString(r.Error!)));
    }

    private static async Task<IResult> UploadFormAsync([FromForm] string? name, IFormFile? file, ClaimsPrincipal user, Database db, TimeProvider time,
        CancellationToken ct)
    {
        if (!LabelScope.CanManageModels(user))
        {
            return Forbidden("only managers and admins import models");
        }

        if (file is null)
        {
            return Results.LocalRedirect("/classification?error=" + Uri.EscapeDataString("choose a model file to upload"));
        }

        using var ms = new MemoryStream();
        await file.CopyToAsync(ms, ct);
        var r = await ModelStore.ImportAsync(db, name?.Trim(), ms.ToArray(), ModelActor.Of(user), time, ct);
        return Results.LocalRedirect("/classification?" + (r.Model is { } m
            ? "notice=" + Uri.EscapeDataString($"{m.Name} v{m.Version} imported and active")
            : "error=" + Uri.EscapeDataString(r.Error!)));
    }

    private static IResult Forbidden(string reason) =>
        TypedResults.Problem(detail: reason, statusCode: StatusCodes.Status403Forbidden, title: "Forbidden");
}
