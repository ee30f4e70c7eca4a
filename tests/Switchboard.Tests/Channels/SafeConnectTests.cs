using System.Globalization;
using System.Net;
using System.Net.WebSockets;
using Switchboard.Channels.SafeHttp;
using Xunit;

namespace Switchboard.Tests.Channels;

/// <summary>
/// The SSRF matrix of <see cref="SafeHttpClientTests"/> through <see cref="SafeConnect"/>, the handler the Mastodon
/// (REST, SSE and WebSocket streaming) and Jetstream connectors use: plain requests through an HttpClient on the
/// handler, and WebSocket opens through a ClientWebSocket with the handler as its invoker, exactly as the connectors
/// build them. A loopback canary must hear nothing.
/// </summary>
public class SafeConnectTests
{
    /// <summary>
    /// Production rules. Every name resolves to loopback, as a hostile or rebinding DNS would answer (and the test
    /// needs no real DNS): a name can only pass by being refused at connect time.
    /// </summary>
    private static readonly SafeHttpOptions Strict = new()
    {
        ConnectTimeout = TimeSpan.FromSeconds(2),
        ResolverForTests = (_, _) => Task.FromResult(new[] { IPAddress.Loopback, IPAddress.IPv6Loopback }),
    };

    [Theory]
    [MemberData(nameof(SafeHttpClientTests.SsrfMatrix), MemberType = typeof(SafeHttpClientTests))]
    public async Task Requests_through_the_connector_handler_are_refused_and_never_reach_the_canary(string template)
    {
        using var canary = new CanaryListener();
        var url = new Uri(Fill(template, canary));
        var failure = await GetAsync(url, Strict);
        if (url.Scheme is "http" or "https")
        {
            // Refused at connect time even where the connectors' URL gate (SafeConnect.CheckUrl) already turns the URL
            // away (user@127.0.0.1, localhost): a connector that forgot the gate would still be safe.
            var refused = FindRefusal(failure);
            Assert.True(refused is not null, $"{url} was not refused at connect time: {Describe(failure)}");
            Assert.Contains("refused", refused.Message, StringComparison.Ordinal);
        }
        else
        {
            Assert.NotNull(SafeConnect.CheckUrl(url));
            Assert.NotNull(failure);
        }
        Assert.Equal(0, await canary.SettledConnectionsAsync());
    }

    [Theory]
    [MemberData(nameof(SafeHttpClientTests.SsrfMatrix), MemberType = typeof(SafeHttpClientTests))]
    public async Task WebSocket_opens_through_the_connector_handler_are_refused_and_never_reach_the_canary(string template)
    {
        using var canary = new CanaryListener();
        var url = new Uri(Fill(AsWebSocket(template), canary));
        var failure = await OpenWebSocketAsync(url, Strict);
        if (url.Scheme is "ws" or "wss")
        {
            var refused = FindRefusal(failure);
            Assert.True(refused is not null, $"{url} was not refused at connect time: {Describe(failure)}");
            Assert.Contains("refused", refused.Message, StringComparison.Ordinal);
        }
        else
        {
            Assert.NotNull(SafeConnect.CheckUrl(url));
            Assert.NotNull(failure);
        }
        Assert.Equal(0, await canary.SettledConnectionsAsync());
    }

    [Theory]
    [InlineData("http://127.0.0.1:{port}/")]
    [InlineData("http://[::ffff:127.0.0.1]:{port}/")]
    [InlineData("http://169.254.169.254/latest/meta-data/")]
    public async Task Redirects_are_never_followed_by_requests_or_websocket_opens(string target)
    {
        using var canary = new CanaryListener();
        var location = Fill(target, canary);
        using var server = new FakeHttpServer((_, _) => FakeResponse.Text(302, "", ("Location", location)));
        // Loopback is reachable in this mode (the fake server is there), so only not following keeps the canary at zero.
        var loopback = new SafeHttpOptions { AllowLoopbackForTests = true, ConnectTimeout = TimeSpan.FromSeconds(2) };

        using (var http = new HttpClient(SafeConnect.CreateHandler(loopback)) { Timeout = TimeSpan.FromSeconds(10) })
        using (var response = await http.GetAsync(server.Url("/api/v1/notifications")))
            Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        var ws = await OpenWebSocketAsync(new Uri(AsWebSocket(server.Url("/api/v1/streaming").AbsoluteUri)), loopback);
        Assert.IsType<WebSocketException>(ws);

        Assert.Equal(["/api/v1/notifications", "/api/v1/streaming"], server.Requests);
        Assert.Equal(0, await canary.SettledConnectionsAsync());
    }

    [Theory]
    [InlineData("http://0.0.0.0:{port}/")]
    [InlineData("http://[::]:{port}/")]
    [InlineData("http://10.0.0.1:{port}/")]
    [InlineData("http://169.254.169.254/")]
    [InlineData("http://[::ffff:169.254.169.254]/")]
    [InlineData("http://[fd00::1]:{port}/")]
    public async Task The_test_only_loopback_allowance_opens_nothing_else(string template)
    {
        // 0.0.0.0 and [::] reach this machine on Linux, so the canary would hear them if they were let through.
        using var canary = new CanaryListener();
        var loopback = new SafeHttpOptions { AllowLoopbackForTests = true, ConnectTimeout = TimeSpan.FromSeconds(2) };
        var http = await GetAsync(new Uri(Fill(template, canary)), loopback);
        Assert.True(FindRefusal(http) is not null, Describe(http));
        var ws = await OpenWebSocketAsync(new Uri(Fill(AsWebSocket(template), canary)), loopback);
        Assert.True(FindRefusal(ws) is not null, Describe(ws));
        Assert.Equal(0, await canary.SettledConnectionsAsync());
    }

    [Fact]
    public async Task A_name_with_any_internal_answer_is_refused()
    {
        using var canary = new CanaryListener();
        var mixed = new SafeHttpOptions
        {
            ConnectTimeout = TimeSpan.FromSeconds(1),
            ResolverForTests = (_, _) => Task.FromResult(new[] { IPAddress.Parse("93.184.215.14"), IPAddress.Loopback }),
        };
        var http = await GetAsync(new Uri($"http://rebind.example:{canary.Port}/"), mixed);
        Assert.True(FindRefusal(http) is not null, Describe(http));
        var ws = await OpenWebSocketAsync(new Uri($"ws://rebind.example:{canary.Port}/subscribe"), mixed);
        Assert.True(FindRefusal(ws) is not null, Describe(ws));
        Assert.Equal(0, await canary.SettledConnectionsAsync());
    }

    [Fact]
    public async Task Dns_answering_public_then_loopback_never_reaches_loopback()
    {
        using var canary = new CanaryListener();
        var calls = 0;
        var rebinding = new SafeHttpOptions
        {
            ConnectTimeout = TimeSpan.FromSeconds(1),
            // The first answer is public and passes the check; every later one is loopback: the classic rebinding pattern.
            ResolverForTests = (_, _) => Task.FromResult(Interlocked.Increment(ref calls) == 1
                ? new[] { IPAddress.Parse("93.184.215.14") }
                : new[] { IPAddress.Loopback }),
        };
        var failures = new List<Exception?>();
        for (var i = 0; i < 3; i++)
        {
            failures.Add(await GetAsync(new Uri($"http://rebind.example:{canary.Port}/"), rebinding));
            failures.Add(await OpenWebSocketAsync(new Uri($"ws://rebind.example:{canary.Port}/subscribe"), rebinding));
        }
        Assert.All(failures, f => Assert.NotNull(f));
        // Every connection after the first asked DNS again and was refused on the loopback answer.
        Assert.Equal(5, failures.Skip(1).Count(f => FindRefusal(f) is not null));
        Assert.Equal(6, Volatile.Read(ref calls));
        Assert.Equal(0, await canary.SettledConnectionsAsync());
    }

    private static string Fill(string template, CanaryListener canary) =>
        template.Replace("{port}", canary.Port.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);

    /// <summary>The same target as a WebSocket URL (http → ws, https → wss); other schemes stay as they are.</summary>
    private static string AsWebSocket(string url) =>
        url.StartsWith("http://", StringComparison.Ordinal) ? "ws://" + url["http://".Length..]
        : url.StartsWith("https://", StringComparison.Ordinal) ? "wss://" + url["https://".Length..]
        : url;

    /// <summary>A GET the way the Mastodon connector sends its REST and SSE requests; null when it got an answer.</summary>
    private static async Task<Exception?> GetAsync(Uri url, SafeHttpOptions options)
    {
        using var http = new HttpClient(SafeConnect.CreateHandler(options)) { Timeout = TimeSpan.FromSeconds(10) };
        try
        {
            using var response = await http.GetAsync(url);
            return null;
        }
        catch (Exception ex)
        {
            return ex;
        }
    }

    /// <summary>A WebSocket open the way the Mastodon streaming and Jetstream connectors do it; null when it opened.</summary>
    private static async Task<Exception?> OpenWebSocketAsync(Uri url, SafeHttpOptions options)
    {
        using var handler = SafeConnect.CreateHandler(options);
        using var invoker = new HttpMessageInvoker(handler);
        using var socket = new ClientWebSocket();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await socket.ConnectAsync(url, invoker, timeout.Token);
            return null;
        }
        catch (Exception ex)
        {
            return ex;
        }
    }

    private static AddressRefusedException? FindRefusal(Exception? ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is AddressRefusedException refused)
                return refused;
        }
        return null;
    }

    private static string Describe(Exception? ex) => ex is null ? "it succeeded" : ex.ToString();
}
