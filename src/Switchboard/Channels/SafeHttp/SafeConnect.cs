using System.Net;
using System.Net.Sockets;

namespace Switchboard.Channels.SafeHttp;

/// <summary>
/// The connect-time SSRF check of <see cref="SafeHttpClient"/> as a handler for connectors that need more than a GET:
/// REST calls with a bearer token, Server-Sent Events read as a stream, and WebSockets (ClientWebSocket accepts an
/// HttpMessageInvoker). Same rule: resolve the name ourselves, refuse the host if ANY answer is not public, connect
/// only to the addresses checked; no proxy, no automatic redirects (a connector treats a redirect as an error).
/// </summary>
internal static class SafeConnect
{
    public static SocketsHttpHandler CreateHandler(SafeHttpOptions options) => new()
    {
        AllowAutoRedirect = false,
        UseProxy = false,
        UseCookies = false,
        AutomaticDecompression = DecompressionMethods.GZip | DecompressionMethods.Deflate | DecompressionMethods.Brotli,
        ConnectTimeout = options.ConnectTimeout,
        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        ConnectCallback = (context, ct) => ConnectAsync(context.DnsEndPoint, options, ct),
    };

    /// <summary>Null when the URL may be requested (its addresses are still checked at connect time); ws/wss are judged as http/https.</summary>
    public static string? CheckUrl(Uri url)
    {
        if (!url.IsAbsoluteUri)
            return "not an absolute URL";
        if (url.Scheme is "ws" or "wss")
            url = new UriBuilder(url) { Scheme = url.Scheme == "ws" ? "http" : "https" }.Uri;
        return SafeHttpClient.CheckUrl(url);
    }

    public static async ValueTask<Stream> ConnectAsync(DnsEndPoint endpoint, SafeHttpOptions options, CancellationToken ct)
    {
        var host = endpoint.Host;
        IPAddress[] addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal)
            ? [literal]
            : options.ResolverForTests is { } resolve ? await resolve(host, ct) : await Dns.GetHostAddressesAsync(host, ct);
        if (addresses.Length == 0)
            throw new AddressRefusedException($"{host} did not resolve to any address");
        foreach (var address in addresses)
        {
            if (AddressPolicy.Refusal(address, options.AllowLoopbackForTests) is { } reason)
                throw new AddressRefusedException($"{host} resolves to {address}, a {reason}: refused");
        }
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, endpoint.Port, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
