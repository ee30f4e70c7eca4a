using System.Security.Claims;
using Microsoft.AspNetCore.Mvc;
using Switchboard.Auth;

namespace Switchboard.Listening;

/// <summary>Listening topics in the server: the shared index, the backfill, the API and the page's form actions.</summary>
internal static class ListeningSetup
{
    public static void AddListening(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<TopicIndex>();
        builder.Services.AddSingleton<TopicBackfill>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<TopicBackfill>());
        builder.Services.AddSingleton<TopicStore>();
    }

    public static void MapListening(this WebApplication app)
    {
        app.MapGroup("/api").RequireAuthorization(AuthSetup.ApiPolicy).MapTopicsApi();

        // The list page's pause/resume/delete buttons: plain form posts (antiforgery-checked), then back to the list.
        app.MapPost("/topics/{id:long}/action", async (long id, [FromForm] string action, ClaimsPrincipal user, TopicStore store, CancellationToken ct) =>
        {
            if (!TopicsApi.CanManage(user))
            {
                return Results.Redirect("/topics?error=forbidden");
            }

            var result = action switch
            {
                "pause" => await store.SetStatusAsync(user, id, TopicStatus.Paused, ct),
                "resume" => await store.SetStatusAsync(user, id, TopicStatus.Active, ct),
                "delete" => await store.DeleteAsync(user, id, ct),
                _ => null,
            };
            return Results.Redirect(result?.Topic is null ? "/topics?error=action" : "/topics");
        }).RequireAuthorization().ExcludeFromDescription();
    }
}
