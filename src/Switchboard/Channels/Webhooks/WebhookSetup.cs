using System.Threading.RateLimiting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Switchboard.Channels.Accounts;

namespace Switchboard.Channels.Webhooks;

/// <summary>
/// Inbound webhooks: <c>/hooks/slack/{accountId}</c>, <c>/hooks/meta/{accountId}</c>, <c>/hooks/generic/{accountId}</c>.
/// They live outside /api because the caller is a network, not a user: there is no session or token, and the
/// request signature checked against the account's secret is the authentication.
/// </summary>
internal static class WebhookSetup
{
    public static void AddWebhooks(this WebApplicationBuilder builder)
    {
        // The connector runtime registers the same store; TryAdd keeps whichever comes first, so neither clashes.
        builder.Services.TryAddSingleton<ChannelAccountStore>();
        builder.Services.AddSingleton<WebhookLimiter>();
        builder.Services.AddSingleton<WebhookDeliveries>();
    }

    public static void MapWebhooks(this WebApplication app)
    {
        // Anonymous on purpose: every handler verifies the provider's signature on the raw body before anything else.
        var hooks = app.MapGroup("/hooks").AllowAnonymous().ExcludeFromDescription().DisableAntiforgery();
        hooks.MapPost("/slack/{accountId:long}", SlackWebhook.HandleAsync);
        hooks.MapGet("/meta/{accountId:long}", MetaWebhook.VerifyAsync);
        hooks.MapPost("/meta/{accountId:long}", MetaWebhook.HandleAsync);
        hooks.MapPost("/generic/{accountId:long}", GenericWebhook.HandleAsync);
    }
}

/// <summary>
/// A token bucket per account: a burst of 200 deliveries, then 50 a second. Networks deliver far below this; a
/// flood (or a forged-signature storm) is answered 429 before any body is read or any secret is used.
/// </summary>
internal sealed class WebhookLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<long> _limiter = PartitionedRateLimiter.Create<long, long>(id =>
        RateLimitPartition.GetTokenBucketLimiter(id, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = 200,
            TokensPerPeriod = 50,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));

    public bool TryAcquire(long accountId)
    {
        using var lease = _limiter.AttemptAcquire(accountId);
        return lease.IsAcquired;
    }

    public void Dispose() => _limiter.Dispose();
}
