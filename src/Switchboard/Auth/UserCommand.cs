using System.CommandLine;
using Dapper;
using Switchboard.Hosting;
using Switchboard.Storage;

namespace Switchboard.Auth;

/// <summary>`switchboard user create`: the way to add the first administrator of a real (non-demo) installation.</summary>
internal static class UserCommand
{
    public static readonly string[] Roles = ["admin", "manager", "agent", "trainee", "approver", "analyst"];

    public static Command Create()
    {
        var user = new Command("user", "Manage users who sign in");
        var create = new Command("create", "Create a user (or reset the password of an existing one)");
        var email = new Option<string>("--email") { Description = "Email address, used to sign in", Required = true };
        var name = new Option<string?>("--name") { Description = "Display name (default: the part of the email before @)" };
        var role = new Option<string>("--role") { Description = "admin, manager, agent, trainee, approver or analyst", DefaultValueFactory = _ => "agent" };
        var password = new Option<string?>("--password") { Description = "Password (default: read from SWITCHBOARD_PASSWORD)" };
        var db = CommonOptions.Db();
        create.Options.Add(email);
        create.Options.Add(name);
        create.Options.Add(role);
        create.Options.Add(password);
        create.Options.Add(db);
        create.SetAction((parse, ct) => CreateAsync(CommonOptions.Database(parse.GetValue(db)), parse.GetValue(email)!, parse.GetValue(name),
            parse.GetValue(role)!, parse.GetValue(password) ?? Environment.GetEnvironmentVariable("SWITCHBOARD_PASSWORD"),
            Console.Out, Console.Error, ct));
        user.Subcommands.Add(create);
        return user;
    }

    internal static async Task<int> CreateAsync(Database db, string email, string? name, string role, string? password,
        TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        email = email.Trim().ToLowerInvariant();
        if (!email.Contains('@', StringComparison.Ordinal) || email.Length > 254)
        {
            await stderr.WriteLineAsync($"error: '{email}' is not an email address");
            return 2;
        }

        if (!Roles.Contains(role))
        {
            await stderr.WriteLineAsync($"error: unknown role '{role}'; use one of {string.Join(", ", Roles)}");
            return 2;
        }

        if (password is null || password.Length < 12)
        {
            await stderr.WriteLineAsync("error: a password of at least 12 characters is required (--password or SWITCHBOARD_PASSWORD)");
            return 2;
        }

        await Migrator.MigrateAsync(db, ct);
        await using var conn = await db.OpenAsync(ct);
        var display = string.IsNullOrWhiteSpace(name) ? email.Split('@')[0] : name.Trim();
        await conn.ExecuteAsync(
            """
            INSERT INTO users (email, display_name, role, password_hash, created_at) VALUES (@email, @display, @role, @hash, @now)
            ON CONFLICT (email) DO UPDATE SET display_name = excluded.display_name, role = excluded.role, password_hash = excluded.password_hash
            """,
            new { email, display, role, hash = Users.HashPassword(email, password), now = TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds() });
        await stdout.WriteLineAsync($"user {email} ({role}) saved in {db.Display}");
        return 0;
    }
}
