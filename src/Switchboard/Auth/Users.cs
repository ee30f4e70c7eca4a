using System.Data.Common;
using Dapper;
using Microsoft.AspNetCore.Identity;

namespace Switchboard.Auth;

/// <summary>A person who signs in. Roles are admin, manager, agent, trainee, approver, analyst.</summary>
internal sealed record User(long Id, string Email, string DisplayName, string Role)
{
    /// <summary>users.session_stamp when the session was issued; a later bump (password reset, deactivation) ends it.</summary>
    public long SessionStamp { get; init; }
}

/// <summary>Stores and checks users' passwords with ASP.NET Core's PasswordHasher (PBKDF2, salted, versioned).</summary>
internal static class Users
{
    private static readonly PasswordHasher<string> Hasher = new();

    public static string HashPassword(string email, string password) => Hasher.HashPassword(email, password);

    public static async Task<User?> FindAsync(DbConnection conn, string email) =>
        await conn.QueryFirstOrDefaultAsync<User>(
            "SELECT id AS Id, email AS Email, display_name AS DisplayName, role AS Role FROM users WHERE email = @e",
            new { e = email.Trim().ToLowerInvariant() });

    /// <summary>Checks a password; rehashes it when the hasher's format has moved on.</summary>
    public static async Task<User?> CheckPasswordAsync(DbConnection conn, string email, string password)
    {
        var row = await conn.QueryFirstOrDefaultAsync<(long Id, string Email, string DisplayName, string Role, string? Hash, long? Deactivated, long Stamp)>(
            "SELECT id, email, display_name, role, password_hash, deactivated_at, session_stamp FROM users WHERE email = @e",
            new { e = email.Trim().ToLowerInvariant() });
        if (row.Hash is null)
        {
            // Run the hasher anyway so an unknown email costs the same time as a wrong password.
            Hasher.VerifyHashedPassword(email, DummyHash, password);
            return null;
        }

        var result = Hasher.VerifyHashedPassword(row.Email, row.Hash, password);
        // A deactivated person is refused like a wrong password, after the same hashing work.
        if (result == PasswordVerificationResult.Failed || row.Deactivated is not null)
        {
            return null;
        }

        if (result == PasswordVerificationResult.SuccessRehashNeeded)
        {
            await conn.ExecuteAsync("UPDATE users SET password_hash = @h WHERE id = @id",
                new { h = HashPassword(row.Email, password), id = row.Id });
        }

        return new User(row.Id, row.Email, row.DisplayName, row.Role) { SessionStamp = row.Stamp };
    }

    private static readonly string DummyHash = Hasher.HashPassword("nobody", Guid.NewGuid().ToString());
}
