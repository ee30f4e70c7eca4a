using System.Data.Common;
using System.Reflection;
using Dapper;

namespace Switchboard.Storage;

/// <summary>
/// Applies the versioned SQL migrations embedded in this assembly (Storage/Migrations/NNNN_name.sql), each in its
/// own transaction, recording them in schema_migrations. Safe to run from several processes at once: PostgreSQL
/// takes an advisory lock, SQLite an immediate write transaction.
/// </summary>
internal static class Migrator
{
    private const long AdvisoryLockKey = 0x5357_4243_4844; // "SWBCHD": any constant unique to Switchboard.

    /// <summary>
    /// A schema version: SQL both databases run, plus optional dialect-only SQL from `NNNN_name.sqlite.sql` /
    /// `NNNN_name.postgres.sql` (full-text search differs between them), run after it in the same transaction.
    /// </summary>
    public sealed record Migration(int Version, string Name, string Sql, string? SqliteSql = null, string? PostgresSql = null)
    {
        public string SqlFor(Database db) => Sql + "\n" + ((db.IsSqlite ? SqliteSql : PostgresSql) ?? "");
    }

    public static IReadOnlyList<Migration> All { get; } = Load();

    public static async Task<IReadOnlyList<Migration>> MigrateAsync(Database db, CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct);
        if (!db.IsSqlite)
        {
            await conn.ExecuteAsync("SELECT pg_advisory_lock(@k)", new { k = AdvisoryLockKey });
        }

        try
        {
            await conn.ExecuteAsync(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)");
            var applied = new List<Migration>();
            foreach (var m in All)
            {
                await using var tx = await BeginAsync(conn, db, ct);
                var done = await conn.ExecuteScalarAsync<long>(
                    "SELECT COUNT(*) FROM schema_migrations WHERE version = @v", new { v = m.Version }, tx);
                if (done > 0)
                {
                    await tx.RollbackAsync(ct);
                    continue;
                }

                await conn.ExecuteAsync(m.SqlFor(db).Replace("{{id}}", db.IdColumn, StringComparison.Ordinal), transaction: tx);
                await conn.ExecuteAsync(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (@v, @n, @t)",
                    new { v = m.Version, n = m.Name, t = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() }, tx);
                await tx.CommitAsync(ct);
                applied.Add(m);
            }

            return applied;
        }
        finally
        {
            if (!db.IsSqlite)
            {
                await conn.ExecuteAsync("SELECT pg_advisory_unlock(@k)", new { k = AdvisoryLockKey });
            }
        }
    }

    /// <summary>The highest applied version, or 0 for a database that has never been migrated.</summary>
    public static async Task<int> CurrentVersionAsync(DbConnection conn)
    {
        try
        {
            return (int)await conn.ExecuteScalarAsync<long>("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
        }
        catch (DbException)
        {
            return 0;
        }
    }

    private static async Task<DbTransaction> BeginAsync(DbConnection conn, Database db, CancellationToken ct)
    {
        if (db.IsSqlite && conn is Microsoft.Data.Sqlite.SqliteConnection sqlite)
        {
            // Deferred transactions can deadlock two migrating processes on upgrade; take the write lock up front.
            return sqlite.BeginTransaction(deferred: false);
        }

        return await conn.BeginTransactionAsync(ct);
    }

    private static List<Migration> Load()
    {
        const string Prefix = "Switchboard.Storage.Migrations.";
        var asm = Assembly.GetExecutingAssembly();
        var common = new Dictionary<int, Migration>();
        var dialect = new List<(int Version, bool Sqlite, string Sql)>();
        foreach (var name in asm.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal)))
        {
            var file = name[Prefix.Length..^".sql".Length];
            bool? sqlite = file.EndsWith(".sqlite", StringComparison.Ordinal) ? true : file.EndsWith(".postgres", StringComparison.Ordinal) ? false : null;
            if (sqlite is not null)
            {
                file = file[..file.LastIndexOf('.')];
            }

            var under = file.IndexOf('_', StringComparison.Ordinal);
            if (under <= 0 || !int.TryParse(file[..under], out var version))
            {
                continue;
            }

            using var s = asm.GetManifestResourceStream(name)!;
            using var r = new StreamReader(s);
            var sql = r.ReadToEnd();
            if (sqlite is { } isSqlite)
            {
                dialect.Add((version, isSqlite, sql));
            }
            else
            {
                common[version] = new Migration(version, file[(under + 1)..], sql);
            }
        }

        foreach (var (version, isSqlite, sql) in dialect)
        {
            var m = common[version];
            common[version] = isSqlite ? m with { SqliteSql = sql } : m with { PostgresSql = sql };
        }

        return [.. common.Values.OrderBy(m => m.Version)];
    }
}
