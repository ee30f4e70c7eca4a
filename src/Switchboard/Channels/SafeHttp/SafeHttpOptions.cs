using System.Net;

namespace Switchboard.Channels.SafeHttp;

/// <summary>Limits for fetching user-supplied URLs (feeds, media, link previews).</summary>
internal sealed class SafeHttpOptions
{
    public long MaxResponseBytes { get; set; } = 8 * 1024 * 1024;
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(20);
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);
    public int MaxRedirects { get; set; } = 5;
    public string UserAgent { get; set; } = "Switchboard/1.0 (+feed fetcher)";

    /// <summary>
    /// TEST ONLY: lets in-process fake servers on 127.0.0.1/::1 be reached. Internal and never bound from configuration,
    /// so production cannot turn it on; it opens loopback and nothing else (private ranges stay refused).
    /// </summary>
    internal bool AllowLoopbackForTests { get; init; }

    /// <summary>TEST ONLY: replaces DNS, to simulate rebinding answers. Null means the system resolver.</summary>
    internal Func<string, CancellationToken, Task<IPAddress[]>>? ResolverForTests { get; init; }
}
