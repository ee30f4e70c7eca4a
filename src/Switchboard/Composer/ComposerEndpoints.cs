using System.Globalization;
using System.Security.Claims;
using Dapper;
using Switchboard.Audit;
using Switchboard.Auth;
using Switchboard.Compliance;
using Switchboard.Storage;

namespace Switchboard.Composer;

/// <summary>
/// The composer's API (everything the UI does): drafts, live compliance checks, canned replies, sending, retries,
/// approvals, presence. JSON bodies only, which a cross-site form cannot send, and the session cookie is SameSite.
/// </summary>
internal static class ComposerEndpoints
{
    public static RouteGroupBuilder MapComposerApi(this RouteGroupBuilder api)
    {
        var conv = api.MapGroup("/conversations/{id:long}").WithTags("Composer");
        conv.MapGet("/composer", StateAsync).WithSummary("The composer's state: draft, channel limit, replies and their status");
        conv.MapPut("/draft", SaveDraftAsync).WithSummary("Save the signed-in agent's draft for this conversation");
        conv.MapPost("/replies", (long id, SendReplyRequest body, ClaimsPrincipal user, ReplyFlow flow, CancellationToken ct) => flow.SendAsync(user, id, body, ct))
            .WithSummary("Send a reply: compliance re-check (422), collision check (409 unless confirm), approval decision, then the outbound sender");
        conv.MapPost("/presence", TypingAsync).WithSummary("Heartbeat: the signed-in user is typing in this conversation");

        var replies = api.MapGroup("/replies").WithTags("Composer");
        replies.MapGet("/{replyId:long}", ReplyAsync).WithSummary("One reply with its status");
        replies.MapPost("/{replyId:long}/retry", (long replyId, ClaimsPrincipal user, ReplyFlow flow, CancellationToken ct) => flow.RetryAsync(user, replyId, ct))
            .WithSummary("Retry a failed or uncertain send (reconciles first; never posts twice)");

        api.MapPost("/compliance/check", CheckAsync).WithTags("Compliance").WithSummary("Check a text against the active compliance rules, or (approvers) against a draft rule set given as yaml");

        var approvals = api.MapGroup("/approvals").WithTags("Approvals");
        approvals.MapGet("/", (ClaimsPrincipal user, ReplyFlow flow, CancellationToken ct) => flow.QueueAsync(user, ct)).WithSummary("Replies waiting for approval in my teams");
        approvals.MapPost("/{replyId:long}/approve", (long replyId, ApproveRequest body, ClaimsPrincipal user, ReplyFlow flow, CancellationToken ct) => flow.ApproveAsync(user, replyId, body, ct))
            .WithSummary("Approve the current tier, optionally with an edited text; the final tier sends the reply once");
        approvals.MapPost("/{replyId:long}/reject", (long replyId, RejectRequest body, ClaimsPrincipal user, ReplyFlow flow, CancellationToken ct) => flow.RejectAsync(user, replyId, body, ct))
            .WithSummary("Reject with a comment for the agent");
        api.MapPut("/teams/{team}/approval-tiers", SetTiersAsync).WithTags("Approvals").WithSummary("How many approval tiers (1-3) a team's replies need");

        var canned = api.MapGroup("/canned-replies").WithTags("Canned replies");
        canned.MapGet("/", CannedReplies.ListAsync).WithSummary("Canned replies usable by my teams");
        canned.MapPost("/", CannedReplies.CreateAsync).WithSummary("Create a canned reply (managers and admins)");
        canned.MapDelete("/{cannedId:long}", CannedReplies.DeleteAsync).WithSummary("Delete a canned reply (managers and admins)");
        canned.MapPost("/{cannedId:long}/render", CannedReplies.RenderAsync).WithSummary("Render a canned reply's variables for a conversation");

        var rules = api.MapGroup("/compliance/rule-sets").WithTags("Compliance");
        rules.MapGet("/", ComplianceAdmin.ListAsync).WithSummary("Rule set versions, newest first");
        rules.MapPost("/", ComplianceAdmin.CreateAsync).WithSummary("Save a new rule set version (YAML); not active until activated");
        rules.MapPost("/{ruleSetId:long}/examples", ComplianceAdmin.RunExamplesAsync).WithSummary("Run a version's examples");
        rules.MapPost("/{ruleSetId:long}/activate", ComplianceAdmin.ActivateAsync).WithSummary("Activate a version (refused unless every example behaves); activating an older one is a rollback");
        return api;
    }

    internal sealed record ComposerState(long ConversationId, string Channel, int MaxLength, string Draft, long OpenedAt, IReadOnlyList<ReplyDto> Replies);

    private static async Task<IResult> StateAsync(long id, ClaimsPrincipal user, Database db, ReplyFlow flow, TimeProvider time, CancellationToken ct)
    {
        await using var conn = await db.OpenAsync(ct);
        var conv = await ConversationAccess.VisibleAsync(conn, user, id);
        if (conv is null)
        {
            return ReplyFlow.Problem(404, $"no conversation {id}");
        }

        var draft = await conn.ExecuteScalarAsync<string?>("SELECT text FROM reply_drafts WHERE conversation_id = @id AND user_id = @u", new { id, u = user.UserId() });
        return Results.Ok(new ComposerState(id, conv.Channel, flow.MaxLengthFor(conv.Channel), draft ?? "", time.GetUtcNow().ToUnixTimeMilliseconds(),
            await ReplyFlow.RepliesAsync(conn, id)));
    }

    private static async Task<IResult> SaveDraftAsync(long id, DraftRequest body, ClaimsPrincipal user, Database db, TimeProvider time, CancellationToken ct)
    {
        var text = body.Text ?? "";
        if (text.Length > ReplyFlow.MaxDraftLength)
        {
            return ReplyFlow.Problem(400, $"a draft is at most {ReplyFlow.MaxDraftLength} characters");
        }

        await using var conn = await db.OpenAsync(ct);
        if (!ConversationAccess.CanWrite(user) || await ConversationAccess.VisibleAsync(conn, user, id) is null)
        {
            return ReplyFlow.Problem(404, $"no conversation {id}");
        }

        // Drafts are saved on every pause in typing: an upsert, not audited (they are private working state).
        var p = new { id, u = user.UserId(), text, now = time.GetUtcNow().ToUnixTimeMilliseconds() };
        if (text.Length == 0)
        {
            await conn.ExecuteAsync("DELETE FROM reply_drafts WHERE conversation_id = @id AND user_id = @u", p);
        }
        else
        {
            await conn.ExecuteAsync(
                """
                INSERT INTO reply_drafts (conversation_id, user_id, text, updated_at) VALUES (@id, @u, @text, @now)
                ON CONFLICT (conversation_id, user_id) DO UPDATE SET text = excluded.text, updated_at = excluded.updated_at
                """, p);
        }

        return Results.NoContent();
    }

    private static async Task<IResult> TypingAsync(long id, ClaimsPrincipal user, Database db, PresenceHub presence, CancellationToken ct)
    {
        await using var conn = await db.OpenAsync(ct);
        if (await ConversationAccess.VisibleAsync(conn, user, id) is null)
        {
            return ReplyFlow.Problem(404, $"no conversation {id}");
        }

        presence.Typing(id, user.UserId());
        return Results.NoContent();
    }

    private static async Task<IResult> ReplyAsync(long replyId, ClaimsPrincipal user, Database db, ReplyFlow flow, CancellationToken ct)
    {
        var reply = await flow.ReplyAsync(replyId, ct);
        await using var conn = await db.OpenAsync(ct);
        return reply is null || await ConversationAccess.VisibleAsync(conn, user, reply.ConversationId) is null
            ? ReplyFlow.Problem(404, $"no reply {replyId}")
            : Results.Ok(reply);
    }

    private static async Task<IResult> CheckAsync(CheckRequest body, long? conversationId, ClaimsPrincipal user, Database db, ComplianceRules rules, ReplyFlow flow, CancellationToken ct)
    {
        var text = body.Text ?? "";
        if (text.Length > ReplyFlow.MaxDraftLength)
        {
            return ReplyFlow.Problem(400, $"at most {ReplyFlow.MaxDraftLength} characters are checked");
        }

        if (body.Yaml is { } yaml)
        {
            if (!ComplianceAdmin.MayAdminister(user))
            {
                return ReplyFlow.Problem(403, "only compliance approvers and admins try draft rule sets");
            }

            var trial = ComplianceTrial.Run(yaml, text);
            return trial.Loaded
                ? Results.Ok(new DraftCheckResponse(trial.Outcome!, trial.Findings, trial.Examples))
                : Results.Json(new ActivationProblem("the rule set is not valid: " + trial.Errors[0], null, trial.Errors),
                    statusCode: StatusCodes.Status400BadRequest, contentType: "application/problem+json");
        }

        await using var conn = await db.OpenAsync(ct);
        var max = ReplyFlow.DefaultMaxLength;
        if (conversationId is { } cid)
        {
            var conv = await ConversationAccess.VisibleAsync(conn, user, cid);
            if (conv is null)
            {
                return ReplyFlow.Problem(404, $"no conversation {cid}");
            }

            max = flow.MaxLengthFor(conv.Channel);
        }

        var active = await rules.ActiveAsync(conn, null);
        var result = ComplianceChecker.Check(active.Rules, text, active.Patterns);
        return Results.Ok(new CheckResponse(RuleSetExamples.Name(result.Outcome), FindingDto.From(result, text), ReplyFlow.Length(text), max, active.Version));
    }

    private static async Task<IResult> SetTiersAsync(string team, TiersRequest body, ClaimsPrincipal user, Database db, TimeProvider time, CancellationToken ct)
    {
        if (ConversationAccess.Role(user) is not ("admin" or "manager"))
        {
            return ReplyFlow.Problem(403, "only managers and admins configure approval tiers");
        }

        if (body.Tiers is < 1 or > ApprovalPolicy.MaxTiers)
        {
            return ReplyFlow.Problem(400, $"tiers must be between 1 and {ApprovalPolicy.MaxTiers}");
        }

        await using var conn = await db.OpenAsync(ct);
        var teamId = await conn.ExecuteScalarAsync<long?>("SELECT id FROM teams WHERE slug = @team", new { team });
        if (teamId is null || !await ConversationAccess.InTeamAsync(conn, user, teamId))
        {
            return ReplyFlow.Problem(404, $"no team '{team}'");
        }

        await using var tx = await conn.BeginTransactionAsync(ct);
        var before = await conn.ExecuteScalarAsync<long?>("SELECT tiers FROM approval_tiers WHERE team_id = @teamId", new { teamId }, tx);
        await conn.ExecuteAsync(
            """
            INSERT INTO approval_tiers (team_id, tiers, updated_at) VALUES (@teamId, @tiers, @now)
            ON CONFLICT (team_id) DO UPDATE SET tiers = excluded.tiers, updated_at = excluded.updated_at
            """, new { teamId, tiers = body.Tiers, now = time.GetUtcNow().ToUnixTimeMilliseconds() }, tx);
        await AuditLog.WriteAsync(conn, tx, AuditEntry.By(user, "team.approval_tiers", "team", teamId.Value.ToString(CultureInfo.InvariantCulture),
            before: new { tiers = before ?? 1 }, after: new { tiers = body.Tiers }), time);
        await tx.CommitAsync(ct);
        return Results.Ok(new { team, tiers = body.Tiers });
    }
}
