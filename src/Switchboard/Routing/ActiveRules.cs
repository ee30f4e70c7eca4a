using System.Data.Common;
using Dapper;
using Switchboard.Routing.Configuration;
using Switchboard.Storage;

namespace Switchboard.Routing;

/// <summary>The active configuration version, parsed once.</summary>
internal sealed record RulesSnapshot(long VersionId, Workspace Workspace, string Yaml);

/// <summary>
/// Loads and caches the active <c>rule_versions</c> row. Several processes share the database, so the cache is
/// revalidated by reading only the active id (a one-row query) at most once per <see cref="RecheckInterval"/>; the
/// YAML is re-parsed only when that id changed. Activation in this process invalidates at once.
/// </summary>
internal sealed class ActiveRules(Database db, TimeProvider time, ILogger<ActiveRules> log, bool demo = false)
{
    public static readonly TimeSpan RecheckInterval = TimeSpan.FromSeconds(1);

    RulesSnapshot? _current;
    long _checkedAt;
    bool _valid;
    readonly SemaphoreSlim _lock = new(1, 1);

    public async Task<RulesSnapshot> GetAsync(CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct);
        return await GetAsync(conn, null, ct);
    }

    public async Task<RulesSnapshot> GetAsync(DbConnection conn, DbTransaction? tx, CancellationToken ct = default)
    {
        var now = time.GetTimestamp();
        var cur = _current;
        if (cur is not null && Volatile.Read(ref _valid) && time.GetElapsedTime(Volatile.Read(ref _checkedAt), now) < RecheckInterval)
            return cur;
        var activeId = await conn.ExecuteScalarAsync<long?>("SELECT id FROM rule_versions WHERE active = 1 ORDER BY id DESC LIMIT 1", transaction: tx)
            ?? await SeedAsync(conn, tx, demo, time);
        if (cur is null || cur.VersionId != activeId)
        {
            await _lock.WaitAsync(ct);
            try
            {
                if (_current is null || _current.VersionId != activeId)
                {
                    var yaml = await conn.ExecuteScalarAsync<string>("SELECT yaml FROM rule_versions WHERE id = @activeId", new { activeId }, tx);
                    var result = WorkspaceLoader.LoadText(yaml!);
                    // Stored versions were validated before they were stored; failing here means the loader got stricter.
                    _current = result.Ok
                        ? new RulesSnapshot(activeId, result.Workspace!, yaml!)
                        : throw new InvalidOperationException($"active rule version {activeId} no longer loads: {string.Join("; ", result.Errors)}");
                    log.LogInformation("Routing configuration version {Version} is active", activeId);
                }
                cur = _current;
            }
            finally
            {
                _lock.Release();
            }
        }
        Volatile.Write(ref _checkedAt, now);
        Volatile.Write(ref _valid, true);
        return cur;
    }

    /// <summary>Forces the next <see cref="GetAsync(CancellationToken)"/> to revalidate (after an activation here).</summary>
    public void Invalidate() => Volatile.Write(ref _valid, false);

    public static string BuiltInYaml(bool demo)
    {
        var name = demo ? "Switchboard.Demo.workspace.yaml" : "Switchboard.Routing.default-workspace.yaml";
        using var s = typeof(ActiveRules).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"embedded resource {name} missing");
        using var r = new StreamReader(s);
        return r.ReadToEnd();
    }

    /// <summary>
    /// First start: stores version 1 from the built-in default (or the demo workspace) and activates it, in the
    /// caller's transaction when it has one (the ingest batch that first needs rules), so no other connection waits
    /// on its lock. Two processes seeding at once leave two rows; the newest active id wins everywhere.
    /// </summary>
    public static async Task<long> SeedAsync(DbConnection conn, DbTransaction? tx, bool demo, TimeProvider time)
    {
        var yaml = BuiltInYaml(demo);
        var id = await conn.ExecuteScalarAsync<long>(
            "INSERT INTO rule_versions (yaml, author_id, author, comment, created_at, active) VALUES (@yaml, NULL, 'system', @comment, @now, 1) RETURNING id",
            new { yaml, comment = demo ? "demo workspace" : "built-in default", now = time.GetUtcNow().ToUnixTimeMilliseconds() }, tx);
        await Audit.AuditLog.WriteAsync(conn, tx, Audit.AuditEntry.BySystem("routing", "rules.seed", "rule_versions",
            id.ToString(System.Globalization.CultureInfo.InvariantCulture), null, new { demo }), time);
        return id;
    }
}
