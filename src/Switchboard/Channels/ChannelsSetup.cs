using Microsoft.Extensions.DependencyInjection.Extensions;
using Switchboard.Channels.Accounts;
using Switchboard.Channels.Admin;
using Switchboard.Channels.Connectors;
using Switchboard.Channels.SafeHttp;

namespace Switchboard.Channels;

/// <summary>Channel accounts, the connector runtime (RSS, Mastodon, Bluesky Jetstream), health alerts, API and page.</summary>
internal static class ChannelsSetup
{
    public static void AddChannels(this WebApplicationBuilder builder)
    {
        var s = builder.Services;
        s.TryAddSingleton<ChannelAccountStore>();
        s.TryAddSingleton(new SafeHttpOptions());
        s.TryAddSingleton(new ConnectorOptions());
        s.AddSingleton<ChannelHealthStore>();
        s.AddSingleton<ConnectorSignal>();
        s.AddSingleton<ConnectorContext>();
        s.AddSingleton<ChannelAccountCommands>();
        s.AddSingleton<ConnectorHost>();
        s.AddHostedService(sp => sp.GetRequiredService<ConnectorHost>());
        s.AddHostedService<ChannelMonitor>();
    }

    public static void MapChannels(this WebApplication app)
    {
        app.MapChannelsApi();
        app.MapChannelsPage();
    }
}
