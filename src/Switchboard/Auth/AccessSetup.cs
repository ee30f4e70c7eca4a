using Microsoft.AspNetCore.Antiforgery;
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
            .AddPolicy(Policies.Admin, p => p.AddAuthenticationSchemes(schemes).RequireAuthenticatedUser().RequireRole(Roles.Admin));
        builder.Services.AddSingleton<LoginThrottle>();
        builder.Services.AddAntiforgery(o => o.HeaderName = AntiforgeryHeader);
    }

    /// <summary>The header app.js sends with every fetch that changes state (the token comes from the page).</summary>
    public const string AntiforgeryHeader = "RequestVerificationToken";

    /// <summary>
    /// Every state-changing request that rides on the session cookie must carry the anti-forgery token (form field
    /// or header), whatever endpoint it reaches — JSON endpoints included. Bearer-token requests are exempt: a
    /// cross-site page cannot attach an Authorization header.
    /// </summary>
    public static void UseAccess(this WebApplication app) => app.Use(async (ctx, next) =>
    {
        var unsafeMethod = !(HttpMethods.IsGet(ctx.Request.Method) || HttpMethods.IsHead(ctx.Request.Method) || HttpMethods.IsOptions(ctx.Request.Method));
        var bearer = ctx.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase);
        if (unsafeMethod && !bearer && ctx.User.Identity?.IsAuthenticated == true)
        {
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
}
