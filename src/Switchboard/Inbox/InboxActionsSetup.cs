using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Switchboard.Api;
using Switchboard.Audit;
using Switchboard.Auth;
using Switchboard.Inbox.Components;
using Switchboard.Storage;

namespace Switchboard.Inbox;

/// <summary>
/// Agent actions (assign/transfer, snooze, resolve, reopen, bulk), internal notes, author tags and notes,
/// notifications, search and views: as form posts for the server-rendered UI (under /inbox, anti-forgery checked)
/// and as JSON under /api/inbox for everything else. Both call the same functions in this folder.
/// </summary>
internal static class InboxActionsSetup
{
    public static void MapInboxActions(this WebApplication app)
    {
        var ui = app.MapGroup("/inbox").ExcludeFromDescription();
        ui.MapPost("/conversations/{id:long}/assign", AssignFormAsync).RequireAuthorization(Policies.InboxWrite);
        ui.MapPost("/conversations/{id:long}/snooze", SnoozeFormAsync).RequireAuthorization(Policies.InboxWrite);
        ui.MapPost("/conversations/{id:long}/resolve", ([FromRoute] long id, [FromForm] string? returnUrl, HttpContext ctx, Database db, InboxFeed feed, TimeProvider time) =>
            FormActionAsync(id, new ConversationAction.Resolve(), returnUrl, ctx, db, feed, time)).RequireAuthorization(Policies.InboxWrite);
        ui.MapPost("/conversations/{id:long}/reopen", ([FromRoute] long id, [FromForm] string? returnUrl, HttpContext ctx, Database db, InboxFeed feed, TimeProvider time) =>
            FormActionAsync(id, new ConversationAction.Reopen(), returnUrl, ctx, db, feed, time)).RequireAuthorization(Policies.InboxWrite);
        ui.MapPost("/conversations/{id:long}/notes", NoteFormAsync).RequireAuthorization(Policies.InboxWrite);
        ui.MapPost("/bulk", BulkFormAsync).RequireAuthorization(Policies.InboxWrite);
        ui.MapPost("/authors/{id:long}/tags", TagFormAsync).RequireAuthorization(Policies.InboxWrite);
        ui.MapPost("/authors/{id:long}/notes", AuthorNoteFormAsync).RequireAuthorization(Policies.InboxWrite);
        ui.MapPost("/notifications/read", async ([FromForm] string? returnUrl, HttpContext ctx, Database db, TimeProvider time) =>
        {
            await using var conn = await db.OpenAsync(ctx.RequestAborted);
            await UserNotifications.MarkReadAsync(conn, ctx.User.UserId(), null, time, ctx.RequestAborted);
            return Results.LocalRedirect(Local(returnUrl) ?? "/");
        }).RequireAuthorization(Policies.InboxRead);
        ui.MapGet("/fragments/notifications", async (HttpContext ctx, Database db) =>
        {
            await using var conn = await db.OpenAsync(ctx.RequestAborted);
            return new RazorComponentResult<NotificationsMenu>(new { List = await UserNotifications.ListAsync(conn, ctx.User.UserId(), 10, ctx.RequestAborted) });
        }).RequireAuthorization(Policies.InboxRead);

        var api = app.MapGroup("/api/inbox").RequireAuthorization(AuthSetup.ApiPolicy).WithTags("Inbox");
        api.MapGet("/views/{view}", ViewApiAsync).RequireAuthorization(Policies.InboxRead)
            .WithSummary("A queue: mine, teams, unassigned, holding, breaching, escalated or all; sort=recent|urgency|due");
        api.MapGet("/search", SearchApiAsync).RequireAuthorization(Policies.InboxRead).WithSummary("Full-text search over messages and authors");
        api.MapPost("/conversations/{id:long}/assign", ([FromRoute] long id, AssignRequest body, HttpContext ctx, Database db, InboxFeed feed, TimeProvider time) =>
            AssignApiAsync(id, body, ctx, db, feed, time)).RequireAuthorization(Policies.InboxWrite).WithSummary("Assign or transfer to an agent and/or a team");
        api.MapPost("/conversations/{id:long}/snooze", ([FromRoute] long id, SnoozeRequest body, HttpContext ctx, Database db, InboxFeed feed, TimeProvider time) =>
            ApiActionAsync(id, new ConversationAction.Snooze(body.Until), ctx, db, feed, time)).RequireAuthorization(Policies.InboxWrite).WithSummary("Snooze until a time");
        api.MapPost("/conversations/{id:long}/resolve", ([FromRoute] long id, HttpContext ctx, Database db, InboxFeed feed, TimeProvider time) =>
            ApiActionAsync(id, new ConversationAction.Resolve(), ctx, db, feed, time)).RequireAuthorization(Policies.InboxWrite).WithSummary("Resolve");
        api.MapPost("/conversations/{id:long}/reopen", ([FromRoute] long id, HttpContext ctx, Database db, InboxFeed feed, TimeProvider time) =>
            ApiActionAsync(id, new ConversationAction.Reopen(), ctx, db, feed, time)).RequireAuthorization(Policies.InboxWrite).WithSummary("Reopen");
        api.MapPost("/bulk", BulkApiAsync).RequireAuthorization(Policies.InboxWrite).WithSummary("Apply one action (assign, resolve, reopen, snooze, label, unlabel) to up to 200 conversations");
        api.MapGet("/conversations/{id:long}/notes", NotesApiAsync).RequireAuthorization(Policies.InboxRead).WithSummary("Internal notes of a conversation");
        api.MapPost("/conversations/{id:long}/notes", AddNoteApiAsync).RequireAuthorization(Policies.InboxWrite).WithSummary("Add an internal note; @name mentions notify");
        api.MapGet("/authors/{id:long}", AuthorApiAsync).RequireAuthorization(Policies.InboxRead).WithSummary("Author panel: profile, influence, tags, notes, past conversations");
        api.MapPost("/authors/{id:long}/tags", ([FromRoute] long id, TagRequest body, HttpContext ctx, Database db, TimeProvider time) =>
            TagApiAsync(id, body.Tag, true, ctx, db, time)).RequireAuthorization(Policies.InboxWrite).WithSummary("Tag an author (vip, journalist, employee, regulator)");
        api.MapDelete("/authors/{id:long}/tags/{tag}", ([FromRoute] long id, [FromRoute] string tag, HttpContext ctx, Database db, TimeProvider time) =>
            TagApiAsync(id, tag, false, ctx, db, time)).RequireAuthorization(Policies.InboxWrite).WithSummary("Remove a tag from an author");
        api.MapPost("/authors/{id:long}/notes", AuthorNoteApiAsync).RequireAuthorization(Policies.InboxWrite).WithSummary("Add a note on an author");
        api.MapGet("/notifications", async (HttpContext ctx, Database db) =>
        {
            await using var conn = await db.OpenAsync(ctx.RequestAborted);
            return TypedResults.Ok(await UserNotifications.ListAsync(conn, ctx.User.UserId(), 50, ctx.RequestAborted));
        }).RequireAuthorization(Policies.InboxRead).WithSummary("My notifications with the unread count");
        api.MapPost("/notifications/{id:long}/read", async Task<Results<NoContent, NotFound<ProblemDetailsDto>>> ([FromRoute] long id, HttpContext ctx, Database db, TimeProvider time) =>
        {
            await using var conn = await db.OpenAsync(ctx.RequestAborted);
            return await UserNotifications.MarkReadAsync(conn, ctx.User.UserId(), id, time, ctx.RequestAborted)
                ? TypedResults.NoContent()
                : TypedResults.NotFound(new ProblemDetailsDto(404, $"no notification {id}"));
        }).RequireAuthorization(Policies.InboxRead).WithSummary("Mark one of my notifications read");
    }

    // ---- shared plumbing ----

    private static async Task<(ActionResult Result, DateTimeOffset At)> RunAsync(long id, ConversationAction action, HttpContext ctx, Database db, InboxFeed feed, TimeProvider time)
    {
        await using var conn = await db.OpenAsync(ctx.RequestAborted);
        await using var tx = await conn.BeginTransactionAsync(ctx.RequestAborted);
        var scope = await AccessScope.LoadAsync(conn, ctx.User, tx);
        var result = await ConversationActions.ApplyAsync(conn, tx, scope, ctx.User, id, action, time, ctx.RequestAborted);
        if (result.Outcome == ActionOutcome.Done)
        {
            await tx.CommitAsync(ctx.RequestAborted);
            await SyncClocksAsync(ctx, action, [id]);
            feed.Publish([id]);
        }

        return (result, time.GetUtcNow());
    }

    /// <summary>Every action also moves the SLA clocks: resolve stops them, reopen owes an answer, snooze pauses, a transfer re-applies the policy.</summary>
    private static async Task SyncClocksAsync(HttpContext ctx, ConversationAction action, IReadOnlyList<long> ids)
    {
        var sla = ctx.RequestServices.GetRequiredService<Sla.SlaRuntime>();
        foreach (var id in ids)
        {
            await sla.SyncAsync(id, action, ctx.User, ctx.RequestAborted);
        }
    }

    internal static IResult ToHttp(ActionResult r) => r.Outcome switch
    {
        ActionOutcome.Done => TypedResults.Ok(r),
        ActionOutcome.NotFound => TypedResults.NotFound(new ProblemDetailsDto(404, r.Error ?? "not found")),
        ActionOutcome.Forbidden => TypedResults.Problem(detail: r.Error, statusCode: StatusCodes.Status403Forbidden, title: "Forbidden"),
        _ => Problems.BadRequest(r.Error ?? "invalid"),
    };

    /// <summary>A form's returnUrl when it stays on this site (a path, not "//host" or "/\\host"), else null.</summary>
    internal static string? Local(string? url) =>
        !string.IsNullOrEmpty(url) && url.StartsWith('/') && !url.StartsWith("//", StringComparison.Ordinal) && !url.StartsWith("/\\", StringComparison.Ordinal) ? url : null;

    private static IResult Back(string? returnUrl, long id, string? notice) =>
        Results.LocalRedirect(WithNotice(Local(returnUrl) ?? $"/conversations/{id}", notice));

    private static string WithNotice(string url, string? notice) =>
        notice is null ? url : url + (url.Contains('?', StringComparison.Ordinal) ? "&" : "?") + "notice=" + Uri.EscapeDataString(notice);

    internal static IResult FormOutcome(ActionResult r, string? returnUrl) => r.Outcome switch
    {
        ActionOutcome.Done => Back(returnUrl, r.ConversationId, null),
        ActionOutcome.NotFound => Results.NotFound(),
        ActionOutcome.Forbidden => Results.StatusCode(StatusCodes.Status403Forbidden),
        _ => Back(returnUrl, r.ConversationId, r.Error),
    };

    // ---- UI forms ----

    private static async Task<IResult> FormActionAsync(long id, ConversationAction action, string? returnUrl, HttpContext ctx, Database db, InboxFeed feed, TimeProvider time) =>
        FormOutcome((await RunAsync(id, action, ctx, db, feed, time)).Result, returnUrl);

    private static async Task<IResult> AssignFormAsync([FromRoute] long id, [FromForm] string? assignee, [FromForm] string? team, [FromForm] string? returnUrl,
        HttpContext ctx, Database db, InboxFeed feed, TimeProvider time)
    {
        var (action, error) = await AssignActionAsync(assignee, team, ctx, db);
        return action is null ? Back(returnUrl, id, error) : FormOutcome((await RunAsync(id, action, ctx, db, feed, time)).Result, returnUrl);
    }

    private static async Task<IResult> SnoozeFormAsync([FromRoute] long id, [FromForm] int? minutes, [FromForm] string? returnUrl,
        HttpContext ctx, Database db, InboxFeed feed, TimeProvider time)
    {
        // A missing or non-positive duration is still checked against the scope first (by RunAsync), so the reply
        // never tells a user outside the team that the conversation exists.
        var until = time.GetUtcNow().AddMinutes(minutes is > 0 and <= 525_600 ? minutes.Value : 0);
        return FormOutcome((await RunAsync(id, new ConversationAction.Snooze(until), ctx, db, feed, time)).Result, returnUrl);
    }

    private static async Task<IResult> NoteFormAsync([FromRoute] long id, [FromForm] string? text, [FromForm] string? returnUrl,
        HttpContext ctx, Database db, InboxFeed feed, TimeProvider time)
    {
        var (status, error) = await AddNoteAsync(id, text, ctx, db, feed, time);
        return status switch
        {
            404 => Results.NotFound(),
            400 => Back(returnUrl, id, error),
            _ => Back(returnUrl, id, null),
        };
    }

    private static async Task<IResult> BulkFormAsync([FromForm] string? ids, [FromForm] string? action, [FromForm] string? assignee, [FromForm] string? label, [FromForm] string? returnUrl,
        HttpContext ctx, Database db, InboxFeed feed, TimeProvider time)
    {
        var parsed = (ids ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : -1).ToList();
        var result = await BulkAsync(new BulkRequest(parsed, action ?? "", assignee, null, null, label), ctx, db, feed, time);
        var back = Local(returnUrl) ?? "/inbox/all";
        return result.Error is not null
            ? Results.LocalRedirect(WithNotice(back, result.Error))
            : Results.LocalRedirect(WithNotice(back, $"{result.Results.Count(r => r.Outcome == ActionOutcome.Done)} of {result.Results.Count} conversations updated"));
    }

    private static async Task<IResult> TagFormAsync([FromRoute] long id, [FromForm] string? tag, [FromForm] string? remove, [FromForm] string? returnUrl,
        HttpContext ctx, Database db, TimeProvider time)
    {
        var r = await SetTagAsync(id, tag, remove is null, ctx, db, time);
        return r.Status == 404 ? Results.NotFound() : Results.LocalRedirect(WithNotice(Local(returnUrl) ?? "/", r.Error));
    }

    private static async Task<IResult> AuthorNoteFormAsync([FromRoute] long id, [FromForm] string? text, [FromForm] string? returnUrl,
        HttpContext ctx, Database db, TimeProvider time)
    {
        var r = await AddAuthorNoteAsync(id, text, ctx, db, time);
        return r.Status == 404 ? Results.NotFound() : Results.LocalRedirect(WithNotice(Local(returnUrl) ?? "/", r.Error));
    }

    // ---- shared operations ----

    private static async Task<(ConversationAction? Action, string? Error)> AssignActionAsync(string? assignee, string? team, HttpContext ctx, Database db)
    {
        await using var conn = await db.OpenAsync(ctx.RequestAborted);
        long? assigneeId = null;
        if (assignee is "me")
        {
            assigneeId = ctx.User.UserId();
        }
        else if (!string.IsNullOrWhiteSpace(assignee))
        {
            if (long.TryParse(assignee, NumberStyles.None, CultureInfo.InvariantCulture, out var uid))
            {
                assigneeId = uid;
            }
            else
            {
                var user = await Users.FindAsync(conn, assignee);
                if (user is null)
                {
                    return (null, $"no user '{Truncate(assignee)}'");
                }

                assigneeId = user.Id;
            }
        }

        var (teamId, error) = await ConversationActions.TeamIdAsync(conn, team is null ? null : Truncate(team), ctx.RequestAborted);
        return error is not null ? (null, error) : (new ConversationAction.Assign(assigneeId, teamId), null);
    }

    private static string Truncate(string s) => s.Length > 100 ? s[..100] : s;

    private static async Task<(int Status, string? Error)> AddNoteAsync(long id, string? text, HttpContext ctx, Database db, InboxFeed feed, TimeProvider time)
    {
        await using var conn = await db.OpenAsync(ctx.RequestAborted);
        await using var tx = await conn.BeginTransactionAsync(ctx.RequestAborted);
        var scope = await AccessScope.LoadAsync(conn, ctx.User, tx);
        if (!await InScopeAsync(conn, tx, scope, id, ctx.RequestAborted))
        {
            return (404, $"no conversation {id}");
        }

        if (ConversationNotes.Validate(text) is { } error)
        {
            return (400, error);
        }

        await ConversationNotes.AddAsync(conn, tx, ctx.User, id, text!.Trim(), time, ctx.RequestAborted);
        await tx.CommitAsync(ctx.RequestAborted);
        feed.Publish([id]);
        return (200, null);
    }

    internal static async Task<bool> InScopeAsync(System.Data.Common.DbConnection conn, System.Data.Common.DbTransaction? tx, AccessScope scope, long id, CancellationToken ct)
    {
        var p = new Dapper.DynamicParameters(new { id });
        return await Dapper.SqlMapper.ExecuteScalarAsync<long>(conn, new Dapper.CommandDefinition(
            $"SELECT COUNT(*) FROM conversations c WHERE c.id = @id AND {scope.Sql(p)}", p, tx, cancellationToken: ct)) > 0;
    }

    private static async Task<(int Status, string? Error)> SetTagAsync(long id, string? tag, bool on, HttpContext ctx, Database db, TimeProvider time)
    {
        await using var conn = await db.OpenAsync(ctx.RequestAborted);
        await using var tx = await conn.BeginTransactionAsync(ctx.RequestAborted);
        var scope = await AccessScope.LoadAsync(conn, ctx.User, tx);
        if (!await AuthorPanel.VisibleAsync(conn, id, scope, tx, ctx.RequestAborted))
        {
            return (404, $"no author {id}");
        }

        if (AuthorPanel.ValidateTag(tag) is { } error)
        {
            return (400, error);
        }

        await AuthorPanel.SetTagAsync(conn, tx, ctx.User, id, tag!, on, time, ctx.RequestAborted);
        await tx.CommitAsync(ctx.RequestAborted);
        return (200, null);
    }

    private static async Task<(int Status, string? Error)> AddAuthorNoteAsync(long id, string? text, HttpContext ctx, Database db, TimeProvider time)
    {
        await using var conn = await db.OpenAsync(ctx.RequestAborted);
        await using var tx = await conn.BeginTransactionAsync(ctx.RequestAborted);
        var scope = await AccessScope.LoadAsync(conn, ctx.User, tx);
        if (!await AuthorPanel.VisibleAsync(conn, id, scope, tx, ctx.RequestAborted))
        {
            return (404, $"no author {id}");
        }

        if (string.IsNullOrWhiteSpace(text) || text.Length > AuthorPanel.MaxNoteLength)
        {
            return (400, $"a note has 1 to {AuthorPanel.MaxNoteLength} characters");
        }

        await AuthorPanel.AddNoteAsync(conn, tx, ctx.User, id, text.Trim(), time, ctx.RequestAborted);
        await tx.CommitAsync(ctx.RequestAborted);
        return (200, null);
    }

    private static async Task<BulkResponse> BulkAsync(BulkRequest body, HttpContext ctx, Database db, InboxFeed feed, TimeProvider time)
    {
        if (body.Ids is null || body.Ids.Count == 0)
        {
            return new BulkResponse([], "select at least one conversation");
        }

        if (body.Ids.Count > ConversationActions.MaxBulk)
        {
            return new BulkResponse([], $"at most {ConversationActions.MaxBulk} conversations at once");
        }

        if (body.Ids.Any(i => i <= 0))
        {
            return new BulkResponse([], "ids must be positive conversation ids");
        }

        if (body.Action is "label" or "unlabel")
        {
            return await ConversationLabelsEndpoints.BulkAsync(body.Ids, body.Label, body.Action == "label", ctx, db, feed, time);
        }

        ConversationAction action;
        switch (body.Action)
        {
            case "assign":
                var (assign, error) = await AssignActionAsync(body.Assignee, body.Team, ctx, db);
                if (assign is null)
                {
                    return new BulkResponse([], error);
                }

                action = assign;
                break;
            case "resolve":
                action = new ConversationAction.Resolve();
                break;
            case "reopen":
                action = new ConversationAction.Reopen();
                break;
            case "snooze" when body.Until is { } until:
                action = new ConversationAction.Snooze(until);
                break;
            default:
                return new BulkResponse([], "action must be assign, resolve, reopen, snooze (with until), label or unlabel (with label)");
        }

        // One transaction: the selection changes together, and each conversation is checked against the scope on
        // its own, so a foreign id in the selection is reported as not found and changes nothing.
        await using var conn = await db.OpenAsync(ctx.RequestAborted);
        await using var tx = await conn.BeginTransactionAsync(ctx.RequestAborted);
        var scope = await AccessScope.LoadAsync(conn, ctx.User, tx);
        var results = new List<ActionResult>();
        foreach (var id in body.Ids.Distinct())
        {
            results.Add(await ConversationActions.ApplyAsync(conn, tx, scope, ctx.User, id, action, time, ctx.RequestAborted));
        }

        await tx.CommitAsync(ctx.RequestAborted);
        await SyncClocksAsync(ctx, action, [.. results.Where(r => r.Outcome == ActionOutcome.Done).Select(r => r.ConversationId)]);
        feed.Publish([.. results.Where(r => r.Outcome == ActionOutcome.Done).Select(r => r.ConversationId)]);
        return new BulkResponse(results, null);
    }

    // ---- API ----

    private static async Task<IResult> ApiActionAsync(long id, ConversationAction action, HttpContext ctx, Database db, InboxFeed feed, TimeProvider time) =>
        ToHttp((await RunAsync(id, action, ctx, db, feed, time)).Result);

    private static async Task<IResult> AssignApiAsync(long id, AssignRequest body, HttpContext ctx, Database db, InboxFeed feed, TimeProvider time)
    {
        var (action, error) = await AssignActionAsync(body.Assignee, body.Team, ctx, db);
        return action is null ? Problems.BadRequest(error!) : ToHttp((await RunAsync(id, action, ctx, db, feed, time)).Result);
    }

    private static async Task<IResult> BulkApiAsync(BulkRequest body, HttpContext ctx, Database db, InboxFeed feed, TimeProvider time)
    {
        var r = await BulkAsync(body, ctx, db, feed, time);
        return r.Error is not null ? Problems.BadRequest(r.Error) : TypedResults.Ok(r);
    }

    private static async Task<IResult> ViewApiAsync([FromRoute] string view, string? team, string? sort, string? cursor, long? topic,
        string? sentiment, string? intent, string? department, string? label, HttpContext ctx, Database db, TimeProvider time)
    {
        string[] views = ["mine", "teams", "unassigned", "holding", "breaching", "escalated", "all"];
        if (!views.Contains(view))
        {
            return Problems.BadRequest($"view must be one of {string.Join(", ", views)}");
        }

        var s = InboxViews.ParseSort(sort);
        if (sort is not null && s is null)
        {
            return Problems.BadRequest("sort must be recent, urgency or due");
        }

        if (cursor is { Length: > 200 })
        {
            return Problems.BadRequest("the cursor is not one this server issued");
        }

        // The same label selectors as the inbox page; unlike the page (which shows an unfiltered list for an edited
        // link), the API says which value it could not use.
        var labels = Classification.Corrections.InboxLabelFilter.From(ctx.Request.Query);
        foreach (var (name, given, used) in new[] { ("sentiment", sentiment, labels.Sentiment), ("intent", intent, labels.Intent),
                     ("department", department, labels.Department), ("label", label, labels.Label) })
        {
            if (!string.IsNullOrEmpty(given) && used is null)
            {
                return Problems.BadRequest(name == "label"
                    ? Classification.Corrections.InboxLabelFilter.SplitLabel(given).Error ?? Classification.Corrections.InboxLabelFilter.LabelHelp
                    : $"{name} '{given}' is not one of the {name} labels");
            }
        }

        var r = new InboxListRequest(InboxViews.Parse(view), string.IsNullOrWhiteSpace(team) ? null : team, s, cursor, topic, labels);
        await using var conn = await db.OpenAsync(ctx.RequestAborted);
        var scope = await AccessScope.LoadAsync(conn, ctx.User);
        try
        {
            var page = await ConversationQueries.ListAsync(conn, InboxViews.FilterFor(r, scope, time.GetUtcNow()), cursor, InboxViews.PageSize, ctx.RequestAborted);
            return TypedResults.Ok(new ConversationPageDto(page.Items, page.NextCursor));
        }
        catch (ConversationQueries.InvalidCursorException e)
        {
            return Problems.BadRequest(e.Message);
        }
    }

    private static async Task<IResult> SearchApiAsync(string? q, int? limit, HttpContext ctx, Database db)
    {
        var (search, error) = SearchText.Parse(q);
        if (search is null)
        {
            return Problems.BadRequest(error!);
        }

        if (limit is < 1 or > ConversationQueries.MaxPageSize)
        {
            return Problems.BadRequest($"limit must be between 1 and {ConversationQueries.MaxPageSize}");
        }

        await using var conn = await db.OpenAsync(ctx.RequestAborted);
        var scope = await AccessScope.LoadAsync(conn, ctx.User);
        return TypedResults.Ok(new ConversationPageDto(await InboxSearch.SearchAsync(conn, db, search, scope, limit ?? InboxViews.PageSize, ctx.RequestAborted), null));
    }

    private static async Task<IResult> NotesApiAsync([FromRoute] long id, HttpContext ctx, Database db)
    {
        await using var conn = await db.OpenAsync(ctx.RequestAborted);
        var scope = await AccessScope.LoadAsync(conn, ctx.User);
        return await InScopeAsync(conn, null, scope, id, ctx.RequestAborted)
            ? TypedResults.Ok(await ConversationNotes.ListAsync(conn, id, ctx.RequestAborted))
            : TypedResults.NotFound(new ProblemDetailsDto(404, $"no conversation {id}"));
    }

    private static async Task<IResult> AddNoteApiAsync([FromRoute] long id, NoteRequest body, HttpContext ctx, Database db, InboxFeed feed, TimeProvider time)
    {
        var (status, error) = await AddNoteAsync(id, body.Text, ctx, db, feed, time);
        return status switch
        {
            404 => TypedResults.NotFound(new ProblemDetailsDto(404, error!)),
            400 => Problems.BadRequest(error!),
            _ => TypedResults.NoContent(),
        };
    }

    private static async Task<IResult> AuthorApiAsync([FromRoute] long id, HttpContext ctx, Database db)
    {
        await using var conn = await db.OpenAsync(ctx.RequestAborted);
        var scope = await AccessScope.LoadAsync(conn, ctx.User);
        var detail = await AuthorPanel.GetAsync(conn, id, scope, ctx.RequestAborted);
        return detail is null ? TypedResults.NotFound(new ProblemDetailsDto(404, $"no author {id}")) : TypedResults.Ok(detail);
    }

    private static async Task<IResult> TagApiAsync(long id, string? tag, bool on, HttpContext ctx, Database db, TimeProvider time)
    {
        var (status, error) = await SetTagAsync(id, tag, on, ctx, db, time);
        return status switch
        {
            404 => TypedResults.NotFound(new ProblemDetailsDto(404, error!)),
            400 => Problems.BadRequest(error!),
            _ => TypedResults.NoContent(),
        };
    }

    private static async Task<IResult> AuthorNoteApiAsync([FromRoute] long id, NoteRequest body, HttpContext ctx, Database db, TimeProvider time)
    {
        var (status, error) = await AddAuthorNoteAsync(id, body.Text, ctx, db, time);
        return status switch
        {
            404 => TypedResults.NotFound(new ProblemDetailsDto(404, error!)),
            400 => Problems.BadRequest(error!),
            _ => TypedResults.NoContent(),
        };
    }
}

internal sealed record AssignRequest(string? Assignee, string? Team);

internal sealed record SnoozeRequest(DateTimeOffset Until);

internal sealed record NoteRequest(string? Text);

internal sealed record TagRequest(string? Tag);

internal sealed record BulkRequest(IReadOnlyList<long> Ids, string Action, string? Assignee, string? Team, DateTimeOffset? Until, string? Label = null);

internal sealed record BulkResponse(IReadOnlyList<ActionResult> Results, string? Error);
