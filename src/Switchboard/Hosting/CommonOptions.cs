using System.CommandLine;
using Switchboard.Storage;

namespace Switchboard.Hosting;

/// <summary>Options shared by every command that touches the database.</summary>
internal static class CommonOptions
{
    public const string DbEnvironmentVariable = "SWITCHBOARD_DB";

    public static Option<string?> Db() => new("--db")
    {
        Description = "Database: a SQLite file path (default ./data/switchboard.db) or a PostgreSQL URL/connection string " +
                      "(postgresql://user:pass@host:5432/db). Also read from SWITCHBOARD_DB.",
    };

    public static Database Database(string? value) =>
        Storage.Database.Parse(value ?? Environment.GetEnvironmentVariable(DbEnvironmentVariable),
            Path.Combine(Environment.CurrentDirectory, "data"));
}
