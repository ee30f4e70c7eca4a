using System.Security.Claims;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Switchboard.Api;
using Switchboard.Audit;
using Switchboard.Auth;
using Switchboard.Routing.Configuration;
using Switchboard.Storage;

namespace Switchboard.Routing;

internal sealed record RuleVersionSummary(long Id, string Author, DateTimeOffset CreatedAt, string? Comment, bool Active);

internal sealed record RuleVersionDto(long Id, string Author, DateTimeOffset CreatedAt, string? Comment, bool Active, string Yaml,
    long? PreviousId, IReadOnlyList<string> Diff);

internal sealed record RulesDto(RuleVersionDto Active, IReadOnlyList<RuleVersionSummary> Versions);

internal sealed record ConfigErrorDto(string Path, long Line, long Column, string Message);

internal sealed record RulesCreatedDto(long Id, bool Active);

/// <summary>
/// Routing/SLA configuration versions (issue 5): read the active one and the history, store a new version (validated
/// with the offending element's path; a refused one never becomes active), roll back by activating an older one.
/// Managers and admins only; every change is audited with before/after.
/// </summary>
internal static class RulesEndpoints
{
    public const string ManagePolicy = "routing.manage";

    public static RouteGroupBuilder MapRulesApi(this RouteGroupBuilder api)
    {
        var g = api.MapGroup("/rules").WithTags("Routing rules").RequireAuthorization(ManagePolicy);
        g.MapGet("/", GetAsync).WithSummary("The active configuration and the list of versions");
        g.MapGet("/versions/{id:long}", VersionAsync).WithSummary("One version's YAML with a line diff against the version before it");
        g.MapPost("/", CreateAsync).WithSummary("Store a YAML configuration as a new version and activate it (400 with paths when invalid)");
        g.MapPost("/versions/{id:long}/activate", ActivateAsync).WithSummary("Activate an older version (rollback)");
        return api;
    }

    sealed record Row(long Id, string Yaml, string Author, long CreatedAt, string? Comment, long Active);

    static async Task<RuleVersionDto?> LoadAsync(System.Data.Common.DbConnection conn, long id)
    {
        var row = await conn.QueryFirstOrDefaultAsync<Row>(
            "SELECT id AS Id, yaml AS Yaml, author AS Author, created_at AS CreatedAt, comment AS Comment, active AS Active FROM rule_versions WHERE id = @id", new { id });
        if (row is null)
            return null;
        var prev = await conn.QueryFirstOrDefaultAsync<(long Id, string Yaml)?>(
            "SELECT id, yaml FROM rule_versions WHERE id < @id ORDER BY id DESC LIMIT 1", new { id });
        return new RuleVersionDto(row.Id, row.Author, DateTimeOffset.FromUnixTimeMilliseconds(row.CreatedAt), row.Comment, row.Active == 1, row.Yaml,
            prev?.Id, prev is null ? [] : LineDiff.Diff(prev.Value.Yaml, row.Yaml));
    }

    static async Task<Ok<RulesDto>> GetAsync(Database db, ActiveRules rules, CancellationToken ct)
    {
        var active = await rules.GetAsync(ct);
        await using var conn = await db.OpenAsync(ct);
        var versions = (await conn.QueryAsync<Row>(
            "SELECT id AS Id, '' AS Yaml, author AS Author, created_at AS CreatedAt, comment AS Comment, active AS Active FROM rule_versions ORDER BY id DESC LIMIT 500"))
            .Select(r => new RuleVersionSummary(r.Id, r.Author, DateTimeOffset.FromUnixTimeMilliseconds(r.CreatedAt), r.Comment, r.Id == active.VersionId)).ToList();
        return TypedResults.Ok(new RulesDto((await LoadAsync(conn, active.VersionId))!, versions));
    }

    static async Task<Results<Ok<RuleVersionDto>, NotFound<ProblemDetailsDto>>> VersionAsync(long id, Database db, CancellationToken ct)
    {
        await using var conn = await db.OpenAsync(ct);
        return await LoadAsync(conn, id) is { } v ? TypedResults.Ok(v) : TypedResults.NotFound(new ProblemDetailsDto(404, $"no rule version {id}"));
    }

    /// <summary>The YAML loader's checks plus the host's: every team must exist (by slug) in this workspace's database.</summary>
    internal static async Task<(Workspace? Workspace, List<ConfigErrorDto> Errors)> ValidateAsync(System.Data.Common.DbConnection conn, string yaml)
    {
        var result = WorkspaceLoader.LoadText(yaml);
        if (!result.Ok)
            return (null, [.. result.Errors.Select(e => new ConfigErrorDto(e.Path, e.Line, e.Column, e.Message))]);
        var slugs = (await conn.QueryAsync<string>("SELECT slug FROM teams")).ToHashSet(StringComparer.Ordinal);
        var errors = result.Workspace!.TeamList.Select((t, i) => (t, i)).Where(x => !slugs.Contains(x.t.Name))
            .Select(x => new ConfigErrorDto($"teams[{x.i}].name", 0, 0, $"unknown team '{x.t.Name}': team names are team slugs ({string.Join(", ", slugs.Order())})"))
            .ToList();
        return errors.Count > 0 ? (null, errors) : (result.Workspace, []);
    }

    static async Task<Results<Created<RulesCreatedDto>, ProblemHttpResult>> CreateAsync(HttpRequest request, ClaimsPrincipal user, string? comment,
        Database db, ActiveRules rules, TimeProvider time, CancellationToken ct)
    {
        if (comment is { Length: > 500 })
            return Problems.BadRequest("comment must be at most 500 characters");
        if (request.ContentLength > WorkspaceLoader.MaxBytes * 4L)
            return Problems.BadRequest($"configuration larger than {WorkspaceLoader.MaxBytes} characters");
        string yaml;
        using (var reader = new StreamReader(request.Body))
        {
            var buffer = new char[WorkspaceLoader.MaxBytes + 1];
            var n = await reader.ReadBlockAsync(buffer.AsMemory(), ct);
            if (n > WorkspaceLoader.MaxBytes)
                return Problems.BadRequest($"configuration larger than {WorkspaceLoader.MaxBytes} characters");
            yaml = new string(buffer, 0, n);
        }
        var (id, errors) = await RulesStore.SaveAsync(db, rules, time, user, yaml, comment, "rules.create", ct);
        if (id is null)
        {
            return TypedResults.Problem(
                detail: "configuration refused; the active version stays in force: " + string.Join("; ", errors.Take(5).Select(e => $"{e.Path}: {e.Message}")),
                statusCode: StatusCodes.Status400BadRequest, title: "Invalid configuration",
                extensions: new Dictionary<string, object?> { ["errors"] = errors });
        }
        return TypedResults.Created($"/api/rules/versions/{id}", new RulesCreatedDto(id.Value, true));
    }

    static async Task<Results<Ok<RulesCreatedDto>, NotFound<ProblemDetailsDto>, ProblemHttpResult>> ActivateAsync(long id, ClaimsPrincipal user,
        Database db, ActiveRules rules, TimeProvider time, CancellationToken ct)
    {
        await using var conn = await db.OpenAsync(ct);
        var yaml = await conn.ExecuteScalarAsync<string?>("SELECT yaml FROM rule_versions WHERE id = @id", new { id });
        if (yaml is null)
            return TypedResults.NotFound(new ProblemDetailsDto(404, $"no rule version {id}"));
        // Re-validated: teams may have changed since the version was stored.
        var (_, errors) = await ValidateAsync(conn, yaml);
        if (errors.Count > 0)
            return Problems.BadRequest($"version {id} no longer validates: " + string.Join("; ", errors.Take(5).Select(e => $"{e.Path}: {e.Message}")));
        var before = (await rules.GetAsync(conn, null, ct)).VersionId;
        await using var tx = await conn.BeginTransactionAsync(ct);
        await conn.ExecuteAsync("UPDATE rule_versions SET active = CASE WHEN id = @id THEN 1 ELSE 0 END WHERE active = 1 OR id = @id", new { id }, tx);
        await AuditLog.WriteAsync(conn, tx, AuditEntry.By(user, "rules.activate", "rule_versions", id.ToString(System.Globalization.CultureInfo.InvariantCulture),
            new { active = before }, new { active = id }), time);
        await tx.CommitAsync(ct);
        rules.Invalidate();
        return TypedResults.Ok(new RulesCreatedDto(id, true));
    }
}

/// <summary>A small line diff ("+ added", "- removed") for the version history; capped so huge files stay cheap.</summary>
internal static class LineDiff
{
    const int MaxCells = 4_000_000;

    public static IReadOnlyList<string> Diff(string before, string after)
    {
        var a = before.Split('\n');
        var b = after.Split('\n');
        if ((long)a.Length * b.Length > MaxCells)
            return ["(diff omitted: configurations too large to compare line by line)"];
        var lcs = new int[a.Length + 1, b.Length + 1];
        for (var i = a.Length - 1; i >= 0; i--)
        {
            for (var j = b.Length - 1; j >= 0; j--)
                lcs[i, j] = a[i] == b[j] ? lcs[i + 1, j + 1] + 1 : Math.Max(lcs[i + 1, j], lcs[i, j + 1]);
        }
        var result = new List<string>();
        int x = 0, y = 0;
        while (x < a.Length || y < b.Length)
        {
            if (x < a.Length && y < b.Length && a[x] == b[y])
            {
                x++;
                y++;
            }
            else if (y < b.Length && (x == a.Length || lcs[x, y + 1] >= lcs[x + 1, y]))
            {
                result.Add("+ " + b[y++]);
            }
            else
            {
                result.Add("- " + a[x++]);
            }
        }
        return result;
    }
}
