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

    public sealed record Migration(int Version, string Name, string Sql);

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

                await conn.ExecuteAsync(m.Sql.Replace("{{id}}", db.IdColumn, StringComparison.Ordinal), transaction: tx);
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
        var asm = Assembly.GetExecutingAssembly();
        var list = new List<Migration>();
        foreach (var name in asm.GetManifestResourceNames().Where(n => n.EndsWith(".sql", StringComparison.Ordinal)))
        {
            var file = name.Split('.')[^2];
            var under = file.IndexOf('_', StringComparison.Ordinal);
            if (under <= 0 || !int.TryParse(file[..under], out var version))
            {
                continue;
            }

            using var s = asm.GetManifestResourceStream(name)!;
            using var r = new StreamReader(s);
            list.Add(new Migration(version, file[(under + 1)..], r.ReadToEnd()));
        }

        return [.. list.OrderBy(m => m.Version)];
    }
}
