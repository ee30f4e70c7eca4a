using System.Data.Common;
using System.Globalization;
using System.Security.Claims;
using System.Text.Json;
using Dapper;
using Switchboard.Audit;
using Switchboard.Auth;
using Switchboard.Channels.Outbound;
using Switchboard.Compliance;
using Switchboard.Inbox;
using Switchboard.Notifications;
using Switchboard.Storage;

namespace Switchboard.Composer;

/// <summary>
/// Writing, approving and retrying replies. Every path ends in <see cref="OutboundSender.SendAsync"/>, which alone
/// posts and which refuses a reply needing approval without its approval rows; this class decides whether approval
/// is needed, re-checks compliance on the server, detects collisions and keeps the audit trail.
/// </summary>
internal sealed class ReplyFlow(Database db, OutboundSender sender, ComplianceRules compliance, InboxFeed feed, TimeProvider time)
{
    public const int DefaultMaxLength = 500;

    /// <summary>Drafts and API bodies beyond this are refused before anything else (far above any network limit).</summary>
    public const int MaxDraftLength = ComplianceChecker.MaxTextLength;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public int MaxLengthFor(string channel) => sender.AdapterFor(channel)?.MaxLength ?? DefaultMaxLength;

    /// <summary>Characters as networks count them (code points, so an emoji is one).</summary>
    public static int Length(string text) => text.EnumerateRunes().Count();

    private static string Id(long id) => id.ToString(CultureInfo.InvariantCulture);

    public async Task<IResult> SendAsync(ClaimsPrincipal user, long conversationId, SendReplyRequest request, CancellationToken ct)
    {
        var text = (request.Text ?? "").TrimEnd();
        if (!ConversationAccess.CanWrite(user))
        {
            return Problem(403, "your role cannot send replies");
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        long replyId;
        ApprovalNeed need;
        await using (var conn = await db.OpenAsync(ct))
        {
            var conv = await ConversationAccess.VisibleAsync(conn, user, conversationId);
            if (conv is null)
            {
                return Problem(404, $"no conversation {conversationId}");
            }

            // Validated only once the conversation is known to be visible: a guessed id learns nothing from a 400.
            if (text.Trim().Length == 0)
            {
                return Problem(400, "the reply is empty");
            }

            var max = MaxLengthFor(conv.Channel);
            if (Length(text) > max)
            {
                return Problem(400, $"the reply has {Length(text)} characters; {conv.Channel} allows {max}");
            }

            var check = await compliance.CheckAsync(conn, null, text);
            if (check.Blocked)
            {
                return Results.Json(new ComplianceProblem("compliance blocks this reply: " + string.Join("; ", check.Findings.Where(f => f.Severity == Severity.Block).Select(f => f.Reason)),
                    FindingDto.From(check, text)), statusCode: StatusCodes.Status422UnprocessableEntity, contentType: "application/problem+json");
            }

            if (request.OpenedAt is { } openedAt && !request.Confirm)
            {
                var newer = await NewerAsync(conn, conversationId, user.UserId(), openedAt);
                if (newer.Count > 0)
                {
                    return Results.Json(new CollisionDto($"{newer[0].By} replied after you opened this conversation; send anyway?", newer),
                        statusCode: StatusCodes.Status409Conflict, contentType: "application/problem+json");
                }
            }

            var tags = await AuthorTagsAsync(conn, conv.AuthorId);
            var tiers = conv.TeamId is { } teamId
                ? await conn.ExecuteScalarAsync<long?>("SELECT tiers FROM approval_tiers WHERE team_id = @teamId", new { teamId }) ?? 1
                : 1;
            need = ApprovalPolicy.Decide(new ApprovalInput(ConversationAccess.Role(user), check.NeedsReview,
                ApprovalPolicy.IsVip(tags, conv.Followers, conv.Verified), conv.RequiresApproval, (int)tiers));

            await using var tx = await conn.BeginTransactionAsync(ct);
            replyId = await conn.ExecuteScalarAsync<long>(
                """
                INSERT INTO replies (conversation_id, in_reply_to_message_id, author_id, channel, text, status, needs_approval, required_tiers,
                  approval_reason, idempotency_key, findings_json, created_at, updated_at)
                VALUES (@conversationId, @inReplyTo, @authorId, @channel, @text, @status, @needs, @tiers, @reason, @key, @findings, @now, @now)
                RETURNING id
                """,
                new
                {
                    conversationId,
                    inReplyTo = conv.LastInboundMessageId,
                    authorId = user.UserId(),
                    channel = conv.Channel,
                    text,
                    status = need.Needed ? "pending_approval" : "approved",
                    needs = need.Needed ? 1 : 0,
                    tiers = need.Tiers,
                    reason = need.Needed ? string.Join("; ", need.Reasons) : null,
                    key = "sb-" + Guid.NewGuid().ToString("N"),
                    findings = check.Findings.Count > 0 ? JsonSerializer.Serialize(FindingDto.From(check, text), Json) : null,
                    now,
                }, tx);
            await conn.ExecuteAsync("DELETE FROM reply_drafts WHERE conversation_id = @conversationId AND user_id = @userId",
                new { conversationId, userId = user.UserId() }, tx);
            await AuditLog.WriteAsync(conn, tx, AuditEntry.By(user, "reply.create", "reply", Id(replyId),
                after: new { conversationId, text, needsApproval = need.Needed, tiers = need.Tiers, reasons = need.Reasons, confirmedCollision = request.Confirm }), time);
            if (need.Needed)
            {
                foreach (var approver in await ApproversAsync(conn, tx, conv.TeamId))
                {
                    await NotificationStore.AddAsync(conn, tx, approver, "approval.requested", conversationId,
                        $"A reply by {user.Identity?.Name} waits for approval ({string.Join("; ", need.Reasons)})", time);
                }
            }

            await tx.CommitAsync(ct);
        }

        feed.Publish([conversationId]);
        var outcome = need.Needed ? new SendResult(SendResultKind.NeedsApproval, string.Join("; ", need.Reasons)) : await sender.SendAsync(replyId, ct);
        return await CreatedAsync(replyId, outcome, ct);
    }

    /// <summary>Retry of a failed or uncertain send: back through the sender, which reconciles an unknown outcome first.</summary>
    public async Task<IResult> RetryAsync(ClaimsPrincipal user, long replyId, CancellationToken ct)
    {
        await using (var conn = await db.OpenAsync(ct))
        {
            var reply = await conn.QueryFirstOrDefaultAsync<(long ConversationId, string Status)?>(
                "SELECT conversation_id, status FROM replies WHERE id = @replyId", new { replyId });
            if (reply is null || !ConversationAccess.CanWrite(user) || await ConversationAccess.VisibleAsync(conn, user, reply.Value.ConversationId) is null)
            {
                return Problem(404, $"no reply {replyId}");
            }

            if (reply.Value.Status is not ("failed" or "retry" or "unknown"))
            {
                return Problem(409, $"the reply is {reply.Value.Status}; only failed or uncertain sends are retried");
            }

            await using var tx = await conn.BeginTransactionAsync(ct);
            // A refused send (failed) was never posted: make it sendable again. retry/unknown stay as they are, so the
            // sender reconciles an unknown outcome before it posts anything.
            await conn.ExecuteAsync("UPDATE replies SET status = 'approved', updated_at = @now WHERE id = @replyId AND status = 'failed'",
                new { replyId, now = time.GetUtcNow().ToUnixTimeMilliseconds() }, tx);
            await AuditLog.WriteAsync(conn, tx, AuditEntry.By(user, "reply.retry", "reply", Id(replyId), before: new { reply.Value.Status }), time);
            await tx.CommitAsync(ct);
        }

        return await CreatedAsync(replyId, await sender.SendAsync(replyId, ct), ct, created: false);
    }

    public async Task<IResult> ApproveAsync(ClaimsPrincipal user, long replyId, ApproveRequest request, CancellationToken ct)
    {
        long conversationId;
        bool final;
        await using (var conn = await db.OpenAsync(ct))
        {
            var (reply, conv, problem) = await DecidableAsync(conn, user, replyId);
            if (problem is not null)
            {
                return problem;
            }

            var edited = request.Text is { } t && t.TrimEnd() != reply!.Text ? t.TrimEnd() : null;
            string? findings = null;
            if (edited is not null)
            {
                var max = MaxLengthFor(conv!.Channel);
                if (edited.Trim().Length == 0 || Length(edited) > max)
                {
                    return Problem(400, edited.Trim().Length == 0 ? "the edited reply is empty" : $"the edited reply has {Length(edited)} characters; {conv.Channel} allows {max}");
                }

                var check = await compliance.CheckAsync(conn, null, edited);
                if (check.Blocked)
                {
                    return Results.Json(new ComplianceProblem("compliance blocks the edited reply", FindingDto.From(check, edited)),
                        statusCode: StatusCodes.Status422UnprocessableEntity, contentType: "application/problem+json");
                }

                findings = check.Findings.Count > 0 ? JsonSerializer.Serialize(FindingDto.From(check, edited), Json) : null;
            }

            conversationId = reply!.ConversationId;
            var tier = reply.ApprovedTiers + 1;
            final = tier >= Math.Max(1, reply.RequiredTiers);
            var now = time.GetUtcNow().ToUnixTimeMilliseconds();
            await using var tx = await conn.BeginTransactionAsync(ct);
            try
            {
                await conn.ExecuteAsync(
                    """
                    INSERT INTO approvals (reply_id, tier, approver_id, decision, comment, edited_text, created_at)
                    VALUES (@replyId, @tier, @approver, 'approved', @comment, @edited, @now)
                    """, new { replyId, tier, approver = user.UserId(), comment = Trim(request.Comment), edited, now }, tx);
            }
            catch (DbException)
            {
                return Problem(409, $"tier {tier} of this reply was decided by someone else just now; reload");
            }

            if (edited is not null)
            {
                await conn.ExecuteAsync("UPDATE replies SET text = @edited, findings_json = @findings, updated_at = @now WHERE id = @replyId",
                    new { edited, findings, now, replyId }, tx);
            }

            var moved = final
                ? await conn.ExecuteAsync("UPDATE replies SET status = 'approved', updated_at = @now WHERE id = @replyId AND status = 'pending_approval'", new { replyId, now }, tx)
                : 1;
            if (moved == 0)
            {
                return Problem(409, "the reply is no longer waiting for approval");
            }

            await AuditLog.WriteAsync(conn, tx, AuditEntry.By(user, "reply.approve", "reply", Id(replyId),
                before: edited is null ? null : new { text = reply.Text }, after: new { tier, final, comment = Trim(request.Comment), text = edited }), time);
            await NotificationStore.AddAsync(conn, tx, reply.AuthorId, "approval.approved", conversationId,
                final ? $"{user.Identity?.Name} approved your reply; it is being sent" : $"{user.Identity?.Name} approved tier {tier} of your reply", time);
            await tx.CommitAsync(ct);
        }

        feed.Publish([conversationId]);
        var outcome = final ? await sender.SendAsync(replyId, ct) : new SendResult(SendResultKind.NeedsApproval, "waiting for the next tier");
        return await CreatedAsync(replyId, outcome, ct, created: false);
    }

    public async Task<IResult> RejectAsync(ClaimsPrincipal user, long replyId, RejectRequest request, CancellationToken ct)
    {
        var comment = Trim(request.Comment);
        long conversationId;
        await using (var conn = await db.OpenAsync(ct))
        {
            var (reply, _, problem) = await DecidableAsync(conn, user, replyId);
            if (problem is not null)
            {
                return problem;
            }

            // Validated only after the reply is known to be the caller's to decide: a guessed id learns nothing.
            if (comment is null)
            {
                return Problem(400, "a rejection needs a comment for the agent");
            }

            conversationId = reply!.ConversationId;
            var now = time.GetUtcNow().ToUnixTimeMilliseconds();
            await using var tx = await conn.BeginTransactionAsync(ct);
            try
            {
                await conn.ExecuteAsync(
                    "INSERT INTO approvals (reply_id, tier, approver_id, decision, comment, created_at) VALUES (@replyId, @tier, @approver, 'rejected', @comment, @now)",
                    new { replyId, tier = reply.ApprovedTiers + 1, approver = user.UserId(), comment, now }, tx);
            }
            catch (DbException)
            {
                return Problem(409, "this tier was decided by someone else just now; reload");
            }

            await conn.ExecuteAsync("UPDATE replies SET status = 'rejected', updated_at = @now WHERE id = @replyId AND status = 'pending_approval'", new { replyId, now }, tx);
            await AuditLog.WriteAsync(conn, tx, AuditEntry.By(user, "reply.reject", "reply", Id(replyId), after: new { comment }), time);
            await NotificationStore.AddAsync(conn, tx, reply.AuthorId, "approval.rejected", conversationId,
                $"{user.Identity?.Name} rejected your reply: {comment}", time);
            await tx.CommitAsync(ct);
        }

        feed.Publish([conversationId]);
        return Results.Ok(await ReplyAsync(replyId, ct));
    }

    private async Task<(ReplyRow? Reply, ConversationFacts? Conv, IResult? Problem)> DecidableAsync(DbConnection conn, ClaimsPrincipal user, long replyId)
    {
        var reply = await conn.QueryFirstOrDefaultAsync<ReplyRow>(ReplySelect + " WHERE r.id = @replyId", new { replyId });
        var conv = reply is null ? null : await ConversationAccess.VisibleAsync(conn, user, reply.ConversationId);
        if (reply is null || conv is null)
        {
            return (null, null, Problem(404, $"no reply {replyId}"));
        }

        if (reply.Status != "pending_approval")
        {
            return (null, null, Problem(409, $"the reply is {reply.Status}, not waiting for approval"));
        }

        var earlier = (await conn.QueryAsync<long>("SELECT approver_id FROM approvals WHERE reply_id = @replyId AND decision = 'approved'", new { replyId })).ToList();
        var cannot = ApprovalPolicy.CannotApprove(ConversationAccess.Role(user), user.UserId(), reply.AuthorId, earlier);
        return cannot is null ? (reply, conv, null) : (null, null, Problem(403, cannot));
    }

    /// <summary>Pending replies of conversations in the approver's inbox scope (every team for an admin), oldest first.</summary>
    public async Task<IReadOnlyList<ApprovalItem>> QueueAsync(ClaimsPrincipal user, CancellationToken ct)
    {
        await using var conn = await db.OpenAsync(ct);
        // The same scope as approving one (ConversationAccess.VisibleAsync), so the queue never lists what cannot be opened.
        var scope = await AccessScope.LoadAsync(conn, user);
        var p = new DynamicParameters();
        var rows = await conn.QueryAsync<ReplyRow>(ReplySelect +
            $" WHERE r.status = 'pending_approval' AND {scope.Sql(p, "c")} ORDER BY r.id LIMIT 200", p);
        var items = new List<ApprovalItem>();
        foreach (var r in rows)
        {
            var decisions = await DecisionsAsync(conn, r.Id);
            var earlier = (await conn.QueryAsync<long>("SELECT approver_id FROM approvals WHERE reply_id = @id AND decision = 'approved'", new { id = r.Id })).ToList();
            items.Add(new ApprovalItem(r.ToDto(), r.Subject, r.TeamName, r.ApprovedTiers + 1, ParseFindings(r.FindingsJson), decisions,
                ApprovalPolicy.CannotApprove(ConversationAccess.Role(user), user.UserId(), r.AuthorId, earlier)));
        }

        return items;
    }

    public static async Task<IReadOnlyList<ApprovalDecisionDto>> DecisionsAsync(DbConnection conn, long replyId) =>
        [.. (await conn.QueryAsync<(long Tier, string Approver, string Decision, string? Comment, long At)>(
            "SELECT a.tier, u.display_name, a.decision, a.comment, a.created_at FROM approvals a JOIN users u ON u.id = a.approver_id WHERE a.reply_id = @replyId ORDER BY a.tier",
            new { replyId })).Select(d => new ApprovalDecisionDto(d.Tier, d.Approver, d.Decision, d.Comment, DateTimeOffset.FromUnixTimeMilliseconds(d.At)))];

    public static async Task<IReadOnlyList<ReplyDto>> RepliesAsync(DbConnection conn, long conversationId) =>
        [.. (await conn.QueryAsync<ReplyRow>(ReplySelect + " WHERE r.conversation_id = @conversationId ORDER BY r.id", new { conversationId })).Select(r => r.ToDto())];

    public async Task<ReplyDto?> ReplyAsync(long replyId, CancellationToken ct)
    {
        await using var conn = await db.OpenAsync(ct);
        return (await conn.QueryFirstOrDefaultAsync<ReplyRow>(ReplySelect + " WHERE r.id = @replyId", new { replyId }))?.ToDto();
    }

    private async Task<IResult> CreatedAsync(long replyId, SendResult outcome, CancellationToken ct, bool created = true)
    {
        var reply = (await ReplyAsync(replyId, ct))!;
        var body = new SendReplyResponse(reply, outcome.Kind switch
        {
            SendResultKind.Sent or SendResultKind.AlreadySent => "sent",
            SendResultKind.NeedsApproval => "pending_approval",
            SendResultKind.InProgress => "sending",
            SendResultKind.Failed => "failed",
            SendResultKind.RetryLater => "retry",
            SendResultKind.Unknown => "unknown",
            _ => "not_sendable",
        }, outcome.Error);
        return created ? Results.Created($"/api/replies/{replyId}", body) : Results.Ok(body);
    }

    /// <summary>Replies by others and messages posted outside Switchboard since the sender opened the conversation.</summary>
    private static async Task<IReadOnlyList<CollisionItem>> NewerAsync(DbConnection conn, long conversationId, long userId, long openedAt) =>
        [.. (await conn.QueryAsync<(string Kind, string By, string Text, long At)>(
            """
            SELECT 'reply' AS kind, u.display_name AS by_name, r.text, r.created_at AS at
            FROM replies r JOIN users u ON u.id = r.author_id
            WHERE r.conversation_id = @conversationId AND r.author_id <> @userId AND r.created_at > @openedAt AND r.status <> 'rejected'
            UNION ALL
            SELECT 'message', 'someone outside Switchboard', m.text, m.received_at
            FROM messages m
            WHERE m.conversation_id = @conversationId AND m.direction = 'out' AND m.received_at > @openedAt
              AND NOT EXISTS (SELECT 1 FROM replies x WHERE x.conversation_id = m.conversation_id AND x.external_id = m.external_id)
            ORDER BY at
            """, new { conversationId, userId, openedAt })).Select(n => new CollisionItem(n.Kind, n.By, n.Text, DateTimeOffset.FromUnixTimeMilliseconds(n.At)))];

    /// <summary>Author tags when the inbox's author tags table exists (issue 6 item 3); none otherwise.</summary>
    private static async Task<IReadOnlyList<string>> AuthorTagsAsync(DbConnection conn, long? authorId)
    {
        if (authorId is null)
        {
            return [];
        }

        try
        {
            return [.. await conn.QueryAsync<string>("SELECT tag FROM author_tags WHERE author_id = @authorId", new { authorId })];
        }
        catch (DbException)
        {
            return [];
        }
    }

    private static async Task<IReadOnlyList<long>> ApproversAsync(DbConnection conn, DbTransaction tx, long? teamId) =>
        [.. await conn.QueryAsync<long>(teamId is null
            ? "SELECT id FROM users WHERE role = 'admin' AND deactivated_at IS NULL"
            : "SELECT u.id FROM users u JOIN team_members tm ON tm.user_id = u.id WHERE tm.team_id = @teamId AND u.role IN ('approver', 'manager') AND u.deactivated_at IS NULL",
            new { teamId }, tx)];

    public static IReadOnlyList<FindingDto> ParseFindings(string? json) =>
        json is null ? [] : JsonSerializer.Deserialize<List<FindingDto>>(json, Json) ?? [];

    private static string? Trim(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim()[..Math.Min(s.Trim().Length, 2000)];

    public static IResult Problem(int status, string detail) => Results.Problem(detail: detail, statusCode: status);

    private const string ReplySelect = """
        SELECT r.id AS Id, r.conversation_id AS ConversationId, r.author_id AS AuthorId, u.display_name AS Author, r.text AS Text, r.status AS Status,
               r.needs_approval AS NeedsApproval, r.required_tiers AS RequiredTiers, r.approval_reason AS ApprovalReason, r.error AS Error,
               r.attempts AS Attempts, r.created_at AS CreatedAt, r.sent_at AS SentAt, r.findings_json AS FindingsJson,
               (SELECT COUNT(*) FROM approvals a WHERE a.reply_id = r.id AND a.decision = 'approved') AS ApprovedTiers,
               (SELECT a.comment FROM approvals a WHERE a.reply_id = r.id ORDER BY a.tier DESC LIMIT 1) AS LastComment,
               c.subject AS Subject, t.name AS TeamName
        FROM replies r JOIN users u ON u.id = r.author_id JOIN conversations c ON c.id = r.conversation_id LEFT JOIN teams t ON t.id = c.team_id
        """;

    private sealed class ReplyRow
    {
        public long Id { get; init; }
        public long ConversationId { get; init; }
        public long AuthorId { get; init; }
        public string Author { get; init; } = "";
        public string Text { get; init; } = "";
        public string Status { get; init; } = "";
        public long NeedsApproval { get; init; }
        public long RequiredTiers { get; init; }
        public string? ApprovalReason { get; init; }
        public string? Error { get; init; }
        public long Attempts { get; init; }
        public long CreatedAt { get; init; }
        public long? SentAt { get; init; }
        public string? FindingsJson { get; init; }
        public long ApprovedTiers { get; init; }
        public string? LastComment { get; init; }
        public string Subject { get; init; } = "";
        public string? TeamName { get; init; }

        public ReplyDto ToDto() => new(Id, ConversationId, AuthorId, Author, Text, Status, NeedsApproval != 0, RequiredTiers, ApprovedTiers, ApprovalReason,
            Error, Attempts, DateTimeOffset.FromUnixTimeMilliseconds(CreatedAt), SentAt is { } s ? DateTimeOffset.FromUnixTimeMilliseconds(s) : null, LastComment);
    }
}
