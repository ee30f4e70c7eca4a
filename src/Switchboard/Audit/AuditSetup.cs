using System.Globalization;
using Switchboard.Api;
using Switchboard.Auth;
using Switchboard.Storage;

namespace Switchboard.Audit;

/// <summary>The audit trail for admins and managers: `GET /api/audit` (JSON pages) and `GET /audit/export.csv`.
/// The page itself is Inbox/Components/Pages/AuditPage.razor.</summary>
internal static class AuditSetup
{
    public static void MapAudit(this WebApplication app)
    {
        app.MapGet("/api/audit", ListAsync).RequireAuthorization(AuthSetup.ApiPolicy).RequireAuthorization(Policies.Manager)
            .WithTags("Audit").WithSummary("The audit trail, newest first; filter by actor, action (or 'family.'), entity, entity_id, from, to (ISO 8601)");
        app.MapGet("/audit/export.csv", ExportAsync).RequireAuthorization(Policies.Manager)
            .WithTags("Audit").WithSummary("The filtered audit trail as CSV (formula-safe)");
    }

    /// <summary>Parses the query's filters; a malformed one is reported, never ignored (an export must not silently
    /// widen to everything).</summary>
    public static (AuditFilter? Filter, string? Error) Parse(string? actor, string? action, string? entity, string? entityId, string? from, string? to)
    {
        foreach (var (name, value) in new[] { ("actor", actor), ("action", action), ("entity", entity), ("entity_id", entityId) })
        {
            if (value is { Length: > 200 })
            {
                return (null, $"{name} is longer than 200 characters");
            }
        }

        long? Ms(string? s, out string? error)
        {
            error = null;
            if (string.IsNullOrWhiteSpace(s))
            {
                return null;
            }

            if (DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t))
            {
                return t.ToUnixTimeMilliseconds();
            }

            error = $"'{(s.Length > 40 ? s[..40] : s)}' is not a date or time (use ISO 8601, e.g. 2026-11-22T08:00Z)";
            return null;
        }

        var fromMs = Ms(from, out var e1);
        var toMs = Ms(to, out var e2);
        if ((e1 ?? e2) is { } e)
        {
            return (null, e);
        }

        static string? N(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();
        return (new AuditFilter(N(actor), N(action), N(entity), N(entityId), fromMs, toMs), null);
    }

    private static async Task<IResult> ListAsync(string? actor, string? action, string? entity, string? entity_id, string? from, string? to, long? before, int? limit,
        System.Security.Claims.ClaimsPrincipal user, Database db, CancellationToken ct)
    {
        var (filter, error) = Parse(actor, action, entity, entity_id, from, to);
        if (filter is null)
        {
            return Problems.BadRequest(error!);
        }

        if (limit is < 1 or > AuditQuery.MaxPage)
        {
            return Problems.BadRequest($"limit must be between 1 and {AuditQuery.MaxPage}");
        }

        await using var conn = await db.OpenAsync(ct);
        return TypedResults.Ok(await AuditQuery.ListAsync(conn, filter, await AccessScope.LoadAsync(conn, user), before, limit ?? 100, ct));
    }

    private static async Task<IResult> ExportAsync(string? actor, string? action, string? entity, string? entity_id, string? from, string? to,
        HttpContext ctx, Database db, TimeProvider time)
    {
        var (filter, error) = Parse(actor, action, entity, entity_id, from, to);
        if (filter is null)
        {
            return Problems.BadRequest(error!);
        }

        await using var conn = await db.OpenAsync(ctx.RequestAborted);
        ctx.Response.ContentType = "text/csv; charset=utf-8";
        ctx.Response.Headers.ContentDisposition = $"attachment; filename=\"audit-{time.GetUtcNow():yyyyMMdd-HHmm}.csv\"";
        var scope = await AccessScope.LoadAsync(conn, ctx.User);
        await AuditQuery.WriteCsvAsync(conn, filter, scope, ctx.Response.Body, ctx.RequestAborted);
        return Results.Empty;
    }
}
