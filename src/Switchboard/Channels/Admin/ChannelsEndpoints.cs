using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Switchboard.Audit;
using Switchboard.Auth;
using Switchboard.Channels.Accounts;
using Switchboard.Channels.Connectors;

namespace Switchboard.Channels.Admin;

/// <summary>An account as the API shows it: settings, the NAMES of the secrets that are set (never values), and health.</summary>
internal sealed record ChannelAccountView(
    long Id, string Kind, string Name, bool Enabled, IReadOnlyDictionary<string, string> Settings, IReadOnlyList<string> SecretsSet,
    long? ExpectedIntervalSeconds, bool Running, ChannelHealthView? Health);

internal sealed record ChannelHealthView(
    long? LastDeliveryAt, long? LastAttemptAt, long? LagMs, long Deliveries, long Errors, long Reconnects, double ErrorRate,
    long ConsecutiveErrors, string? LastError, long? LastErrorAt, string AlertState, long? StartedAt)
{
    public static ChannelHealthView? From(ChannelHealthRow? r) => r is null ? null : new(
        r.LastDeliveryAt, r.LastAttemptAt, r.LagMs, r.Deliveries, r.Errors, r.Reconnects, Math.Round(r.ErrorRate, 3),
        r.ConsecutiveErrors, r.LastError, r.LastErrorAt, r.AlertState, r.StartedAt);
}

/// <summary>
/// <c>/api/channels</c>: list, read, create, edit, delete accounts and read their health. Any signed-in user may read
/// (settings hold no secrets); only admins and managers may change.
/// </summary>
internal static class ChannelsEndpoints
{
    public static void MapChannelsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/channels").RequireAuthorization(AuthSetup.ApiPolicy).WithTags("Channels");
        api.MapGet("/", ListAsync).WithSummary("Channel accounts with their health");
        api.MapGet("/{id:long}", GetAsync).WithSummary("One channel account with its health");
        api.MapGet("/{id:long}/health", HealthAsync).WithSummary("The connector health of one account");
        api.MapPost("/", CreateAsync).WithSummary("Create an account (admin or manager)");
        api.MapPut("/{id:long}", UpdateAsync).WithSummary("Edit an account; absent secrets are kept (admin or manager)");
        api.MapDelete("/{id:long}", DeleteAsync).WithSummary("Delete an account and its health; messages stay (admin or manager)");
    }

    internal static bool CanManage(ClaimsPrincipal user) => user.IsInRole("admin") || user.IsInRole("manager");

    internal static async Task<IReadOnlyList<ChannelAccountView>> ViewsAsync(ChannelAccountStore store, ChannelHealthStore health, ConnectorHost host, CancellationToken ct)
    {
        var rows = (await health.ListAsync(ct)).ToDictionary(h => h.AccountId);
        var running = host.RunningAccounts.ToHashSet();
        return [.. (await store.ListAsync(ct: ct)).Select(a => View(a, rows.GetValueOrDefault(a.Id), running.Contains(a.Id)))];
    }

    internal static ChannelAccountView View(ChannelAccount a, ChannelHealthRow? h, bool running) =>
        new(a.Id, a.Kind, a.Name, a.Enabled, a.Settings, [.. a.Secrets.Keys.Order()], (long?)a.ExpectedInterval?.TotalSeconds, running, ChannelHealthView.From(h));

    private static async Task<Ok<IReadOnlyList<ChannelAccountView>>> ListAsync(ChannelAccountStore store, ChannelHealthStore health, ConnectorHost host, CancellationToken ct) =>
        TypedResults.Ok(await ViewsAsync(store, health, host, ct));

    private static async Task<Results<Ok<ChannelAccountView>, ProblemHttpResult>> GetAsync(long id, ChannelAccountStore store, ChannelHealthStore health, ConnectorHost host, CancellationToken ct)
    {
        var a = await store.GetAsync(id, ct);
        return a is null
            ? NotFound(id)
            : TypedResults.Ok(View(a, await health.GetAsync(id, ct), host.RunningAccounts.Contains(id)));
    }

    private static async Task<Results<Ok<ChannelHealthView>, ProblemHttpResult>> HealthAsync(long id, ChannelAccountStore store, ChannelHealthStore health, CancellationToken ct)
    {
        if (await store.GetAsync(id, ct) is null)
            return NotFound(id);
        return TypedResults.Ok(ChannelHealthView.From(await health.GetAsync(id, ct)) ??
            new ChannelHealthView(null, null, null, 0, 0, 0, 0, 0, null, null, "ok", null));
    }

    private static async Task<Results<Created<ChannelAccountView>, ProblemHttpResult>> CreateAsync(
        ChannelAccountInput? input, ClaimsPrincipal user, ChannelAccountCommands commands, ChannelAccountStore store, CancellationToken ct)
    {
        if (!CanManage(user))
            return Forbidden();
        if (input is null)
            return Problem(ChangeResult.Fail(400, "a JSON body is required: {\"kind\", \"name\", \"settings\", \"secrets\", \"expectedIntervalSeconds\"}"));
        var result = await commands.CreateAsync(input, Audit(user), ct);
        if (!result.Ok)
            return Problem(result);
        var a = await store.GetAsync(result.Id!.Value, ct);
        return TypedResults.Created($"/api/channels/{result.Id}", View(a!, null, false));
    }

    private static async Task<Results<Ok<ChannelAccountView>, ProblemHttpResult>> UpdateAsync(
        long id, ChannelAccountInput? input, ClaimsPrincipal user, ChannelAccountCommands commands, ChannelAccountStore store, ChannelHealthStore health, CancellationToken ct)
    {
        if (!CanManage(user))
            return Forbidden();
        if (input is null)
            return Problem(ChangeResult.Fail(400, "a JSON body is required"));
        var result = await commands.UpdateAsync(id, input, Audit(user), ct);
        if (!result.Ok)
            return Problem(result);
        return TypedResults.Ok(View((await store.GetAsync(id, ct))!, await health.GetAsync(id, ct), false));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(long id, ClaimsPrincipal user, ChannelAccountCommands commands, CancellationToken ct)
    {
        if (!CanManage(user))
            return Forbidden();
        var result = await commands.DeleteAsync(id, Audit(user), ct);
        return result.Ok ? TypedResults.NoContent() : Problem(result);
    }

    internal static Func<string, string, object?, object?, AuditEntry> Audit(ClaimsPrincipal user) =>
        (action, id, before, after) => AuditEntry.By(user, action, "channel_account", id, before, after);

    private static ProblemHttpResult Problem(ChangeResult r) =>
        TypedResults.Problem(detail: string.Join("; ", r.Errors), statusCode: r.Status, title: r.Status switch
        {
            404 => "Not found",
            409 => "Conflict",
            _ => "Bad request",
        });

    private static ProblemHttpResult NotFound(long id) =>
        TypedResults.Problem(detail: $"no channel account {id}", statusCode: StatusCodes.Status404NotFound, title: "Not found");

    private static ProblemHttpResult Forbidden() =>
        TypedResults.Problem(detail: "only admins and managers can change channel accounts", statusCode: StatusCodes.Status403Forbidden, title: "Forbidden");
}
