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

    /// <summary>The database named by --db, else SWITCHBOARD_DB, else ./data/switchboard.db.</summary>
    /// <exception cref="CliException">The value is neither a path nor a PostgreSQL URL or connection string; the
    /// message names where it came from and never repeats the value, which may hold a password.</exception>
    public static Database Database(string? value)
    {
        var source = value is null ? DbEnvironmentVariable : "--db";
        try
        {
            return Storage.Database.Parse(value ?? Environment.GetEnvironmentVariable(DbEnvironmentVariable),
                Path.Combine(Environment.CurrentDirectory, "data"));
        }
        catch (Exception e) when (e is UriFormatException or ArgumentException or FormatException)
        {
            throw new CliException($"{source}: not a SQLite file path or a PostgreSQL URL/connection string ({e.Message})");
        }
    }
}
