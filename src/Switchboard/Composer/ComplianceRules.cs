using System.Data.Common;
using Dapper;
using Switchboard.Compliance;
using Switchboard.Storage;

namespace Switchboard.Composer;

/// <summary>A stored rule set version.</summary>
internal sealed record RuleSetVersion(long Id, long Version, string Yaml, string? Comment, string Author, DateTimeOffset CreatedAt, bool Active,
    DateTimeOffset? ActivatedAt, string? ActivatedBy);

/// <summary>
/// The rule set in force: the active row of compliance_rule_sets, or the built-in default when none is active.
/// Parsed and compiled once per active version and shared (every keystroke of every agent is checked against it).
/// </summary>
internal sealed class ComplianceRules(Database db)
{
    private volatile Loaded? _cache;

    internal sealed record Loaded(long? Id, long Version, RuleSet Rules, CompiledPatterns Patterns);

    public async Task<Loaded> ActiveAsync(CancellationToken ct)
    {
        await using var conn = await db.OpenAsync(ct);
        return await ActiveAsync(conn, null);
    }

    public async Task<Loaded> ActiveAsync(DbConnection conn, DbTransaction? tx)
    {
        var row = await conn.QueryFirstOrDefaultAsync<(long Id, long Version)?>(
            "SELECT id, version FROM compliance_rule_sets WHERE active = 1 ORDER BY id DESC LIMIT 1", transaction: tx);
        var cached = _cache;
        if (cached is not null && cached.Id == row?.Id)
        {
            return cached;
        }

        Loaded loaded;
        if (row is { } r)
        {
            var yaml = await conn.ExecuteScalarAsync<string>("SELECT yaml FROM compliance_rule_sets WHERE id = @id", new { id = r.Id }, tx);
            // An active row was valid when activated; if it no longer loads (a code change), fail safe to the default.
            var rules = RuleSetLoader.Load(yaml ?? "").RuleSet ?? DefaultRuleSet.RuleSet;
            loaded = new Loaded(r.Id, r.Version, rules, CompiledPatterns.For(rules));
        }
        else
        {
            loaded = new Loaded(null, 0, DefaultRuleSet.RuleSet, CompiledPatterns.For(DefaultRuleSet.RuleSet));
        }

        _cache = loaded;
        return loaded;
    }

    public async Task<ComplianceResult> CheckAsync(DbConnection conn, DbTransaction? tx, string text)
    {
        var active = await ActiveAsync(conn, tx);
        return ComplianceChecker.Check(active.Rules, text, active.Patterns);
    }

    public static async Task<IReadOnlyList<RuleSetVersion>> VersionsAsync(DbConnection conn) =>
        [.. (await conn.QueryAsync<VersionRow>(
            """
            SELECT id AS Id, version AS Version, yaml AS Yaml, comment AS Comment, author AS Author, created_at AS CreatedAt,
                   active AS Active, activated_at AS ActivatedAt, activated_by AS ActivatedBy
            FROM compliance_rule_sets ORDER BY version DESC
            """)).Select(v => v.ToVersion())];

    public static async Task<RuleSetVersion?> VersionAsync(DbConnection conn, long id, DbTransaction? tx = null) =>
        (await conn.QueryFirstOrDefaultAsync<VersionRow>(
            """
            SELECT id AS Id, version AS Version, yaml AS Yaml, comment AS Comment, author AS Author, created_at AS CreatedAt,
                   active AS Active, activated_at AS ActivatedAt, activated_by AS ActivatedBy
            FROM compliance_rule_sets WHERE id = @id
            """, new { id }, tx))?.ToVersion();

    private sealed class VersionRow
    {
        public long Id { get; init; }
        public long Version { get; init; }
        public string Yaml { get; init; } = "";
        public string? Comment { get; init; }
        public string Author { get; init; } = "";
        public long CreatedAt { get; init; }
        public long Active { get; init; }
        public long? ActivatedAt { get; init; }
        public string? ActivatedBy { get; init; }

        public RuleSetVersion ToVersion() => new(Id, Version, Yaml, Comment, Author, DateTimeOffset.FromUnixTimeMilliseconds(CreatedAt), Active != 0,
            ActivatedAt is { } a ? DateTimeOffset.FromUnixTimeMilliseconds(a) : null, ActivatedBy);
    }
}
