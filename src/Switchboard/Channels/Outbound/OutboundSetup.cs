using Switchboard.Hosting;

namespace Switchboard.Channels.Outbound;

internal static class OutboundSetup
{
    /// <summary>The sender and the adapters; network adapters add themselves here as they are configured.</summary>
    public static void AddOutbound(this WebApplicationBuilder builder, ServeSettings settings)
    {
        builder.Services.AddSingleton<OutboundSender>();
        if (settings.Demo)
        {
            builder.Services.AddSingleton<OutboundAdapter, DemoOutboundAdapter>();
        }
    }
}
