using Microsoft.Extensions.DependencyInjection.Extensions;
using Switchboard.Channels.Accounts;
using Switchboard.Channels.Admin;
using Switchboard.Channels.Connectors;
using Switchboard.Channels.SafeHttp;
using Switchboard.Hosting;

namespace Switchboard.Channels;

/// <summary>Channel accounts, the connector runtime (RSS, Mastodon, Bluesky Jetstream), health alerts, API and page.</summary>
internal static class ChannelsSetup
{
    public static void AddChannels(this WebApplicationBuilder builder, ServeSettings settings)
    {
        var s = builder.Services;
        s.TryAddSingleton<ChannelAccountStore>();
        s.TryAddSingleton(settings.ConnectorHttp);
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
