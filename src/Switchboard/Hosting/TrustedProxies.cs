using System.Net;
using Microsoft.AspNetCore.HttpOverrides;

namespace Switchboard.Hosting;

/// <summary>
/// The reverse proxies whose <c>X-Forwarded-For</c> and <c>X-Forwarded-Proto</c> Switchboard believes
/// (<c>serve --trusted-proxies 127.0.0.1,10.0.0.0/8</c>). Behind a proxy that terminates TLS, the request reaches
/// Switchboard as plain HTTP from the proxy's address: without this, the session cookie is not marked Secure, HSTS is
/// not sent, and the sign-in throttle counts every user's failures against the proxy's one address. Only the listed
/// addresses are believed, so a client cannot forge its address or scheme by sending the headers itself.
/// </summary>
internal sealed record TrustedProxies(IReadOnlyList<IPAddress> Addresses, IReadOnlyList<System.Net.IPNetwork> Networks)
{
    /// <summary>Parses a comma-separated list of addresses and CIDR networks; the error names the entry and its position.</summary>
    public static (TrustedProxies? Value, string? Error) Parse(string text)
    {
        var addresses = new List<IPAddress>();
        var networks = new List<System.Net.IPNetwork>();
        var entries = text.Split(',');
        for (var i = 0; i < entries.Length; i++)
        {
            var entry = entries[i].Trim();
            if (entry.Contains('/', StringComparison.Ordinal))
            {
                // 10.0.0.1/8 is most likely a typo for an address or a network: refused rather than widened.
                if (!System.Net.IPNetwork.TryParse(entry, out var network)
                    || !IPAddress.TryParse(entry.AsSpan(0, entry.IndexOf('/', StringComparison.Ordinal)), out var given)
                    || !network.BaseAddress.Equals(given))
                    return (null, $"entry {i + 1} '{Shown(entry)}' is not a network (e.g. 10.0.0.0/8 or fd00::/8, host bits zero)");
                networks.Add(network);
            }
            else if (IPAddress.TryParse(entry, out var address) && entry.Length > 0 && (entry.Contains('.', StringComparison.Ordinal) || entry.Contains(':', StringComparison.Ordinal)))
            {
                addresses.Add(address);
            }
            else
            {
                return (null, $"entry {i + 1} '{Shown(entry)}' is not an IP address or a network (e.g. 127.0.0.1, ::1, 10.0.0.0/8)");
            }
        }
        return (new TrustedProxies(addresses, networks), null);
    }

    // An entry is echoed in an error message: keep it short and printable.
    static string Shown(string entry) =>
        new([.. (entry.Length > 60 ? entry[..60] + "…" : entry).Select(c => char.IsControl(c) ? '?' : c)]);

    /// <summary>Forwarded client address and scheme from these proxies only, one hop (the proxy in front of us).</summary>
    public ForwardedHeadersOptions Options()
    {
        var o = new ForwardedHeadersOptions { ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto };
        o.KnownProxies.Clear();
        o.KnownIPNetworks.Clear();
        foreach (var a in Addresses)
            o.KnownProxies.Add(a);
        foreach (var n in Networks)
            o.KnownIPNetworks.Add(n);
        return o;
    }
}
