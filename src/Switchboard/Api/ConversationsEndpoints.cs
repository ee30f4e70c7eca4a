using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Switchboard.Auth;
using Switchboard.Inbox;
using Switchboard.Storage;

namespace Switchboard.Api;

/// <summary>`GET /api/conversations` and `GET /api/conversations/{id}`.</summary>
internal static class ConversationsEndpoints
{
    public static RouteGroupBuilder MapConversationsApi(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/conversations").WithTags("Conversations").RequireAuthorization(Policies.InboxRead);
        group.MapGet("/", ListAsync).WithSummary("List conversations, newest activity first, with keyset pagination");
        group.MapGet("/{id:long}", GetAsync).WithSummary("One conversation with its whole thread and author");
        return api;
    }

    private static readonly string[] Statuses = ["open", "pending", "snoozed", "resolved"];
    private static readonly string[] Sentiments = ["negative", "neutral", "positive"];

    internal static async Task<Results<Ok<ConversationPageDto>, ProblemHttpResult>> ListAsync(
        Database db, string? team, string? status, string? assignee, string? sentiment, string? intent, string? department,
        string? cursor, int? limit, ClaimsPrincipal principal, CancellationToken ct, long? topic = null, string? label = null)
    {
        var (labelName, labelValue, conversationLabel, labelError) = Classification.Corrections.InboxLabelFilter.SplitLabel(label);
        if (labelError is not null)
        {
            return Problems.BadRequest(labelError);
        }

        if (sentiment is not null && !Sentiments.Contains(sentiment))
        {
            return Problems.BadRequest($"sentiment must be one of {string.Join(", ", Sentiments)}");
        }

        if (status is not null && !Statuses.Contains(status))
        {
            return Problems.BadRequest($"status must be one of {string.Join(", ", Statuses)}");
        }

        if (limit is < 1 or > ConversationQueries.MaxPageSize)
        {
            return Problems.BadRequest($"limit must be between 1 and {ConversationQueries.MaxPageSize}");
        }

        await using var conn = await db.OpenAsync(ct);
        long? assigneeId = null;
        var unassigned = false;
        if (assignee is "none")
        {
            unassigned = true;
        }
        else if (assignee is not null)
        {
            if (long.TryParse(assignee, out var id))
            {
                assigneeId = id;
            }
            else
            {
                var user = await Auth.Users.FindAsync(conn, assignee);
                if (user is null)
                {
                    return Problems.BadRequest($"assignee must be a user id, an email or 'none'; no user '{assignee}'");
                }

                assigneeId = user.Id;
            }
        }

        try
        {
            var scope = await AccessScope.LoadAsync(conn, principal);
            var page = await ConversationQueries.ListAsync(conn, new ConversationFilter(team, null, status, assigneeId, unassigned, sentiment, intent, department,
                topic, labelName, labelValue, conversationLabel)
            { Scope = scope },
                cursor, limit ?? 50, ct);
            return TypedResults.Ok(new ConversationPageDto(page.Items, page.NextCursor));
        }
        catch (ConversationQueries.InvalidCursorException e)
        {
            return Problems.BadRequest(e.Message);
        }
    }

    internal static async Task<Results<Ok<ConversationDetail>, NotFound<ProblemDetailsDto>>> GetAsync(long id, Database db, ClaimsPrincipal user, CancellationToken ct)
    {
        await using var conn = await db.OpenAsync(ct);
        var detail = await ConversationQueries.GetAsync(conn, id, await AccessScope.LoadAsync(conn, user), ct);
        return detail is null
            ? TypedResults.NotFound(new ProblemDetailsDto(404, $"no conversation {id}"))
            : TypedResults.Ok(detail);
    }
}

internal sealed record ConversationPageDto(IReadOnlyList<ConversationSummary> Items, string? NextCursor);

internal sealed record ProblemDetailsDto(int Status, string Detail);

internal static class Problems
{
    public static ProblemHttpResult BadRequest(string detail) =>
        TypedResults.Problem(detail: detail, statusCode: StatusCodes.Status400BadRequest, title: "Bad request");

    public static ProblemHttpResult NotFound(string detail) =>
        TypedResults.Problem(detail: detail, statusCode: StatusCodes.Status404NotFound, title: "Not found");
}
