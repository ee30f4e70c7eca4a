using Microsoft.AspNetCore.DataProtection;
using Switchboard.Api;
using Switchboard.Audit;
using Switchboard.Auth;
using Switchboard.Channels;
using Switchboard.Channels.Outbound;
using Switchboard.Channels.SafeHttp;
using Switchboard.Channels.Webhooks;
using Switchboard.Classification;
using Switchboard.Composer;
using Switchboard.Demo;
using Switchboard.Handover;
using Switchboard.Inbox;
using Switchboard.Ingest;
using Switchboard.Listening;
using Switchboard.People;
using Switchboard.Reports;
using Switchboard.Routing;
using Switchboard.Storage;

namespace Switchboard.Hosting;

/// <summary>What `serve` was asked to do.</summary>
internal sealed record ServeSettings(Database Db, string Urls, bool Demo, TimeSpan DemoInterval, int DemoBurst = 12, int? DemoSeed = null, string[]? Args = null)
{
    /// <summary>The certificate that protects the key ring at rest (<see cref="KeyRing"/>), from the environment unless set.</summary>
    public KeyRingCertificate? KeysCertificate { get; init; } = KeyRing.FromEnvironment();

    /// <summary>
    /// The one clock every service reads (SLA timers, snoozes, hand-over deadlines, sessions, audit times). The system
    /// clock in production; tests give a manual clock so deadlines and business hours are exact and do not depend on
    /// the hour or the week a test runs in.
    /// </summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>
    /// TEST HOOK: the crash to inject on the ingest path (<see cref="IngestFaults"/>); null, and free, unless
    /// `serve` read SWITCHBOARD_FAULTS (only that command reads it: the other commands that build settings, such as
    /// `channels`, must not crash or refuse to start because of it).
    /// </summary>
    public IngestFaults? Faults { get; init; }

    /// <summary>The reverse proxies whose forwarded client address and scheme are believed; none unless configured.</summary>
    public TrustedProxies? TrustedProxies { get; init; }

    /// <summary>
    /// How connectors reach user-supplied URLs. Production keeps the defaults; in-process tests set
    /// <see cref="SafeHttpOptions.AllowLoopbackForTests"/> here to point connectors at fake networks on 127.0.0.1.
    /// </summary>
    internal SafeHttpOptions ConnectorHttp { get; init; } = new();

    /// <summary>Where Data Protection keys live: beside the SQLite file, or ./data/keys for PostgreSQL.</summary>
    public string KeysDirectory => Db.IsSqlite
        ? Path.Combine(Path.GetDirectoryName(Db.Display["sqlite:".Length..]) ?? ".", "keys")
        : Path.Combine(Environment.CurrentDirectory, "data", "keys");
}

/// <summary>Builds the web host: every module adds its services (AddX) and maps its endpoints (MapX).</summary>
internal static class SwitchboardApp
{
    public static WebApplication Build(ServeSettings settings)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = settings.Args ?? [],
            ContentRootPath = AppContext.BaseDirectory,
            ApplicationName = typeof(SwitchboardApp).Assembly.GetName().Name,
        });
        // Static web assets (the Blazor script, CSS) are served from the build output's manifest even outside
        // Development, so `dotnet run` and the built executable behave the same.
        builder.WebHost.UseStaticWebAssets();
        builder.WebHost.UseUrls(settings.Urls);
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = 8 * 1024 * 1024);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);

        // Cookie and antiforgery keys survive restarts (sign-ins stay valid) and are shared by every process using
        // the same data folder.
        KeyRing.Configure(builder.Services.AddDataProtection(), settings.KeysDirectory, settings.KeysCertificate);
        builder.Services.AddSingleton(settings.Time);
        builder.Services.AddSingleton(settings.Db);
        builder.Services.AddSingleton(settings);
        builder.AddIngest(settings.Faults);
        builder.AddAuth();
        builder.AddAccess();
        builder.AddInbox();
        builder.AddOutbound(settings);
        builder.AddWebhooks();
        builder.AddListening();
        builder.AddChannels(settings);
        builder.AddClassification();
        builder.AddRouting();
        builder.AddComposer();
        builder.AddHandover();
        builder.AddPeople();
        builder.AddReports();
        builder.Services.AddOpenApi();
        if (settings.Demo)
        {
            builder.Services.AddSingleton(new DemoOptions(settings.DemoInterval, settings.DemoBurst, settings.DemoSeed));
            builder.Services.AddHostedService<DemoStream>();
        }

        var app = builder.Build();
        if (settings.TrustedProxies is { } proxies)
            app.UseForwardedHeaders(proxies.Options());
        app.UseSecurityHeaders();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAccess();
        app.UseAntiforgery();

        app.MapGet("/healthz", () => TypedResults.Ok(new { status = "ok" })).AllowAnonymous().ExcludeFromDescription();
        app.MapOpenApi().AllowAnonymous();
        var api = app.MapGroup("/api").RequireAuthorization(AuthSetup.ApiPolicy);
        api.MapConversationsApi();
        api.MapPostsApi();
        app.MapDeadLetters(api);
        app.MapAccount();
        app.MapInbox();
        app.MapWebhooks();
        app.MapListening();
        app.MapChannels();
        app.MapClassification();
        app.MapRouting();
        app.MapInboxActions();
        app.MapConversationLabels();
        app.MapAudit();
        app.MapComposer(api);
        app.MapHandover(api);
        app.MapPeople(api);
        app.MapReports(api);
        return app;
    }

    /// <summary>Runs migrations and seeding before the server accepts traffic, so no request sees an old schema.</summary>
    public static async Task PrepareAsync(ServeSettings settings, ILogger log, CancellationToken ct)
    {
        var applied = await Migrator.MigrateAsync(settings.Db, ct);
        foreach (var m in applied)
        {
            log.LogInformation("Applied migration {Version} {Name}", m.Version, m.Name);
        }

        if (settings.Demo && await DemoWorkspace.SeedAsync(settings.Db, settings.Time, ct))
        {
            await DemoWorkspace.SeedTopicsAsync(settings.Db, settings.Time, ct);
            log.LogInformation("Seeded the demo workspace: sign in as {Email} / {Password}", DemoWorkspace.Agents[0].Email, DemoWorkspace.Password);
        }
    }

    private static void AddIngest(this WebApplicationBuilder builder, IngestFaults? faults)
    {
        builder.Services.AddSingleton(new IngestQueue(faults));
        builder.Services.AddSingleton<InboxFeed>();
        builder.Services.AddHostedService<IngestWriter>();
    }

    private static void UseSecurityHeaders(this WebApplication app)
    {
        // Kestrel answers an unhandled exception itself, after resetting the response headers: the 500 would go out
        // without them. The exception handler (still logging the exception as an error) answers it with the headers,
        // keeping the status Kestrel would have given a rejected request (e.g. 413 for a body over the limit).
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            StatusCodeSelector = e => e is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status500InternalServerError,
            ExceptionHandler = ctx =>
            {
                SetSecurityHeaders(ctx);
                return Task.CompletedTask;
            },
        });
        app.Use(async (ctx, next) =>
        {
            SetSecurityHeaders(ctx);
            await next();
        });
    }

    private static void SetSecurityHeaders(HttpContext ctx)
    {
        var h = ctx.Response.Headers;
        h["X-Content-Type-Options"] = "nosniff";
        h["Referrer-Policy"] = "no-referrer";
        h["X-Frame-Options"] = "DENY";
        // Over HTTPS only (RFC 6797 §7.2): behind a TLS-terminating proxy that is the forwarded scheme, once the proxy
        // is trusted (serve --trusted-proxies).
        if (ctx.Request.IsHttps)
            h["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains";
        // Scripts only from this origin: post content can never run. Inline styles are allowed for Blazor's
        // reconnection UI; they cannot execute code.
        h["Content-Security-Policy"] = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
                                       "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";
    }
}
