using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using Dapper;

namespace Switchboard.Auth;

/// <summary>
/// Bearer tokens for the HTTP API. Only a SHA-256 of each token is stored, so a copy of the database does not
/// grant access; the token itself is shown once, when created.
/// </summary>
internal static class ApiTokens
{
    private const string Prefix = "sbt_";

    public static async Task<string> CreateAsync(DbConnection conn, long userId, string name, TimeProvider time)
    {
        var token = Prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))
            .Replace('+', '-').Replace('/', '_').TrimEnd('=');
        await conn.ExecuteAsync(
            "INSERT INTO api_tokens (user_id, token_hash, name, created_at) VALUES (@u, @h, @n, @t)",
            new { u = userId, h = Hash(token), n = name, t = time.GetUtcNow().ToUnixTimeMilliseconds() });
        return token;
    }

    public static async Task<User?> ValidateAsync(DbConnection conn, string token)
    {
        if (!token.StartsWith(Prefix, StringComparison.Ordinal) || token.Length > 200)
        {
            return null;
        }

        return await conn.QueryFirstOrDefaultAsync<User>(
            """
            SELECT u.id AS Id, u.email AS Email, u.display_name AS DisplayName, u.role AS Role
            FROM api_tokens t JOIN users u ON u.id = t.user_id
            WHERE t.token_hash = @h AND t.revoked_at IS NULL AND u.deactivated_at IS NULL
            """, new { h = Hash(token) });
    }

    private static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
}
