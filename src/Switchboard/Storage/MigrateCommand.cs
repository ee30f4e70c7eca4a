using System.CommandLine;
using Switchboard.Hosting;

namespace Switchboard.Storage;

/// <summary>`switchboard migrate`: brings the database schema up to date (serve also does this on start).</summary>
internal static class MigrateCommand
{
    public static Command Create()
    {
        var cmd = new Command("migrate", "Create or upgrade the database schema (SQLite or PostgreSQL)");
        var db = CommonOptions.Db();
        var list = new Option<bool>("--list") { Description = "List the migrations this version knows, and exit" };
        cmd.Options.Add(db);
        cmd.Options.Add(list);
        cmd.SetAction(async (parse, ct) =>
        {
            if (parse.GetValue(list))
            {
                foreach (var m in Migrator.All)
                {
                    Console.WriteLine($"{m.Version:D4} {m.Name}");
                }

                return 0;
            }

            var database = CommonOptions.Database(parse.GetValue(db));
            try
            {
                var applied = await Migrator.MigrateAsync(database, ct);
                Console.WriteLine(applied.Count == 0
                    ? $"{database.Display}: up to date (version {Migrator.All[^1].Version})"
                    : $"{database.Display}: applied {string.Join(", ", applied.Select(m => $"{m.Version:D4}_{m.Name}"))}");
                return 0;
            }
            catch (Exception e) when (e is System.Data.Common.DbException or IOException or UnauthorizedAccessException)
            {
                // 2 like every other command whose --db cannot be used (Hosting/CliRunner.cs).
                Console.Error.WriteLine($"error: cannot migrate {database.Display}: {e.Message}");
                return CliRunner.UsageError;
            }
        });
        return cmd;
    }
}
