using Npgsql;
using Switchboard.Storage;

namespace Switchboard.Tests.Infrastructure;

/// <summary>
/// Fresh, empty databases for tests: a SQLite file in a temporary folder, or a new database on the throwaway
/// PostgreSQL 15 cluster that ./test.sh starts (its admin connection string is in SWITCHBOARD_TEST_PG).
/// </summary>
internal static class TestDatabases
{
    public const string PostgresVariable = "SWITCHBOARD_TEST_PG";

    public static IEnumerable<object[]> Providers => [["sqlite"], ["postgres"]];

    public static async Task<Database> CreateAsync(string provider)
    {
        if (provider == "sqlite")
        {
            var dir = Directory.CreateTempSubdirectory("switchboard-test-");
            return Database.Sqlite(Path.Combine(dir.FullName, "switchboard.db"));
        }

        var admin = Environment.GetEnvironmentVariable(PostgresVariable)
            ?? throw new InvalidOperationException(
                $"{PostgresVariable} is not set: run the suite with ./test.sh, which installs and starts a throwaway PostgreSQL 15.");
        var name = "sbtest_" + Guid.NewGuid().ToString("N")[..12];
        await using (var conn = new NpgsqlConnection(admin))
        {
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE {name}", conn);
            await cmd.ExecuteNonQueryAsync();
        }

        // Every test has its own database, so its own pool: idle connections close within seconds of the test's
        // end instead of Npgsql's default five minutes, or a suite run piles up past the cluster's max_connections.
        return Database.Postgres(new NpgsqlConnectionStringBuilder(admin) { Database = name, ConnectionIdleLifetime = 3, ConnectionPruningInterval = 1 }.ToString());
    }

    public static async Task<Database> CreateMigratedAsync(string provider)
    {
        var db = await CreateAsync(provider);
        await Migrator.MigrateAsync(db);
        return db;
    }
}
