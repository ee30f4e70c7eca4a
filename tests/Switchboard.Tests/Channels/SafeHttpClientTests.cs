using System.IO.Compression;
using System.Net;
using Switchboard.Channels.SafeHttp;
using Xunit;

namespace Switchboard.Tests.Channels;

public class SafeHttpClientTests
{
    private static readonly SafeHttpOptions Fast = new() { Timeout = TimeSpan.FromSeconds(5), ConnectTimeout = TimeSpan.FromSeconds(2) };

    public static TheoryData<string> SsrfMatrix() =>
    [
        "http://127.0.0.1:{port}/",
        "http://localhost:{port}/",
        "http://LOCALHOST.:{port}/",
        "http://sub.localhost:{port}/",
        "http://0.0.0.0:{port}/",
        "http://[::1]:{port}/",
        "http://[::]:{port}/",
        "http://10.0.0.1:{port}/",
        "http://172.16.0.1:{port}/",
        "http://192.168.1.1:{port}/",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.64.0.1:{port}/",
        "http://[fd00::1]:{port}/",
        "http://[fd00:ec2::254]/latest/meta-data/",
        "http://[fe80::1]:{port}/",
        "http://[::ffff:127.0.0.1]:{port}/",
        "http://[::ffff:7f00:1]:{port}/",
        "http://[::127.0.0.1]:{port}/",
        "http://[64:ff9b::7f00:1]:{port}/",
        "http://[2002:7f00:1::]:{port}/",
        "http://2130706433:{port}/",
        "http://0x7f000001:{port}/",
        "http://0177.0.0.1:{port}/",
        "http://127.1:{port}/",
        "http://127.000.000.001:{port}/",
        "http://user@127.0.0.1:{port}/",
        "http://user:pass@example.com:{port}/",
        "https://127.0.0.1:{port}/",
        "file:///etc/passwd",
        "gopher://127.0.0.1:{port}/_GET",
        "ftp://127.0.0.1:{port}/",
        "dict://127.0.0.1:{port}/",
    ];

    [Theory]
    [MemberData(nameof(SsrfMatrix))]
    public async Task Refuses_internal_targets_and_no_connection_reaches_the_canary(string template)
    {
        using var canary = new CanaryListener();
        using var client = new SafeHttpClient(Fast);
        var url = new Uri(template.Replace("{port}", canary.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));
        var result = await client.GetAsync(url);
        Assert.Equal(FetchStatus.Refused, result.Status);
        Assert.False(string.IsNullOrEmpty(result.Error));
        await Task.Delay(50);
        Assert.Equal(0, canary.Connections);
    }

    [Theory]
    [InlineData("http://169.254.169.254/latest/meta-data/")]
    [InlineData("http://10.0.0.1/")]
    [InlineData("http://[::ffff:169.254.169.254]/")]
    [InlineData("file:///etc/passwd")]
    [InlineData("gopher://example.com/")]
    public async Task Checks_every_redirect_hop(string target)
    {
        using var server = new FakeHttpServer((path, _) => path == "/start"
            ? FakeResponse.Text(302, "", ("Location", "/hop"))
            : FakeResponse.Text(301, "", ("Location", target)));
        using var client = new SafeHttpClient(new SafeHttpOptions { AllowLoopbackForTests = true, Timeout = TimeSpan.FromSeconds(5) });
        var result = await client.GetAsync(server.Url("/start"));
        Assert.Equal(FetchStatus.Refused, result.Status);
        Assert.Equal(["/start", "/hop"], server.Requests);
    }

    [Fact]
    public async Task Test_only_loopback_allowance_does_not_open_private_ranges()
    {
        using var client = new SafeHttpClient(new SafeHttpOptions { AllowLoopbackForTests = true, Timeout = TimeSpan.FromSeconds(5) });
        Assert.Equal(FetchStatus.Refused, (await client.GetAsync(new Uri("http://10.0.0.1/"))).Status);
        Assert.Equal(FetchStatus.Refused, (await client.GetAsync(new Uri("http://169.254.169.254/"))).Status);
        Assert.False(typeof(SafeHttpOptions).GetProperty(nameof(SafeHttpOptions.AllowLoopbackForTests), System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic)!.GetMethod!.IsPublic,
            "the loopback allowance must not be bindable from configuration");
    }

    [Fact]
    public async Task Dns_answer_mixing_public_and_loopback_is_refused()
    {
        using var canary = new CanaryListener();
        using var rebinding = new SafeHttpClient(new SafeHttpOptions
        {
            Timeout = TimeSpan.FromSeconds(5),
            ConnectTimeout = TimeSpan.FromSeconds(1),
            ResolverForTests = (_, _) => Task.FromResult(new[] { IPAddress.Parse("93.184.215.14"), IPAddress.Loopback }),
        });
        var result = await rebinding.GetAsync(new Uri($"http://rebind.example:{canary.Port}/"));
        Assert.Equal(FetchStatus.Refused, result.Status);
        Assert.Equal(0, canary.Connections);
    }

    [Fact]
    public async Task Dns_answering_public_then_loopback_never_reaches_loopback()
    {
        using var canary = new CanaryListener();
        int calls = 0;
        using var client = new SafeHttpClient(new SafeHttpOptions
        {
            Timeout = TimeSpan.FromSeconds(4),
            ConnectTimeout = TimeSpan.FromSeconds(1),
            // First answer public (passes the check), every later answer loopback: the classic rebinding pattern.
            ResolverForTests = (_, _) => Task.FromResult(Interlocked.Increment(ref calls) == 1
                ? new[] { IPAddress.Parse("192.0.43.10") is var p && AddressPolicy.Refusal(p) is null ? p : IPAddress.Parse("93.184.215.14") }
                : new[] { IPAddress.Loopback }),
        });
        for (int i = 0; i < 3; i++)
        {
            var result = await client.GetAsync(new Uri($"http://rebind.example:{canary.Port}/"));
            Assert.NotEqual(FetchStatus.Ok, result.Status);
        }
        Assert.Equal(0, canary.Connections);
    }

    [Fact]
    public async Task Conditional_get_sends_validators_and_reports_not_modified()
    {
        using var server = new FakeHttpServer((_, headers) =>
            headers.TryGetValue("If-None-Match", out var tag) && tag == "\"v1\""
                ? FakeResponse.Text(304, "")
                : FakeResponse.Text(200, "<rss/>", ("ETag", "\"v1\""), ("Last-Modified", "Sat, 21 Nov 2026 10:00:00 GMT")));
        using var client = new SafeHttpClient(new SafeHttpOptions { AllowLoopbackForTests = true });
        var first = await client.GetAsync(server.Url("/feed"));
        Assert.Equal(FetchStatus.Ok, first.Status);
        Assert.Equal("\"v1\"", first.ETag);
        Assert.Equal(new DateTimeOffset(2026, 11, 21, 10, 0, 0, TimeSpan.Zero), first.LastModified);
        var second = await client.GetAsync(server.Url("/feed"), new ConditionalGet(first.ETag, first.LastModified));
        Assert.Equal(FetchStatus.NotModified, second.Status);
    }

    [Fact]
    public async Task Oversized_bodies_are_cut_off_with_or_without_content_length_and_after_decompression()
    {
        var big = new byte[2 * 1024 * 1024];
        using var gzipped = new MemoryStream();
        using (var gz = new GZipStream(gzipped, CompressionLevel.Fastest, leaveOpen: true))
            gz.Write(new byte[20 * 1024 * 1024]);
        using var server = new FakeHttpServer((path, _) => path switch
        {
            "/declared" => new FakeResponse(200, big),
            "/undeclared" => new FakeResponse(200, big, new Dictionary<string, string> { ["X-No-Length"] = "1" }),
            _ => new FakeResponse(200, gzipped.ToArray(), new Dictionary<string, string> { ["Content-Encoding"] = "gzip" }),
        });
        using var client = new SafeHttpClient(new SafeHttpOptions { AllowLoopbackForTests = true, MaxResponseBytes = 1024 * 1024 });
        Assert.Equal(FetchStatus.TooLarge, (await client.GetAsync(server.Url("/declared"))).Status);
        Assert.Equal(FetchStatus.TooLarge, (await client.GetAsync(server.Url("/undeclared"))).Status);
        Assert.Equal(FetchStatus.TooLarge, (await client.GetAsync(server.Url("/bomb"))).Status);
    }

    [Fact]
    public async Task A_server_that_never_answers_times_out()
    {
        using var server = new FakeHttpServer((_, _) => new FakeResponse(200, [], Hang: true));
        using var client = new SafeHttpClient(new SafeHttpOptions { AllowLoopbackForTests = true, Timeout = TimeSpan.FromSeconds(1) });
        var started = System.Diagnostics.Stopwatch.StartNew();
        var result = await client.GetAsync(server.Url("/slow"));
        Assert.Equal(FetchStatus.Timeout, result.Status);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Too_many_redirects_are_refused_and_429_reports_retry_after()
    {
        using var server = new FakeHttpServer((path, _) => path == "/busy"
            ? FakeResponse.Text(429, "slow down", ("Retry-After", "120"))
            : FakeResponse.Text(302, "", ("Location", "/loop")));
        using var client = new SafeHttpClient(new SafeHttpOptions { AllowLoopbackForTests = true });
        Assert.Equal(FetchStatus.Refused, (await client.GetAsync(server.Url("/loop"))).Status);
        var busy = await client.GetAsync(server.Url("/busy"));
        Assert.Equal(FetchStatus.HttpError, busy.Status);
        Assert.Equal(429, busy.HttpStatus);
        Assert.Equal(TimeSpan.FromSeconds(120), busy.RetryAfter);
    }

    [Theory]
    [InlineData("8.8.8.8", true)]
    [InlineData("93.184.215.14", true)]
    [InlineData("2606:4700:4700::1111", true)]
    [InlineData("127.0.0.1", false)]
    [InlineData("127.255.255.254", false)]
    [InlineData("0.0.0.0", false)]
    [InlineData("10.255.0.1", false)]
    [InlineData("172.31.255.255", false)]
    [InlineData("172.32.0.1", true)]
    [InlineData("100.63.255.255", true)]
    [InlineData("100.64.0.1", false)]
    [InlineData("100.127.255.255", false)]
    [InlineData("169.254.169.254", false)]
    [InlineData("192.168.0.1", false)]
    [InlineData("224.0.0.1", false)]
    [InlineData("255.255.255.255", false)]
    [InlineData("::1", false)]
    [InlineData("::", false)]
    [InlineData("::ffff:10.0.0.1", false)]
    [InlineData("::ffff:8.8.8.8", true)]
    [InlineData("fc00::1", false)]
    [InlineData("fe80::1", false)]
    [InlineData("ff02::1", false)]
    [InlineData("2001:db8::1", false)]
    public void Address_policy(string address, bool allowed) =>
        Assert.Equal(allowed, AddressPolicy.Refusal(IPAddress.Parse(address)) is null);
}
