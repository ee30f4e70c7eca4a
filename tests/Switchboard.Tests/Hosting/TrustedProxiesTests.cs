using System.Net;
using System.Text.RegularExpressions;
using Switchboard.Demo;
using Switchboard.Hosting;
using Switchboard.Inbox;
using Switchboard.Tests.Inbox;
using Switchboard.Tests.Infrastructure;
using Xunit;

namespace Switchboard.Tests.Hosting;

/// <summary>
/// Behind a TLS-terminating reverse proxy (serve --trusted-proxies): the forwarded scheme makes the session cookie
/// Secure and turns HSTS on, and the forwarded client address is what the sign-in throttle counts. From anyone else
/// the same headers change nothing, or a client could pick its own address and dodge the throttle.
/// </summary>
public sealed partial class TrustedProxiesTests
{
    [Fact]
    public void Parses_addresses_and_networks()
    {
        var (value, error) = TrustedProxies.Parse(" 127.0.0.1, ::1,10.0.0.0/8 ,fd00::/8");
        Assert.Null(error);
        Assert.Equal([IPAddress.Loopback, IPAddress.IPv6Loopback], value!.Addresses);
        Assert.Equal(["10.0.0.0/8", "fd00::/8"], value.Networks.Select(n => n.ToString()));
    }

    [Theory]
    [InlineData("", 1)]
    [InlineData("localhost", 1)]
    [InlineData("127.0.0.1,", 2)]
    [InlineData("127.0.0.1,300.1.1.1", 2)]
    [InlineData("7", 1)]
    [InlineData("10.0.0.1/8", 1)]          // host bits set: a typo for a network, refused rather than guessed
    [InlineData("10.0.0.0/33", 1)]
    [InlineData("::1,fd00::/129", 2)]
    [InlineData("1.2.3.4,\u0007bell", 2)]
    public void Refuses_a_bad_entry_naming_it(string text, int entry)
    {
        var (value, error) = TrustedProxies.Parse(text);
        Assert.Null(value);
        Assert.StartsWith($"entry {entry} '", error, StringComparison.Ordinal);
        Assert.DoesNotContain('\u0007', error!);
    }

    [Fact]
    public async Task Serve_refuses_a_malformed_list_before_starting()
    {
        var dir = Directory.CreateTempSubdirectory("switchboard-proxies-");
        var (code, _, err) = await Cli.RunAsync(dir.FullName, "serve", "--db", Path.Combine(dir.FullName, "sb.db"), "--trusted-proxies", "10.0.0.1/8");
        Assert.Equal(2, code);
        Assert.Contains("--trusted-proxies: entry 1 '10.0.0.1/8' is not a network", err, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(dir.FullName, "sb.db")), "nothing is created before the settings are valid");
    }

    [Fact]
    public async Task From_a_trusted_proxy_the_forwarded_scheme_secures_the_session_and_turns_on_HSTS()
    {
        await using var server = await StartAsync("127.0.0.1");

        using var plain = await GetLoginAsync(server, proto: null);
        Assert.False(plain.Headers.Contains("Strict-Transport-Security"), "no HSTS over plain HTTP (RFC 6797 7.2)");
        using var secure = await GetLoginAsync(server, proto: "https");
        Assert.StartsWith("max-age=", secure.Headers.GetValues("Strict-Transport-Security").Single(), StringComparison.Ordinal);

        var (status, session) = await SignInAsync(server, InboxFixture.Carlos, DemoWorkspace.Password, proto: "https");
        Assert.Equal(HttpStatusCode.Redirect, status);
        Assert.Contains("; secure", session, StringComparison.OrdinalIgnoreCase);
        var (_, plainSession) = await SignInAsync(server, InboxFixture.Carlos, DemoWorkspace.Password, proto: null);
        Assert.DoesNotContain("; secure", plainSession, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData(null)]            // no --trusted-proxies
    [InlineData("10.0.0.0/8")]    // a proxy list the test client (127.0.0.1) is not on
    public async Task From_anyone_else_the_forwarded_headers_change_nothing(string? trusted)
    {
        await using var server = await StartAsync(trusted);

        using var r = await GetLoginAsync(server, proto: "https");
        Assert.False(r.Headers.Contains("Strict-Transport-Security"));
        var (status, session) = await SignInAsync(server, InboxFixture.Carlos, DemoWorkspace.Password, proto: "https");
        Assert.Equal(HttpStatusCode.Redirect, status);
        Assert.DoesNotContain("; secure", session, StringComparison.OrdinalIgnoreCase);

        // A client claiming other addresses is still counted as the one it connects from: locked after the limit,
        // whatever address it claims next.
        await FailFromAsync(server, "203.0.113.5", SignInThrottle.AddressLimit);
        var (next, _) = await SignInAsync(server, InboxFixture.Carlos, DemoWorkspace.Password, proto: null, forwardedFor: "203.0.113.6");
        Assert.Equal((HttpStatusCode)429, next);
    }

    [Fact]
    public async Task From_a_trusted_proxy_the_throttle_counts_each_client_address()
    {
        await using var server = await StartAsync("127.0.0.0/8");

        await FailFromAsync(server, "203.0.113.5", SignInThrottle.AddressLimit);
        var (locked, _) = await SignInAsync(server, InboxFixture.Carlos, DemoWorkspace.Password, proto: "https", forwardedFor: "203.0.113.5");
        Assert.Equal((HttpStatusCode)429, locked);
        // Another user behind the same proxy is not locked out by the first one's failures.
        var (other, _) = await SignInAsync(server, InboxFixture.Carlos, DemoWorkspace.Password, proto: "https", forwardedFor: "203.0.113.6");
        Assert.Equal(HttpStatusCode.Redirect, other);
    }

    static async Task<RunningServer> StartAsync(string? trusted)
    {
        var proxies = trusted is null ? null : TrustedProxies.Parse(trusted).Value!;
        var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync("sqlite"), configure: s => s with { TrustedProxies = proxies });
        await DemoWorkspace.SeedAsync(server.Db, TimeProvider.System);
        return server;
    }

    // Cookies are carried by hand: a cookie marked Secure must still reach this plain-HTTP test server, as it reaches
    // Switchboard behind the proxy.
    static HttpClient Client(RunningServer server) =>
        new(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = server.Address };

    static async Task<HttpResponseMessage> GetLoginAsync(RunningServer server, string? proto, string? forwardedFor = null)
    {
        using var http = Client(server);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/login");
        Forward(request, proto, forwardedFor);
        return await http.SendAsync(request);
    }

    /// <summary>The login form as a browser submits it; the status and the session's Set-Cookie ("" when none).</summary>
    static async Task<(HttpStatusCode Status, string Session)> SignInAsync(RunningServer server, string email, string password, string? proto,
        string? forwardedFor = null)
    {
        using var form = await GetLoginAsync(server, proto, forwardedFor);
        var html = await form.Content.ReadAsStringAsync();
        var token = TokenPattern().Match(html).Groups[1].Value;
        var cookies = string.Join("; ", form.Headers.TryGetValues("Set-Cookie", out var set) ? set.Select(c => c.Split(';')[0]) : []);
        using var http = Client(server);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/account/login")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["email"] = email, ["password"] = password, ["__RequestVerificationToken"] = token }),
        };
        request.Headers.Add("Cookie", cookies);
        Forward(request, proto, forwardedFor);
        using var r = await http.SendAsync(request);
        var session = r.Headers.TryGetValues("Set-Cookie", out var issued)
            ? issued.LastOrDefault(c => c.StartsWith("switchboard.session=", StringComparison.Ordinal) && !c.StartsWith("switchboard.session=;", StringComparison.Ordinal)) ?? ""
            : "";
        if (r.StatusCode == HttpStatusCode.Redirect && r.Headers.Location?.ToString().Contains("error", StringComparison.Ordinal) == true)
            return (HttpStatusCode.Unauthorized, session);
        return (r.StatusCode, session);
    }

    // Failures with a different email each time, so the address limit (not the account one) is what locks.
    static async Task FailFromAsync(RunningServer server, string address, int count)
    {
        for (var i = 0; i < count; i++)
        {
            var (status, _) = await SignInAsync(server, $"nobody{i}@example.com", "wrong password", proto: null, forwardedFor: address);
            Assert.Equal(HttpStatusCode.Unauthorized, status);
        }
    }

    static void Forward(HttpRequestMessage request, string? proto, string? forwardedFor)
    {
        if (proto is not null)
            request.Headers.Add("X-Forwarded-Proto", proto);
        if (forwardedFor is not null)
            request.Headers.Add("X-Forwarded-For", forwardedFor);
    }

    [GeneratedRegex("<input[^>]*name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]+)\"")]
    private static partial Regex TokenPattern();
}
