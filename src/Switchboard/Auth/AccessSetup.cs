using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace Switchboard.Auth;

/// <summary>Roles and scope (issue 6 item 1): the central policies, the sign-in throttle, anti-forgery for every
/// cookie-authenticated state change.</summary>
internal static class AccessSetup
{
    public static void AddAccess(this WebApplicationBuilder builder)
    {
        string[] schemes = [BearerAuthentication.SchemeName, CookieAuthenticationDefaults.AuthenticationScheme];
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(Policies.InboxRead, p => p.AddAuthenticationSchemes(schemes).RequireAuthenticatedUser().RequireRole(Roles.All))
            .AddPolicy(Policies.InboxWrite, p => p.AddAuthenticationSchemes(schemes).RequireAuthenticatedUser().RequireRole(Roles.Writers))
            .AddPolicy(Policies.Manager, p => p.AddAuthenticationSchemes(schemes).RequireAuthenticatedUser().RequireRole(Roles.Admin, Roles.Manager))
            .AddPolicy(Policies.Admin, p => p.AddAuthenticationSchemes(schemes).RequireAuthenticatedUser().RequireRole(Roles.Admin))
            .AddPolicy(Policies.Reports, p => p.AddAuthenticationSchemes(schemes).RequireAuthenticatedUser().RequireRole(Roles.Admin, Roles.Manager, Roles.Analyst));
        builder.Services.AddSingleton<LoginThrottle>();
        builder.Services.AddAntiforgery(o => o.HeaderName = AntiforgeryHeader);
    }

    /// <summary>The header app.js sends with every fetch that changes state (the token comes from the page).</summary>
    public const string AntiforgeryHeader = "RequestVerificationToken";

    /// <summary>
    /// Every state-changing request that rides on the session cookie must come from this origin and carry the
    /// anti-forgery token (form field or header), whatever endpoint it reaches — JSON endpoints included. Requests
    /// authenticated by an API token are exempt: a cross-site page cannot attach an Authorization header. The
    /// exemption needs the token to be valid, not just present: an invalid "Bearer x" sent along with the cookie
    /// would otherwise let the cookie act without the anti-forgery token.
    /// </summary>
    public static void UseAccess(this WebApplication app) => app.Use(async (ctx, next) =>
    {
        var unsafeMethod = !(HttpMethods.IsGet(ctx.Request.Method) || HttpMethods.IsHead(ctx.Request.Method) || HttpMethods.IsOptions(ctx.Request.Method));
        if (unsafeMethod && ctx.User.Identity?.IsAuthenticated == true && !await BearerAuthenticatedAsync(ctx))
        {
            if (CrossSite(ctx.Request) is { } why)
            {
                ctx.Response.StatusCode = StatusCodes.Status403Forbidden;
                await ctx.Response.WriteAsJsonAsync(new { status = 403, title = "Forbidden", detail = "cross-site request refused (" + why + ")" });
                return;
            }

            var antiforgery = ctx.RequestServices.GetRequiredService<IAntiforgery>();
            if (!await antiforgery.IsRequestValidAsync(ctx))
            {
                ctx.Response.StatusCode = StatusCodes.Status400BadRequest;
                await ctx.Response.WriteAsJsonAsync(new { status = 400, title = "Bad request", detail = "missing or invalid anti-forgery token" });
                return;
            }
        }

        await next();
    });

    // The handler caches its result for the request, so the token is looked up once however often this is asked.
    private static async Task<bool> BearerAuthenticatedAsync(HttpContext ctx) =>
        ctx.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) &&
        (await ctx.AuthenticateAsync(BearerAuthentication.SchemeName)).Succeeded;

    /// <summary>
    /// Why a browser request comes from another site, or null. Defence in depth behind the token and SameSite=Lax:
    /// a sibling subdomain is "same-site", so its pages get the session cookie sent along. Browsers since 2023 send
    /// Sec-Fetch-Site, and only same-origin (or "none": typed, bookmarked) passes. Older ones send Origin on POST,
    /// compared with the Host the request was sent to (a reverse proxy must pass Host through). Requests with
    /// neither header are not from a browser page and still need the token.
    /// </summary>
    private static string? CrossSite(HttpRequest request)
    {
        var site = request.Headers["Sec-Fetch-Site"].ToString();
        if (site.Length > 0)
        {
            return site is "same-origin" or "none" ? null : "Sec-Fetch-Site: " + site;
        }

        var origin = request.Headers.Origin.ToString();
        if (origin.Length == 0)
        {
            return null;
        }

        return Uri.TryCreate(origin, UriKind.Absolute, out var o) && string.Equals(o.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase)
            ? null
            : "Origin: " + (origin.Length > 100 ? origin[..100] : origin);
    }
}
