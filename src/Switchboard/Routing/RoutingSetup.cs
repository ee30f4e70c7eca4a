using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Switchboard.Auth;
using Switchboard.Hosting;
using Switchboard.Sla;
using Switchboard.Storage;

namespace Switchboard.Routing;

/// <summary>Routing, assignment, SLA clocks and escalation: services, background scheduler, API and inbox actions.</summary>
internal static class RoutingSetup
{
    /// <summary>Set to 0 to run a process without the SLA scheduler (e.g. a web-only replica).</summary>
    public const string SchedulerVariable = "SWITCHBOARD_SLA_SCHEDULER";

    public static void AddRouting(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton(sp => new ActiveRules(sp.GetRequiredService<Database>(), sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<ActiveRules>>(), sp.GetService<ServeSettings>()?.Demo ?? false));
        builder.Services.AddSingleton<SlaSignal>();
        builder.Services.AddSingleton<RoutingRuntime>();
        builder.Services.AddSingleton<SlaRuntime>();
        builder.Services.AddSingleton(SlaSchedulerOptions.FromEnvironment());
        builder.Services.AddSingleton<SlaScheduler>();
        if (Environment.GetEnvironmentVariable(SchedulerVariable) != "0")
        {
            builder.Services.AddHostedService(sp => sp.GetRequiredService<SlaScheduler>());
            builder.Services.AddHostedService<WebhookSender>();
        }
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(RulesEndpoints.ManagePolicy, p => p.RequireAuthenticatedUser().RequireRole("admin", "manager"));
    }

    public static void MapRouting(this WebApplication app)
    {
        var api = app.MapGroup("/api").RequireAuthorization(AuthSetup.ApiPolicy);
        api.MapRulesApi();
        api.MapWhatIfApi();
        api.MapConversationActionsApi();

        // The inbox's Acknowledge button: a plain form post (antiforgery-checked), then back to the conversation.
        app.MapPost("/inbox/conversations/{id:long}/acknowledge", async (long id, [FromForm] string? returnUrl, ClaimsPrincipal user, SlaRuntime rt, CancellationToken ct) =>
        {
            var result = await rt.ActAsync(id, user, "acknowledge", ct);
            // Not visible and not found look the same, so ids cannot be probed through the form either. Back to the
            // page the button was on, so the agent keeps their queue.
            return result.Result is NotFound<Api.ProblemDetailsDto> ? Results.NotFound()
                : Results.LocalRedirect(Inbox.InboxActionsSetup.Local(returnUrl) ?? $"/conversations/{id}");
        }).RequireAuthorization().ExcludeFromDescription();

        // The rules page's "Export YAML": the active version as a download.
        app.MapGet("/rules/export", async (ActiveRules rules, CancellationToken ct) =>
        {
            var snap = await rules.GetAsync(ct);
            return Results.File(System.Text.Encoding.UTF8.GetBytes(snap.Yaml), "text/yaml; charset=utf-8", $"switchboard-rules-v{snap.VersionId}.yaml");
        }).RequireAuthorization(RulesEndpoints.ManagePolicy).ExcludeFromDescription();
    }
}
