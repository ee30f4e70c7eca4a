using System.Globalization;
using System.Security.Claims;
using Dapper;
using Switchboard.Audit;
using Switchboard.Auth;
using Switchboard.Compliance;
using Switchboard.Storage;

namespace Switchboard.Composer;

/// <summary>
/// Rule set versions for compliance approvers (roles approver and admin): save a version, run its examples,
/// activate it (refused with the first failing example) or roll back by activating an older one. Audited.
/// </summary>
internal static class ComplianceAdmin
{
    public static bool MayAdminister(ClaimsPrincipal user) => ConversationAccess.Role(user) is "approver" or "admin";

    internal static async Task<IResult> ListAsync(ClaimsPrincipal user, Database db, CancellationToken ct)
    {
        if (!MayAdminister(user))
        {
            return ReplyFlow.Problem(403, "only compliance approvers and admins manage rule sets");
        }

        await using var conn = await db.OpenAsync(ct);
        return Results.Ok((await ComplianceRules.VersionsAsync(conn)).Select(RuleSetVersionDto.From));
    }

    internal static async Task<IResult> CreateAsync(RuleSetRequest body, ClaimsPrincipal user, Database db, TimeProvider time, CancellationToken ct)
    {
        if (!MayAdminister(user))
        {
            return ReplyFlow.Problem(403, "only compliance approvers and admins manage rule sets");
        }

        var yaml = body.Yaml ?? "";
        var loaded = RuleSetLoader.Load(yaml);
        if (!loaded.Ok)
        {
            return Results.Json(new ActivationProblem("the rule set is not valid: " + loaded.Errors[0], null, [.. loaded.Errors.Select(e => e.ToString())]),
                statusCode: StatusCodes.Status400BadRequest, contentType: "application/problem+json");
        }

        await using var conn = await db.OpenAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var version = await conn.ExecuteScalarAsync<long>("SELECT COALESCE(MAX(version), 0) + 1 FROM compliance_rule_sets", transaction: tx);
        var id = await conn.ExecuteScalarAsync<long>(
            """
            INSERT INTO compliance_rule_sets (version, yaml, comment, author_id, author, created_at)
            VALUES (@version, @yaml, @comment, @authorId, @author, @now) RETURNING id
            """, new
            {
                version,
                yaml,
                comment = string.IsNullOrWhiteSpace(body.Comment) ? null : body.Comment.Trim(),
                authorId = user.UserId(),
                author = user.FindFirstValue(ClaimTypes.Email) ?? "unknown",
                now = time.GetUtcNow().ToUnixTimeMilliseconds(),
            }, tx);
        await AuditLog.WriteAsync(conn, tx, AuditEntry.By(user, "compliance.rule_set.create", "compliance_rule_set", id.ToString(CultureInfo.InvariantCulture),
            after: new { version, comment = body.Comment }), time);
        await tx.CommitAsync(ct);
        return Results.Created($"/api/compliance/rule-sets/{id}", RuleSetVersionDto.From((await ComplianceRules.VersionAsync(conn, id))!));
    }

    internal static async Task<IResult> RunExamplesAsync(long ruleSetId, ClaimsPrincipal user, Database db, CancellationToken ct)
    {
        if (!MayAdminister(user))
        {
            return ReplyFlow.Problem(403, "only compliance approvers and admins manage rule sets");
        }

        await using var conn = await db.OpenAsync(ct);
        var v = await ComplianceRules.VersionAsync(conn, ruleSetId);
        var rules = v is null ? null : RuleSetLoader.Load(v.Yaml).RuleSet;
        return v is null ? ReplyFlow.Problem(404, $"no rule set {ruleSetId}")
            : rules is null ? ReplyFlow.Problem(409, "this version no longer loads")
            : Results.Ok(RuleSetExamples.Run(rules).Select(ExampleResultDto.From));
    }

    internal static async Task<IResult> ActivateAsync(long ruleSetId, ClaimsPrincipal user, Database db, TimeProvider time, CancellationToken ct)
    {
        if (!MayAdminister(user))
        {
            return ReplyFlow.Problem(403, "only compliance approvers and admins manage rule sets");
        }

        await using var conn = await db.OpenAsync(ct);
        var v = await ComplianceRules.VersionAsync(conn, ruleSetId);
        if (v is null)
        {
            return ReplyFlow.Problem(404, $"no rule set {ruleSetId}");
        }

        var rules = RuleSetLoader.Load(v.Yaml).RuleSet;
        if (rules is null)
        {
            return ReplyFlow.Problem(409, "this version no longer loads");
        }

        if (rules.Examples.Count == 0)
        {
            return Results.Json(new ActivationProblem("a rule set needs examples before it can be activated", null, null),
                statusCode: StatusCodes.Status422UnprocessableEntity, contentType: "application/problem+json");
        }

        if (RuleSetExamples.FirstFailure(rules) is { } failure)
        {
            return Results.Json(new ActivationProblem($"example {failure.Index + 1} fails: {failure.Problem}", ExampleResultDto.From(failure), null),
                statusCode: StatusCodes.Status422UnprocessableEntity, contentType: "application/problem+json");
        }

        await using var tx = await conn.BeginTransactionAsync(ct);
        var before = await conn.ExecuteScalarAsync<long?>("SELECT version FROM compliance_rule_sets WHERE active = 1", transaction: tx);
        await conn.ExecuteAsync("UPDATE compliance_rule_sets SET active = 0 WHERE active = 1", transaction: tx);
        await conn.ExecuteAsync("UPDATE compliance_rule_sets SET active = 1, activated_at = @now, activated_by = @by WHERE id = @ruleSetId",
            new { ruleSetId, now = time.GetUtcNow().ToUnixTimeMilliseconds(), by = user.FindFirstValue(ClaimTypes.Email) }, tx);
        await AuditLog.WriteAsync(conn, tx, AuditEntry.By(user, before > v.Version ? "compliance.rule_set.rollback" : "compliance.rule_set.activate",
            "compliance_rule_set", ruleSetId.ToString(CultureInfo.InvariantCulture), before: new { activeVersion = before }, after: new { activeVersion = v.Version }), time);
        await tx.CommitAsync(ct);
        return Results.Ok(RuleSetVersionDto.From((await ComplianceRules.VersionAsync(conn, ruleSetId))!));
    }
}
