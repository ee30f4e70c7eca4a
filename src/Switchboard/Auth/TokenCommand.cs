using System.CommandLine;
using Switchboard.Hosting;
using Switchboard.Storage;

namespace Switchboard.Auth;

/// <summary>`switchboard token create --user EMAIL`: prints a new API bearer token for that user.</summary>
internal static class TokenCommand
{
    public static Command Create()
    {
        var token = new Command("token", "Manage API bearer tokens");
        var create = new Command("create", "Create an API token for a user and print it (shown once)");
        var user = new Option<string>("--user") { Description = "The user's email address", Required = true };
        var name = new Option<string>("--name") { Description = "A label for the token", DefaultValueFactory = _ => "cli" };
        var dbOption = CommonOptions.Db();
        create.Options.Add(user);
        create.Options.Add(name);
        create.Options.Add(dbOption);
        create.SetAction((parse, ct) => CreateAsync(
            CommonOptions.Database(parse.GetValue(dbOption)), parse.GetValue(user)!, parse.GetValue(name)!, Console.Out, Console.Error, ct));
        token.Subcommands.Add(create);
        return token;
    }

    internal static async Task<int> CreateAsync(Database db, string email, string name, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        await Migrator.MigrateAsync(db, ct);
        await using var conn = await db.OpenAsync(ct);
        var user = await Users.FindAsync(conn, email);
        if (user is null)
        {
            await stderr.WriteLineAsync($"error: no user with email '{email}' (in {db.Display})");
            return 1;
        }

        var token = await ApiTokens.CreateAsync(conn, user.Id, name, TimeProvider.System);
        await stdout.WriteLineAsync(token);
        return 0;
    }
}
