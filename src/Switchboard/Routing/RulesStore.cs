using System.Globalization;
using System.Security.Claims;
using Dapper;
using Switchboard.Audit;
using Switchboard.Auth;
using Switchboard.Storage;

namespace Switchboard.Routing;

/// <summary>
/// Storing a new rules version, for the rules page, its rollback and the API's POST /api/rules: validated first, a
/// refused configuration returns its errors and the active version stays in force; an accepted one becomes active in
/// one transaction with its audit record.
/// </summary>
internal static class RulesStore
{
    public static async Task<(long? Id, List<ConfigErrorDto> Errors)> SaveAsync(Database db, ActiveRules rules, TimeProvider time,
        ClaimsPrincipal user, string yaml, string? comment, string action, CancellationToken ct)
    {
        if (yaml.Length > Configuration.WorkspaceLoader.MaxBytes)
            return (null, [new ConfigErrorDto("", 0, 0, $"configuration larger than {Configuration.WorkspaceLoader.MaxBytes} characters")]);
        if (comment is { Length: > 500 })
            return (null, [new ConfigErrorDto("", 0, 0, "comment must be at most 500 characters")]);
        await using var conn = await db.OpenAsync(ct);
        var (_, errors) = await RulesEndpoints.ValidateAsync(conn, yaml);
        if (errors.Count > 0)
            return (null, errors);
        var before = (await rules.GetAsync(conn, null, ct)).VersionId;
        await using var tx = await conn.BeginTransactionAsync(ct);
        await conn.ExecuteAsync("UPDATE rule_versions SET active = 0 WHERE active = 1", transaction: tx);
        var id = await conn.ExecuteScalarAsync<long>(
            "INSERT INTO rule_versions (yaml, author_id, author, comment, created_at, active) VALUES (@yaml, @uid, @author, @comment, @now, 1) RETURNING id",
            new { yaml, uid = user.UserId() is var u and > 0 ? u : (long?)null, author = user.FindFirstValue(ClaimTypes.Email) ?? "unknown", comment, now = time.GetUtcNow().ToUnixTimeMilliseconds() }, tx);
        await AuditLog.WriteAsync(conn, tx, AuditEntry.By(user, action, "rule_versions", id.ToString(CultureInfo.InvariantCulture),
            new { active = before }, new { active = id, comment }), time);
        await tx.CommitAsync(ct);
        rules.Invalidate();
        return (id, []);
    }
}
