using System.Net;
using System.Net.Sockets;

namespace Switchboard.Channels.SafeHttp;

/// <summary>
/// Which IP addresses user-supplied URLs may reach: public unicast only. Applied to the address actually connected to
/// (after DNS), so hostnames, decimal/octal/hex IPv4 spellings and IPv6-mapped forms all end up judged by the same rule.
/// </summary>
internal static class AddressPolicy
{
    /// <summary>Null when the address is public; otherwise why it is refused.</summary>
    public static string? Refusal(IPAddress address, bool allowLoopback = false)
    {
        if (address.IsIPv4MappedToIPv6)
            return Refusal(address.MapToIPv4(), allowLoopback);
        if (address.AddressFamily == AddressFamily.InterNetwork)
            return RefusalV4(address.GetAddressBytes(), allowLoopback);
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
            return "not an IP address";
        var b = address.GetAddressBytes();
        if (IPAddress.IPv6Loopback.Equals(address))
            return allowLoopback ? null : "loopback";
        if (IPAddress.IPv6None.Equals(address) || IPAddress.IPv6Any.Equals(address))
            return "unspecified address";
        // ::a.b.c.d (IPv4-compatible, deprecated), 64:ff9b::/96 (NAT64) and 2002::/16 (6to4) embed an IPv4 address that some stacks route to.
        if (b.AsSpan(0, 12).IndexOfAnyExcept((byte)0) < 0)
            return "IPv4-compatible IPv6 address";
        if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && b.AsSpan(4, 8).IndexOfAnyExcept((byte)0) < 0)
            return RefusalV4(b[12..16], allowLoopback: false) is { } nat64 ? "NAT64 of " + nat64 : null;
        if (b[0] == 0x20 && b[1] == 0x02)
            return RefusalV4(b[2..6], allowLoopback: false) is { } sixToFour ? "6to4 of " + sixToFour : null;
        if ((b[0] & 0xfe) == 0xfc)
            return "unique-local address (fc00::/7)";
        if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)
            return "link-local address (fe80::/10)";
        if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0)
            return "site-local address (fec0::/10)";
        if (b[0] == 0xff)
            return "multicast address";
        if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8)
            return "documentation address (2001:db8::/32)";
        if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x00 && b[3] == 0x00)
            return "Teredo address (2001::/32)";
        if (b[0] == 0x01 && b[1] == 0x00 && b.AsSpan(2, 6).IndexOfAnyExcept((byte)0) < 0)
            return "discard-only address (100::/64)";
        return null;
    }

    private static string? RefusalV4(byte[] a, bool allowLoopback) => (a[0], a[1], a[2]) switch
    {
        (0, _, _) => "\"this network\" address (0.0.0.0/8)",
        (10, _, _) => "private address (10.0.0.0/8)",
        (100, >= 64 and <= 127, _) => "carrier-grade NAT address (100.64.0.0/10)",
        (127, _, _) => allowLoopback ? null : "loopback address (127.0.0.0/8)",
        (169, 254, _) => "link-local / cloud metadata address (169.254.0.0/16)",
        (172, >= 16 and <= 31, _) => "private address (172.16.0.0/12)",
        (192, 0, 0) => "IETF protocol assignment (192.0.0.0/24)",
        (192, 0, 2) or (198, 51, 100) or (203, 0, 113) => "documentation address",
        (192, 88, 99) => "6to4 relay anycast (192.88.99.0/24)",
        (192, 168, _) => "private address (192.168.0.0/16)",
        (198, 18 or 19, _) => "benchmarking address (198.18.0.0/15)",
        ( >= 224, _, _) => "multicast or reserved address",
        _ => null,
    };
}
