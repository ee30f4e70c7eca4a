using System.Globalization;
using System.Security.Claims;
using Dapper;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Switchboard.Storage;

namespace Switchboard.Auth;

/// <summary>
/// Re-reads the signed-in person on every cookie-authenticated request. The cookie carries the role it was issued
/// with for up to 12 sliding hours; without this a demoted manager would keep manager rights, and a deactivated
/// person would keep working, until it expired. One primary-key read per request.
/// </summary>
internal static class SessionCheck
{
    public static async Task ValidateAsync(CookieValidatePrincipalContext ctx)
    {
        if (ctx.Principal is not { } principal)
            return;
        var db = ctx.HttpContext.RequestServices.GetRequiredService<Database>();
        var row = await ReadAsync(db, principal, ctx.HttpContext.RequestAborted);
        if (!Valid(row, principal))
        {
            ctx.RejectPrincipal();
            await ctx.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return;
        }

        if (principal.FindFirstValue(ClaimTypes.Role) != row.Role || principal.FindFirstValue(ClaimTypes.Name) != row.Name
            || principal.FindFirstValue(ClaimTypes.Email) != row.Email)
        {
            // A changed role applies to this very request, and the renewed cookie carries it from now on.
            ctx.ReplacePrincipal(Principal.For(new User(row.Id, row.Email, row.Name, row.Role) { SessionStamp = row.Stamp },
                CookieAuthenticationDefaults.AuthenticationScheme));
            ctx.ShouldRenew = true;
        }
    }

    /// <summary>
    /// For responses that outlive the request check (the live streams): whether the cookie session behind them still
    /// stands. A stream opened before a deactivation or a password reset ends at its next heartbeat.
    /// </summary>
    public static async Task<bool> StillValidAsync(Database db, ClaimsPrincipal principal, CancellationToken ct) =>
        Valid(await ReadAsync(db, principal, ct), principal);

    static async Task<(long Id, string Email, string Name, string Role, long? Deactivated, long Stamp)> ReadAsync(Database db, ClaimsPrincipal principal, CancellationToken ct)
    {
        await using var conn = await db.OpenAsync(ct);
        return await conn.QueryFirstOrDefaultAsync<(long Id, string Email, string Name, string Role, long? Deactivated, long Stamp)>(
            new CommandDefinition("SELECT id, email, display_name, role, deactivated_at, session_stamp FROM users WHERE id = @id",
                new { id = principal.UserId() }, cancellationToken: ct));
    }

    static bool Valid((long Id, string Email, string Name, string Role, long? Deactivated, long Stamp) row, ClaimsPrincipal principal)
    {
        // The stamp belongs to cookie sessions; a bearer token is checked against its own revocation on each request.
        var cookie = principal.Identity?.AuthenticationType == CookieAuthenticationDefaults.AuthenticationScheme;
        var issuedUnder = long.TryParse(principal.FindFirstValue(Principal.StampClaim), NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : 0;
        return row.Id != 0 && row.Deactivated is null && (!cookie || row.Stamp == issuedUnder);
    }
}
