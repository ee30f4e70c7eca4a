using Microsoft.Extensions.DependencyInjection.Extensions;
using Switchboard.Channels.Accounts;
using Switchboard.Hosting;

namespace Switchboard.Channels.Outbound;

internal static class OutboundSetup
{
    /// <summary>
    /// The sender, its worker (recovery sweep, retries, reconciles) and the network adapters. Adapters are always
    /// registered: each finds its channel account when a reply is sent, so accounts added later work without a restart.
    /// </summary>
    public static void AddOutbound(this WebApplicationBuilder builder, ServeSettings settings)
    {
        builder.Services.TryAddSingleton<ChannelAccountStore>();
        builder.Services.AddSingleton(_ => OutboundHttp.CreateDefault());
        builder.Services.AddSingleton<OutboundSchedule>();
        builder.Services.AddSingleton<OutboundSender>();
        builder.Services.AddHostedService<OutboundWorker>();
        builder.Services.AddSingleton<OutboundAdapter, MastodonAdapter>();
        builder.Services.AddSingleton<OutboundAdapter, SlackAdapter>();
        builder.Services.AddSingleton<OutboundAdapter, FacebookAdapter>();
        builder.Services.AddSingleton<OutboundAdapter, InstagramAdapter>();
        builder.Services.AddSingleton<OutboundAdapter, BlueskyAdapter>();
        if (settings.Demo)
        {
            builder.Services.AddSingleton<OutboundAdapter, DemoOutboundAdapter>();
        }
    }
}
