using System.Globalization;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Mvc;
using Switchboard.Storage;

namespace Switchboard.Auth;

/// <summary>Sign-in with cookies for people, bearer tokens for the API.</summary>
internal static class AuthSetup
{
    public const string ApiPolicy = "api";

    public static void AddAuth(this WebApplicationBuilder builder)
    {
        builder.Services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme)
            .AddCookie(o =>
            {
                o.LoginPath = "/login";
                o.Cookie.Name = "switchboard.session";
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Lax;
                o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                o.ExpireTimeSpan = TimeSpan.FromHours(12);
                o.SlidingExpiration = true;
                // An API client gets a 401/403, never an HTML redirect to the sign-in page.
                o.Events.OnValidatePrincipal = SessionCheck.ValidateAsync;
                o.Events.OnRedirectToLogin = ctx => Deny(ctx, StatusCodes.Status401Unauthorized);
                o.Events.OnRedirectToAccessDenied = ctx => Deny(ctx, StatusCodes.Status403Forbidden);
            })
            .AddScheme<AuthenticationSchemeOptions, BearerAuthentication>(BearerAuthentication.SchemeName, null);
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(ApiPolicy, p => p
                .AddAuthenticationSchemes(BearerAuthentication.SchemeName, CookieAuthenticationDefaults.AuthenticationScheme)
                .RequireAuthenticatedUser());
        builder.Services.AddCascadingAuthenticationState();
    }

    private static Task Deny(RedirectContext<CookieAuthenticationOptions> ctx, int status)
    {
        // Signed in but not allowed: a plain 403 (there is no access-denied page to redirect to).
        if (ctx.Request.Path.StartsWithSegments("/api") || status == StatusCodes.Status403Forbidden)
        {
            ctx.Response.StatusCode = status;
            return Task.CompletedTask;
        }

        ctx.Response.Redirect(ctx.RedirectUri);
        return Task.CompletedTask;
    }

    public static void MapAccount(this WebApplication app)
    {
        app.MapPost("/account/login", async ([FromForm] string email, [FromForm] string password, [FromForm] string? returnUrl,
            HttpContext ctx, Database db, LoginThrottle throttle, ILogger<LoginThrottle> log) =>
        {
            // Throttled before the password is checked, so a locked account cannot be probed at all.
            var address = ctx.Connection.RemoteIpAddress?.ToString();
            if (throttle.RetryAfter(email ?? "", address) is { } wait)
            {
                var seconds = (int)Math.Ceiling(wait.TotalSeconds);
                log.LogWarning("Sign-in refused for {Email} from {Address}: too many failures, locked for {Seconds} s", Printable(email), address, seconds);
                ctx.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                return Results.Content($"Too many failed sign-ins. Try again in {Math.Max(1, (seconds + 59) / 60)} minute(s).", "text/plain", statusCode: StatusCodes.Status429TooManyRequests);
            }

            await using var conn = await db.OpenAsync(ctx.RequestAborted);
            var user = await Users.CheckPasswordAsync(conn, email ?? "", password ?? "");
            if (user is null)
            {
                // Failed sign-ins are logged (never the password) so that guessing shows up in the logs before the
                // throttle locks the account.
                log.LogWarning("Sign-in failed for {Email} from {Address}", Printable(email), address);
                throttle.Failed(email ?? "", address);
                return Results.Redirect("/login?error=1" + (returnUrl is null ? "" : "&returnUrl=" + Uri.EscapeDataString(returnUrl)));
            }

            throttle.Succeeded(email ?? "");
            // A fresh cookie is issued at sign-in, so a session id planted before sign-in is never carried over.
            await ctx.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            await ctx.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme,
                Principal.For(user, CookieAuthenticationDefaults.AuthenticationScheme));
            return Results.LocalRedirect(IsLocal(returnUrl) ? returnUrl! : "/");
        }).AllowAnonymous().ExcludeFromDescription();

        app.MapPost("/account/logout", async (HttpContext ctx) =>
        {
            await ctx.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return Results.LocalRedirect("/login");
        }).RequireAuthorization().ExcludeFromDescription();
    }

    // The address is whatever the form said: cut to an address's length, with control characters shown as '?', so a
    // crafted value cannot forge log lines.
    private static string Printable(string? email) =>
        string.Concat((email ?? "").Take(254).Select(c => char.IsControl(c) ? '?' : c));

    private static bool IsLocal(string? url) =>
        !string.IsNullOrEmpty(url) && url.StartsWith('/') && !url.StartsWith("//", StringComparison.Ordinal) && !url.StartsWith("/\\", StringComparison.Ordinal);

    public static string Id(long id) => id.ToString(CultureInfo.InvariantCulture);
}
