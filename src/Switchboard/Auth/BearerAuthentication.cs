using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Switchboard.Storage;

namespace Switchboard.Auth;

/// <summary>Authenticates `Authorization: Bearer sbt_…` API tokens against the api_tokens table.</summary>
internal sealed class BearerAuthentication(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, Database db)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Bearer";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.NoResult();
        }

        await using var conn = await db.OpenAsync(Context.RequestAborted);
        var user = await ApiTokens.ValidateAsync(conn, header["Bearer ".Length..].Trim());
        return user is null
            ? AuthenticateResult.Fail("invalid or revoked token")
            : AuthenticateResult.Success(new AuthenticationTicket(Principal.For(user, SchemeName), SchemeName));
    }
}

internal static class Principal
{
    /// <summary>The users.session_stamp a cookie was issued under (<see cref="SessionCheck"/>).</summary>
    public const string StampClaim = "switchboard:stamp";

    public static ClaimsPrincipal For(User user, string scheme) => new(new ClaimsIdentity(
    [
        new Claim(ClaimTypes.NameIdentifier, user.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        new Claim(ClaimTypes.Email, user.Email),
        new Claim(ClaimTypes.Name, user.DisplayName),
        new Claim(ClaimTypes.Role, user.Role),
        new Claim(StampClaim, user.SessionStamp.ToString(System.Globalization.CultureInfo.InvariantCulture)),
    ], scheme));

    public static long UserId(this ClaimsPrincipal p) =>
        long.Parse(p.FindFirstValue(ClaimTypes.NameIdentifier) ?? "0", System.Globalization.CultureInfo.InvariantCulture);
}
