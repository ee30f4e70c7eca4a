using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Switchboard.Storage;

namespace Switchboard.Listening;

/// <summary>A topic as the API shows it.</summary>
internal sealed record TopicDto(long Id, string Name, string Query, string Status, long Version, long MatchCount, bool Backfilling,
    double BackfillProgress, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public static TopicDto From(Topic t) => new(t.Id, t.Name, t.Query, t.Status, t.Version, t.MatchCount, t.Backfilling,
        Math.Round(t.BackfillProgress, 3), t.CreatedAt, t.UpdatedAt);
}

/// <summary>Body of POST /api/topics and PUT /api/topics/{id}.</summary>
internal sealed record TopicInput(string? Name, string? Query);

/// <summary>Body of POST /api/topics/preview.</summary>
internal sealed record PreviewRequest(string? Query, int? Limit);

/// <summary>
/// `/api/topics`: listening topics. Everyone signed in may read them and preview queries; only admins and managers
/// may change them. An invalid query is a 400 whose problem details carry `column` (1-based) and `reason`.
/// </summary>
internal static class TopicsApi
{
    public static void MapTopicsApi(this RouteGroupBuilder api)
    {
        var g = api.MapGroup("/topics").WithTags("Listening topics");
        g.MapGet("/", ListAsync).WithSummary("All listening topics with status, match count and backfill progress");
        g.MapPost("/", CreateAsync).WithSummary("Create a topic (admin, manager); its history is backfilled in the background");
        g.MapGet("/{id:long}", GetAsync).WithSummary("One topic");
        g.MapPut("/{id:long}", UpdateAsync).WithSummary("Rename and/or change the query (admin, manager); a new query is backfilled");
        g.MapDelete("/{id:long}", DeleteAsync).WithSummary("Delete a topic and its matches (admin, manager)");
        g.MapPost("/{id:long}/pause", (long id, ClaimsPrincipal user, TopicStore store, CancellationToken ct) =>
            SetStatusAsync(id, TopicStatus.Paused, user, store, ct)).WithSummary("Stop matching new posts (admin, manager)");
        g.MapPost("/{id:long}/resume", (long id, ClaimsPrincipal user, TopicStore store, CancellationToken ct) =>
            SetStatusAsync(id, TopicStatus.Active, user, store, ct)).WithSummary("Match new posts again (admin, manager)");
        g.MapPost("/preview", PreviewAsync)
            .WithSummary($"Evaluate a draft query on the {TopicPreview.Window} most recent posts: match count and highlighted matches");
    }

    /// <summary>Who may change topics (users.role).</summary>
    public static bool CanManage(ClaimsPrincipal user) => user.IsInRole("admin") || user.IsInRole("manager");

    private static ProblemHttpResult Forbidden() =>
        TypedResults.Problem("only admins and managers may change listening topics", statusCode: StatusCodes.Status403Forbidden, title: "Forbidden");

    private static async Task<Ok<TopicDto[]>> ListAsync(Database db, CancellationToken ct)
    {
        await using var conn = await db.OpenAsync(ct);
        return TypedResults.Ok((await TopicStore.ListAsync(conn, ct)).Select(TopicDto.From).ToArray());
    }

    private static async Task<Results<Ok<TopicDto>, ProblemHttpResult>> GetAsync(long id, Database db, CancellationToken ct)
    {
        await using var conn = await db.OpenAsync(ct);
        var topic = await TopicStore.GetAsync(conn, id, ct: ct);
        return topic is null ? NotFound(id) : TypedResults.Ok(TopicDto.From(topic));
    }

    private static async Task<Results<Created<TopicDto>, ProblemHttpResult>> CreateAsync(TopicInput? input, ClaimsPrincipal user, TopicStore store,
        CancellationToken ct)
    {
        if (!CanManage(user))
        {
            return Forbidden();
        }

        var result = await store.CreateAsync(user, input?.Name, input?.Query, ct);
        return result.Topic is { } t ? TypedResults.Created($"/api/topics/{t.Id}", TopicDto.From(t)) : Problem(result);
    }

    private static async Task<Results<Ok<TopicDto>, ProblemHttpResult>> UpdateAsync(long id, TopicInput? input, ClaimsPrincipal user, TopicStore store,
        CancellationToken ct)
    {
        if (!CanManage(user))
        {
            return Forbidden();
        }

        var result = await store.UpdateAsync(user, id, input?.Name, input?.Query, ct);
        return result.Topic is { } t ? TypedResults.Ok(TopicDto.From(t)) : Problem(result);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(long id, ClaimsPrincipal user, TopicStore store, CancellationToken ct)
    {
        if (!CanManage(user))
        {
            return Forbidden();
        }

        var result = await store.DeleteAsync(user, id, ct);
        return result.Topic is not null ? TypedResults.NoContent() : Problem(result);
    }

    private static async Task<Results<Ok<TopicDto>, ProblemHttpResult>> SetStatusAsync(long id, string status, ClaimsPrincipal user, TopicStore store,
        CancellationToken ct)
    {
        if (!CanManage(user))
        {
            return Forbidden();
        }

        var result = await store.SetStatusAsync(user, id, status, ct);
        return result.Topic is { } t ? TypedResults.Ok(TopicDto.From(t)) : Problem(result);
    }

    private static async Task<Results<Ok<PreviewResult>, ProblemHttpResult>> PreviewAsync(PreviewRequest? request, Database db, CancellationToken ct)
    {
        if (request?.Limit is < 0 or > TopicPreview.MaxShown)
        {
            return BadRequest($"limit must be between 0 and {TopicPreview.MaxShown}");
        }

        var parsed = QueryParser.Parse(request?.Query);
        if (parsed.Query is null)
        {
            return Problem(TopicResult.Invalid($"query: {parsed.Error}", parsed.Error));
        }

        await using var conn = await db.OpenAsync(ct);
        return TypedResults.Ok(await TopicPreview.RunAsync(conn, parsed.Query, request?.Limit ?? 20, ct));
    }

    private static ProblemHttpResult NotFound(long id) =>
        TypedResults.Problem($"no topic {id}", statusCode: StatusCodes.Status404NotFound, title: "Not found");

    private static ProblemHttpResult BadRequest(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status400BadRequest, title: "Bad request");

    internal static ProblemHttpResult Problem(TopicResult result) => result.Failure switch
    {
        TopicFailure.NotFound => TypedResults.Problem(result.Detail, statusCode: StatusCodes.Status404NotFound, title: "Not found"),
        TopicFailure.Conflict => TypedResults.Problem(result.Detail, statusCode: StatusCodes.Status409Conflict, title: "Conflict"),
        _ when result.QueryError is { } e => TypedResults.Problem(result.Detail, statusCode: StatusCodes.Status400BadRequest, title: "Invalid query",
            extensions: new Dictionary<string, object?> { ["column"] = e.Column, ["reason"] = e.Reason }),
        _ => BadRequest(result.Detail ?? "invalid topic"),
    };
}
