using System.Data.Common;
using System.Globalization;
using System.Security.Claims;
using Dapper;
using Switchboard.Audit;
using Switchboard.Auth;
using Switchboard.Composer;
using Switchboard.Inbox;
using Switchboard.Notifications;
using Switchboard.People;
using Switchboard.Routing;
using Switchboard.Sla;
using Switchboard.Storage;

namespace Switchboard.Handover;

public sealed record ExpertDto(long UserId, string Name, string Email, IReadOnlyList<string> Areas);

public sealed record HandoverDto(long Id, long ConversationId, long AgentId, string Agent, long ExpertId, string Expert, string Area,
    string Question, string Status, string? Answer, string? Reason, long CreatedAt, long DueAt, long WarnAt, long? WarnedAt, long? BreachedAt, long? ClosedAt);

public sealed record ThreadMessageDto(long Id, string Direction, string? Author, string Text, long CreatedAt);

/// <summary>A hand-over with the conversation's thread: what the expert reads (and nothing else of the workspace).</summary>
public sealed record HandoverViewDto(HandoverDto Handover, string? Subject, IReadOnlyList<ThreadMessageDto> Thread, bool CanAnswer, bool CanCancel);

public sealed record SetExpertRequest(IReadOnlyList<string>? Areas);

public sealed record AskExpertRequest(long? ExpertId, string? Question, string? Area);

public sealed record AnswerRequest(string? Answer);

public sealed record DeclineRequest(string? Reason);

/// <summary>
/// Hand-over to an internal expert: experts, questions, answers, declines, cancels. Every change writes its audit
/// record and notifications in its own transaction. Access: the asking team sees its conversation's hand-overs; the
/// expert sees only the hand-overs addressed to them (and through them that one conversation); anyone else gets 404.
/// </summary>
internal sealed class HandoverStore(Database db, ActiveRules rules, InboxFeed feed, HandoverOptions options, TimeProvider time)
{
    public const int MaxQuestion = 4000;
    public const int MaxAnswer = 4000;
    public const int MaxReason = 1000;

    public static IResult Problem(int status, string detail) => Results.Problem(detail: detail, statusCode: status);

    private static bool IsManager(ClaimsPrincipal user) => ConversationAccess.Role(user) is "admin" or "manager";

    public async Task<IReadOnlyList<ExpertDto>> ExpertsAsync(DbConnection conn, DbTransaction? tx = null)
    {
        var rows = await conn.QueryAsync<(long UserId, string Name, string Email, string Areas)>(
            "SELECT e.user_id, u.display_name, u.email, e.areas FROM experts e JOIN users u ON u.id = e.user_id WHERE u.deactivated_at IS NULL ORDER BY u.display_name, e.user_id", transaction: tx);
        return [.. rows.Select(r => new ExpertDto(r.UserId, r.Name, r.Email, SplitAreas(r.Areas)))];
    }

    /// <summary>A missing user is a 404; one outside the editor's reach (<see cref="PersonRules.MayChangeExpertise"/>) a 403.</summary>
    private static async Task<IResult?> RefusedAsync(DbConnection conn, DbTransaction tx, ClaimsPrincipal user, long userId)
    {
        var found = await PeopleStore.LoadAsync(conn, tx, userId);
        if (found.Count == 0)
        {
            return Problem(404, $"no user {userId}");
        }

        var (editorRole, editorTeams) = await PeopleStore.EditorAsync(conn, tx, user);
        return PersonRules.MayChangeExpertise(editorRole, editorTeams, found[0].Role, found[0].Teams) is { } why ? Problem(403, why) : null;
    }

    private static string[] SplitAreas(string areas) => areas.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public async Task<IResult> SetExpertAsync(ClaimsPrincipal user, long userId, SetExpertRequest? body, CancellationToken ct)
    {
        if (!IsManager(user))
        {
            return Problem(403, "only admins and managers manage experts");
        }

        var (areas, errors) = PersonRules.CheckAreas(body?.Areas ?? []);
        if (errors.Count > 0)
        {
            return Problem(400, string.Join("; ", errors));
        }

        if (areas.Count == 0)
        {
            return Problem(400, "an expert needs at least one area, e.g. \"Legal\"");
        }

        await using var conn = await db.OpenAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        if (await RefusedAsync(conn, tx, user, userId) is { } refused)
        {
            return refused;
        }

        var before = await conn.ExecuteScalarAsync<string?>("SELECT areas FROM experts WHERE user_id = @userId", new { userId }, tx);
        var joined = string.Join('\n', areas);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        await conn.ExecuteAsync(before is null
            ? "INSERT INTO experts (user_id, areas, updated_at) VALUES (@userId, @joined, @now)"
            : "UPDATE experts SET areas = @joined, updated_at = @now WHERE user_id = @userId", new { userId, joined, now }, tx);
        await AuditLog.WriteAsync(conn, tx, AuditEntry.By(user, "expert.set", "user", Id(userId),
            before is null ? null : new { areas = SplitAreas(before) }, new { areas }), time);
        await tx.CommitAsync(ct);
        return Results.Ok((await ExpertsAsync(conn)).First(e => e.UserId == userId));
    }

    public async Task<IResult> RemoveExpertAsync(ClaimsPrincipal user, long userId, CancellationToken ct)
    {
        if (!IsManager(user))
        {
            return Problem(403, "only admins and managers manage experts");
        }

        await using var conn = await db.OpenAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        if (await RefusedAsync(conn, tx, user, userId) is { } refused)
        {
            return refused;
        }

        var before = await conn.ExecuteScalarAsync<string?>("SELECT areas FROM experts WHERE user_id = @userId", new { userId }, tx);
        if (before is null)
        {
            return Problem(404, $"user {userId} is not an expert");
        }

        // Open hand-overs stay with the expert: removing the flag stops new questions, not answers already owed.
        await conn.ExecuteAsync("DELETE FROM experts WHERE user_id = @userId", new { userId }, tx);
        await AuditLog.WriteAsync(conn, tx, AuditEntry.By(user, "expert.remove", "user", Id(userId), new { areas = SplitAreas(before) }), time);
        await tx.CommitAsync(ct);
        return Results.NoContent();
    }

    public async Task<IResult> AskAsync(ClaimsPrincipal user, long conversationId, AskExpertRequest? body, CancellationToken ct)
    {
        await using var conn = await db.OpenAsync(ct);
        // Scope before validation, so a guessed id answers the same 404 whatever the body.
        var conv = await ConversationAccess.VisibleAsync(conn, user, conversationId);
        if (conv is null)
        {
            return Problem(404, $"no conversation {conversationId}");
        }

        if (!ConversationAccess.CanWrite(user))
        {
            return Problem(403, "your role cannot hand conversations over");
        }

        var question = body?.Question?.Trim() ?? "";
        if (question.Length == 0)
        {
            return Problem(400, "the question is empty");
        }

        if (question.Length > MaxQuestion)
        {
            return Problem(400, $"a question has at most {MaxQuestion} characters");
        }

        if (body?.ExpertId is not { } expertId)
        {
            return Problem(400, "expertId is required");
        }

        if (expertId == user.UserId())
        {
            return Problem(400, "you cannot hand a conversation over to yourself");
        }

        await using var tx = await conn.BeginTransactionAsync(ct);
        var areas = await conn.ExecuteScalarAsync<string?>("SELECT e.areas FROM experts e JOIN users u ON u.id = e.user_id WHERE e.user_id = @expertId AND u.deactivated_at IS NULL", new { expertId }, tx);
        if (areas is null)
        {
            return Problem(400, $"user {expertId} is not an expert");
        }

        var expertAreas = SplitAreas(areas);
        var area = body.Area is { Length: > 0 } a
            ? expertAreas.FirstOrDefault(x => string.Equals(x, a.Trim(), StringComparison.OrdinalIgnoreCase))
            : expertAreas[0];
        if (area is null)
        {
            return Problem(400, $"the expert's areas are {string.Join(", ", expertAreas)}");
        }

        var now = time.GetUtcNow();
        var deadline = HandoverDeadline.Compute(now, options.Due, options.WarnBefore, await CalendarAsync(conn, tx, conv.TeamId, ct));
        var id = await conn.ExecuteScalarAsync<long>(
            """
            INSERT INTO handovers (conversation_id, agent_id, expert_id, area, question, status, created_at, due_at, warn_at, updated_at)
            VALUES (@conversationId, @agent, @expertId, @area, @question, 'open', @now, @due, @warn, @now) RETURNING id
            """,
            new { conversationId, agent = user.UserId(), expertId, area, question, now = now.ToUnixTimeMilliseconds(), due = deadline.DueAt.ToUnixTimeMilliseconds(), warn = deadline.WarnAt.ToUnixTimeMilliseconds() }, tx);
        await NotificationStore.AddAsync(conn, tx, expertId, "handover", conversationId,
            $"{user.Identity?.Name ?? "An agent"} asks you ({area}): {Preview(question)}", time);
        await AuditLog.WriteAsync(conn, tx, AuditEntry.By(user, "handover.ask", "handover", Id(id),
            after: new { conversationId, expertId, area, question, dueAt = deadline.DueAt }), time);
        await tx.CommitAsync(ct);
        feed.Publish([conversationId]);
        return Results.Created($"/api/handovers/{id}", await LoadAsync(conn, null, id));
    }

    /// <summary>The conversation team's calendar; a team without one (or no team) counts wall-clock time.</summary>
    private async Task<BusinessCalendar> CalendarAsync(DbConnection conn, DbTransaction tx, long? teamId, CancellationToken ct)
    {
        var slug = teamId is null ? null : await conn.ExecuteScalarAsync<string?>("SELECT slug FROM teams WHERE id = @teamId", new { teamId }, tx);
        var ws = (await rules.GetAsync(conn, tx, ct)).Workspace;
        return slug is not null && ws.Teams.TryGetValue(slug, out var team) ? team.Calendar : BusinessCalendar.AlwaysOpen();
    }

    public async Task<IResult> ListForConversationAsync(ClaimsPrincipal user, long conversationId, CancellationToken ct)
    {
        await using var conn = await db.OpenAsync(ct);
        if (await ConversationAccess.VisibleAsync(conn, user, conversationId) is null)
        {
            return Problem(404, $"no conversation {conversationId}");
        }

        return Results.Ok(await ForConversationAsync(conn, conversationId));
    }

    /// <summary>The caller has checked the conversation is in scope.</summary>
    public static Task<IReadOnlyList<HandoverDto>> ForConversationAsync(DbConnection conn, long conversationId) =>
        QueryAsync(conn, null, "h.conversation_id = @p", conversationId);

    /// <summary>Hand-overs I asked or that are addressed to me, open first.</summary>
    public async Task<IReadOnlyList<HandoverDto>> MineAsync(ClaimsPrincipal user, CancellationToken ct)
    {
        await using var conn = await db.OpenAsync(ct);
        var all = await QueryAsync(conn, null, "(h.expert_id = @p OR h.agent_id = @p)", user.UserId());
        return [.. all.OrderBy(h => h.Status == "open" ? 0 : 1).ThenByDescending(h => h.Id)];
    }

    /// <summary>
    /// The hand-over and its conversation's thread, for its expert, its asker, or anyone who sees the conversation.
    /// This is the expert's only way into a conversation: it grants that one thread, never the inbox or other ids.
    /// </summary>
    public async Task<HandoverViewDto?> ViewAsync(ClaimsPrincipal user, long handoverId, CancellationToken ct)
    {
        await using var conn = await db.OpenAsync(ct);
        var h = await LoadAsync(conn, null, handoverId);
        if (h is null || !await MaySeeAsync(conn, null, user, h))
        {
            return null;
        }

        var thread = await conn.QueryAsync<ThreadMessageDto>(
            """
            SELECT m.id AS Id, m.direction AS Direction, a.name AS Author, m.text AS Text, m.created_at AS CreatedAt
            FROM messages m LEFT JOIN authors a ON a.id = m.author_id WHERE m.conversation_id = @c ORDER BY m.created_at, m.id
            """, new { c = h.ConversationId });
        var subject = await conn.ExecuteScalarAsync<string?>("SELECT subject FROM conversations WHERE id = @c", new { c = h.ConversationId });
        var me = user.UserId();
        return new HandoverViewDto(h, subject, [.. thread], h.Status == "open" && h.ExpertId == me,
            h.Status == "open" && (h.AgentId == me || IsManager(user) && await ConversationAccess.VisibleAsync(conn, user, h.ConversationId) is not null));
    }

    public async Task<IResult> GetAsync(ClaimsPrincipal user, long handoverId, CancellationToken ct) =>
        await ViewAsync(user, handoverId, ct) is { } v ? Results.Ok(v) : Problem(404, $"no hand-over {handoverId}");

    private static async Task<bool> MaySeeAsync(DbConnection conn, DbTransaction? tx, ClaimsPrincipal user, HandoverDto h) =>
        h.ExpertId == user.UserId() || h.AgentId == user.UserId() || await ConversationAccess.VisibleAsync(conn, user, h.ConversationId, tx) is not null;

    public async Task<IResult> AnswerAsync(ClaimsPrincipal user, long handoverId, AnswerRequest? body, CancellationToken ct)
    {
        await using var conn = await db.OpenAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var (h, refusal) = await ForExpertAsync(conn, tx, user, handoverId);
        if (refusal is not null)
        {
            return refusal;
        }

        var answer = body?.Answer?.Trim() ?? "";
        if (answer.Length == 0)
        {
            return Problem(400, "the answer is empty");
        }

        if (answer.Length > MaxAnswer)
        {
            return Problem(400, $"an answer has at most {MaxAnswer} characters");
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        if (!await CloseAsync(conn, tx, h!.Id, "answered", answer, null, now))
        {
            return Problem(409, "the hand-over is no longer open");
        }

        // The answer lands in the asking agent's draft (below what they already wrote): it reaches the customer only
        // when the agent sends the draft, through compliance and approval like any reply.
        var draft = await conn.ExecuteScalarAsync<string?>("SELECT text FROM reply_drafts WHERE conversation_id = @c AND user_id = @u",
            new { c = h.ConversationId, u = h.AgentId }, tx);
        var combined = string.IsNullOrWhiteSpace(draft) ? answer : draft.TrimEnd() + "\n\n" + answer;
        var inDraft = combined.Length <= ReplyFlow.MaxDraftLength;
        if (inDraft)
        {
            await conn.ExecuteAsync(draft is null
                ? "INSERT INTO reply_drafts (conversation_id, user_id, text, updated_at) VALUES (@c, @u, @combined, @now)"
                : "UPDATE reply_drafts SET text = @combined, updated_at = @now WHERE conversation_id = @c AND user_id = @u",
                new { c = h.ConversationId, u = h.AgentId, combined, now }, tx);
        }

        // The visible marker in the thread: an internal note by the expert, never an outgoing message.
        var marker = $"Answer from {h.Expert} ({h.Area}): {answer}";
        await conn.ExecuteAsync("INSERT INTO conversation_notes (conversation_id, user_id, text, created_at) VALUES (@c, @u, @marker, @now)",
            new { c = h.ConversationId, u = h.ExpertId, marker = marker.Length > ConversationNotes.MaxLength ? marker[..ConversationNotes.MaxLength] : marker, now }, tx);
        await NotificationStore.AddAsync(conn, tx, h.AgentId, "handover.answered", h.ConversationId,
            inDraft ? $"{h.Expert} ({h.Area}) answered; the answer is in your draft" : $"{h.Expert} ({h.Area}) answered; your draft is full, the answer is in the notes", time);
        await AuditLog.WriteAsync(conn, tx, AuditEntry.By(user, "handover.answer", "handover", Id(h.Id), new { status = "open" },
            new { status = "answered", answer, inDraft }), time);
        await tx.CommitAsync(ct);
        feed.Publish([h.ConversationId]);
        return Results.Ok(await LoadAsync(conn, null, h.Id));
    }

    public async Task<IResult> DeclineAsync(ClaimsPrincipal user, long handoverId, DeclineRequest? body, CancellationToken ct)
    {
        await using var conn = await db.OpenAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var (h, refusal) = await ForExpertAsync(conn, tx, user, handoverId);
        if (refusal is not null)
        {
            return refusal;
        }

        var reason = body?.Reason?.Trim() ?? "";
        if (reason.Length == 0)
        {
            return Problem(400, "declining needs a reason");
        }

        if (reason.Length > MaxReason)
        {
            return Problem(400, $"a reason has at most {MaxReason} characters");
        }

        if (!await CloseAsync(conn, tx, h!.Id, "declined", null, reason, time.GetUtcNow().ToUnixTimeMilliseconds()))
        {
            return Problem(409, "the hand-over is no longer open");
        }

        await NotificationStore.AddAsync(conn, tx, h.AgentId, "handover.declined", h.ConversationId, $"{h.Expert} ({h.Area}) declined: {Preview(reason)}", time);
        await AuditLog.WriteAsync(conn, tx, AuditEntry.By(user, "handover.decline", "handover", Id(h.Id), new { status = "open" }, new { status = "declined", reason }), time);
        await tx.CommitAsync(ct);
        feed.Publish([h.ConversationId]);
        return Results.Ok(await LoadAsync(conn, null, h.Id));
    }

    public async Task<IResult> CancelAsync(ClaimsPrincipal user, long handoverId, CancellationToken ct)
    {
        await using var conn = await db.OpenAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var h = await LoadAsync(conn, tx, handoverId);
        if (h is null || !await MaySeeAsync(conn, tx, user, h))
        {
            return Problem(404, $"no hand-over {handoverId}");
        }

        var teamManager = IsManager(user) && await ConversationAccess.VisibleAsync(conn, user, h.ConversationId, tx) is not null;
        if (h.AgentId != user.UserId() && !teamManager)
        {
            return Problem(403, "only the asking agent or a manager of the team cancels a hand-over");
        }

        if (!await CloseAsync(conn, tx, h.Id, "cancelled", null, null, time.GetUtcNow().ToUnixTimeMilliseconds()))
        {
            return Problem(409, "the hand-over is no longer open");
        }

        await NotificationStore.AddAsync(conn, tx, h.ExpertId, "handover.cancelled", h.ConversationId, $"{h.Agent} no longer needs your answer", time);
        await AuditLog.WriteAsync(conn, tx, AuditEntry.By(user, "handover.cancel", "handover", Id(h.Id), new { status = "open" }, new { status = "cancelled" }), time);
        await tx.CommitAsync(ct);
        feed.Publish([h.ConversationId]);
        return Results.Ok(await LoadAsync(conn, null, h.Id));
    }

    /// <summary>Only the addressed expert answers or declines; others who may see it get 403, strangers 404.</summary>
    private static async Task<(HandoverDto? H, IResult? Refusal)> ForExpertAsync(DbConnection conn, DbTransaction tx, ClaimsPrincipal user, long handoverId)
    {
        var h = await LoadAsync(conn, tx, handoverId);
        if (h is null || !await MaySeeAsync(conn, tx, user, h))
        {
            return (null, Problem(404, $"no hand-over {handoverId}"));
        }

        return h.ExpertId != user.UserId() ? (null, Problem(403, "only the expert it is addressed to answers or declines a hand-over")) : (h, null);
    }

    /// <summary>The open → closed transition as a conditional update: of two racing requests exactly one wins.</summary>
    private static async Task<bool> CloseAsync(DbConnection conn, DbTransaction tx, long id, string status, string? answer, string? reason, long now) =>
        await conn.ExecuteAsync(
            "UPDATE handovers SET status = @status, answer = @answer, reason = @reason, closed_at = @now, updated_at = @now WHERE id = @id AND status = 'open'",
            new { id, status, answer, reason, now }, tx) == 1;

    public static async Task<HandoverDto?> LoadAsync(DbConnection conn, DbTransaction? tx, long id) =>
        await QueryAsync(conn, tx, "h.id = @p", id) is [var h, ..] ? h : null;

    private static async Task<IReadOnlyList<HandoverDto>> QueryAsync(DbConnection conn, DbTransaction? tx, string where, long p) =>
        [.. await conn.QueryAsync<HandoverDto>(
            $"""
            SELECT h.id AS Id, h.conversation_id AS ConversationId, h.agent_id AS AgentId, ua.display_name AS Agent, h.expert_id AS ExpertId,
              ue.display_name AS Expert, h.area AS Area, h.question AS Question, h.status AS Status, h.answer AS Answer, h.reason AS Reason,
              h.created_at AS CreatedAt, h.due_at AS DueAt, h.warn_at AS WarnAt, h.warned_at AS WarnedAt, h.breached_at AS BreachedAt, h.closed_at AS ClosedAt
            FROM handovers h JOIN users ua ON ua.id = h.agent_id JOIN users ue ON ue.id = h.expert_id
            WHERE {where} ORDER BY h.id
            """, new { p }, tx)];

    internal static string Preview(string text) => text.Length > 140 ? text[..140] + "…" : text;

    internal static string Id(long id) => id.ToString(CultureInfo.InvariantCulture);
}
