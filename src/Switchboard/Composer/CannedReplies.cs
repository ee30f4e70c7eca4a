using System.Data.Common;
using System.Globalization;
using System.Security.Claims;
using Dapper;
using Switchboard.Audit;
using Switchboard.Auth;
using Switchboard.Storage;

namespace Switchboard.Composer;

/// <summary>Canned replies: stored templates, listed per team, rendered on the server for one conversation.</summary>
internal static class CannedReplies
{
    public const int MaxBody = 5000;

    public static async Task<IReadOnlyList<CannedReplyDto>> ForUserAsync(DbConnection conn, ClaimsPrincipal user) =>
        [.. await conn.QueryAsync<CannedReplyDto>(
            """
            SELECT cr.id AS Id, cr.shortcut AS Shortcut, cr.title AS Title, cr.body AS Body, t.slug AS Team
            FROM canned_replies cr LEFT JOIN teams t ON t.id = cr.team_id
            WHERE cr.team_id IS NULL OR @admin = 1 OR cr.team_id IN (SELECT team_id FROM team_members WHERE user_id = @userId)
            ORDER BY cr.shortcut
            """, new { admin = ConversationAccess.Role(user) == "admin" ? 1 : 0, userId = user.UserId() })];

    internal static async Task<IResult> ListAsync(ClaimsPrincipal user, Database db, CancellationToken ct)
    {
        await using var conn = await db.OpenAsync(ct);
        return Results.Ok(await ForUserAsync(conn, user));
    }

    internal static async Task<IResult> CreateAsync(CannedReplyRequest body, ClaimsPrincipal user, Database db, TimeProvider time, CancellationToken ct)
    {
        if (ConversationAccess.Role(user) is not ("admin" or "manager"))
        {
            return ReplyFlow.Problem(403, "only managers and admins manage canned replies");
        }

        var shortcut = (body.Shortcut ?? "").Trim().TrimStart('/').ToLowerInvariant();
        if (shortcut.Length is 0 or > 40 || !shortcut.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
        {
            return ReplyFlow.Problem(400, "the shortcut must be 1-40 letters, digits, '-' or '_'");
        }

        var title = (body.Title ?? "").Trim();
        var text = (body.Body ?? "").Trim();
        if (title.Length is 0 or > 200 || text.Length is 0 or > MaxBody)
        {
            return ReplyFlow.Problem(400, $"a canned reply needs a title (up to 200 characters) and a body (up to {MaxBody})");
        }

        if (CannedTemplate.Problems(text) is { Count: > 0 } problems)
        {
            return ReplyFlow.Problem(400, string.Join("; ", problems) + $"; known variables: {string.Join(", ", CannedTemplate.Variables.Select(v => "{{" + v + "}}"))}");
        }

        await using var conn = await db.OpenAsync(ct);
        long? teamId = null;
        if (!string.IsNullOrWhiteSpace(body.Team))
        {
            teamId = await conn.ExecuteScalarAsync<long?>("SELECT id FROM teams WHERE slug = @team", new { team = body.Team });
            if (teamId is null || !await ConversationAccess.InTeamAsync(conn, user, teamId))
            {
                return ReplyFlow.Problem(400, $"no team '{body.Team}' of yours");
            }
        }

        if (await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM canned_replies WHERE shortcut = @shortcut", new { shortcut }) > 0)
        {
            return ReplyFlow.Problem(409, $"the shortcut '/{shortcut}' is taken");
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        await using var tx = await conn.BeginTransactionAsync(ct);
        var id = await conn.ExecuteScalarAsync<long>(
            """
            INSERT INTO canned_replies (team_id, shortcut, title, body, created_by, created_at, updated_at)
            VALUES (@teamId, @shortcut, @title, @text, @userId, @now, @now) RETURNING id
            """, new { teamId, shortcut, title, text, userId = user.UserId(), now }, tx);
        await AuditLog.WriteAsync(conn, tx, AuditEntry.By(user, "canned_reply.create", "canned_reply", id.ToString(CultureInfo.InvariantCulture),
            after: new { shortcut, title, body = text, team = body.Team }), time);
        await tx.CommitAsync(ct);
        return Results.Created($"/api/canned-replies/{id}", new CannedReplyDto(id, shortcut, title, text, body.Team));
    }

    internal static async Task<IResult> DeleteAsync(long cannedId, ClaimsPrincipal user, Database db, TimeProvider time, CancellationToken ct)
    {
        if (ConversationAccess.Role(user) is not ("admin" or "manager"))
        {
            return ReplyFlow.Problem(403, "only managers and admins manage canned replies");
        }

        await using var conn = await db.OpenAsync(ct);
        var row = await conn.QueryFirstOrDefaultAsync<(long? TeamId, string Shortcut, string Body)?>(
            "SELECT team_id, shortcut, body FROM canned_replies WHERE id = @cannedId", new { cannedId });
        if (row is null || (row.Value.TeamId is not null && !await ConversationAccess.InTeamAsync(conn, user, row.Value.TeamId)))
        {
            return ReplyFlow.Problem(404, $"no canned reply {cannedId}");
        }

        await using var tx = await conn.BeginTransactionAsync(ct);
        await conn.ExecuteAsync("DELETE FROM canned_replies WHERE id = @cannedId", new { cannedId }, tx);
        await AuditLog.WriteAsync(conn, tx, AuditEntry.By(user, "canned_reply.delete", "canned_reply", cannedId.ToString(CultureInfo.InvariantCulture),
            before: new { row.Value.Shortcut, row.Value.Body }), time);
        await tx.CommitAsync(ct);
        return Results.NoContent();
    }

    internal static async Task<IResult> RenderAsync(long cannedId, RenderRequest body, ClaimsPrincipal user, Database db, CancellationToken ct)
    {
        await using var conn = await db.OpenAsync(ct);
        var conv = await ConversationAccess.VisibleAsync(conn, user, body.ConversationId);
        var canned = (await ForUserAsync(conn, user)).FirstOrDefault(c => c.Id == cannedId);
        if (conv is null || canned is null)
        {
            return ReplyFlow.Problem(404, conv is null ? $"no conversation {body.ConversationId}" : $"no canned reply {cannedId}");
        }

        var name = user.FindFirstValue(ClaimTypes.Name) ?? "";
        var values = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["author.name"] = conv.AuthorName ?? conv.AuthorHandle ?? "there",
            ["author.handle"] = conv.AuthorHandle ?? "",
            ["agent.first_name"] = name.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? name,
            ["agent.name"] = name,
            ["conversation.id"] = conv.Id.ToString(CultureInfo.InvariantCulture),
        };
        var rendered = CannedTemplate.Render(canned.Body, values);
        return rendered.Ok ? Results.Ok(new RenderedDto(rendered.Text!)) : ReplyFlow.Problem(422, rendered.Error!);
    }
}
