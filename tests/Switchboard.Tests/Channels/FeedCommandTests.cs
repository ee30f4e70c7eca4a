using System.Text;
using System.Text.Json;
using Switchboard.Channels;
using Switchboard.Channels.SafeHttp;
using Xunit;

namespace Switchboard.Tests.Channels;

public sealed class FeedCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sb-feed-").FullName;

    private const string Rss = """
        <?xml version="1.0" encoding="utf-8"?>
        <rss version="2.0" xmlns:wfw="http://wellformedweb.org/CommentAPI/" xmlns:dc="http://purl.org/dc/elements/1.1/">
        <channel><title>Airline news</title><link>https://news.example/</link>
        <item><title>Delays at LHR</title><link>/2026/11/delays</link><guid isPermaLink="false">post-42</guid>
          <pubDate>Sat, 21 Nov 2026 09:30:00 +0100</pubDate><dc:creator>Ana</dc:creator>
          <description>&lt;p&gt;Flights &amp;amp; more&lt;/p&gt;</description>
          <comments>https://news.example/2026/11/delays#comments</comments>
          <wfw:commentRss>https://news.example/2026/11/delays/feed/</wfw:commentRss></item>
        </channel></rss>
        """;

    private async Task<(int Code, string Out, string Err)> Run(string target, SafeHttpOptions? options = null)
    {
        using var http = new SafeHttpClient(options ?? new SafeHttpOptions { Timeout = TimeSpan.FromSeconds(5) });
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await FeedCommand.RunAsync(target, stdout, stderr, http, CancellationToken.None);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private string Write(string name, string content) => Write(name, Encoding.UTF8.GetBytes(content));

    private string Write(string name, byte[] content)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, content);
        return path;
    }

    [Fact]
    public async Task Prints_what_switchboard_reads_from_a_file()
    {
        var (code, stdout, stderr) = await Run(Write("feed.xml", Rss));
        Assert.True(code == 0, stderr);
        using var json = JsonDocument.Parse(stdout);
        var root = json.RootElement;
        Assert.Equal("Airline news", root.GetProperty("title").GetString());
        Assert.Equal("https://news.example/", root.GetProperty("link").GetString());
        var entry = root.GetProperty("entries")[0];
        Assert.Equal("post-42", entry.GetProperty("id").GetString());
        Assert.Equal("Delays at LHR", entry.GetProperty("title").GetString());
        Assert.Equal("2026-11-21T08:30:00Z", entry.GetProperty("published").GetString());
        Assert.Equal("Ana", entry.GetProperty("author").GetString());
        Assert.Equal("<p>Flights &amp; more</p>", entry.GetProperty("content").GetString());
        Assert.Equal("https://news.example/2026/11/delays#comments", entry.GetProperty("comments").GetString());
        Assert.Equal("https://news.example/2026/11/delays/feed/", entry.GetProperty("commentsFeed").GetString());
    }

    [Fact]
    public async Task Fetches_urls_through_the_safe_client_and_resolves_links_against_the_final_url()
    {
        using var server = new FakeHttpServer((path, _) => path == "/old"
            ? FakeResponse.Text(301, "", ("Location", "/feed"))
            : FakeResponse.Text(200, Rss, ("Content-Type", "application/rss+xml")));
        var (code, stdout, stderr) = await Run(server.Url("/old").ToString(), new SafeHttpOptions { AllowLoopbackForTests = true });
        Assert.True(code == 0, stderr);
        using var json = JsonDocument.Parse(stdout);
        Assert.Equal(server.Url("/2026/11/delays").ToString(), json.RootElement.GetProperty("entries")[0].GetProperty("link").GetString());
    }

    [Theory]
    [InlineData("file:///etc/passwd")]
    [InlineData("gopher://127.0.0.1:70/")]
    [InlineData("http://user@127.0.0.1/")]
    [InlineData("http://localhost/feed")]
    public async Task Refuses_unsafe_urls_with_a_clear_error(string url)
    {
        var (code, stdout, stderr) = await Run(url);
        Assert.Equal(2, code);
        Assert.Empty(stdout);
        Assert.StartsWith("error: ", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Private_address_urls_fail_without_connecting()
    {
        using var canary = new CanaryListener();
        var (code, _, stderr) = await Run($"http://127.0.0.1:{canary.Port}/feed");
        Assert.Equal(1, code);
        Assert.Contains("Refused", stderr, StringComparison.Ordinal);
        Assert.Equal(0, canary.Connections);
    }

    [Fact]
    public async Task Xxe_to_a_loopback_canary_is_not_followed()
    {
        using var canary = new CanaryListener();
        var xxe = $"""
            <?xml version="1.0"?>
            <!DOCTYPE rss [<!ENTITY xxe SYSTEM "http://127.0.0.1:{canary.Port}/xxe"><!ENTITY % p SYSTEM "http://127.0.0.1:{canary.Port}/dtd"> %p;]>
            <rss version="2.0"><channel><title>&xxe;</title></channel></rss>
            """;
        var (code, _, stderr) = await Run(Write("xxe.xml", xxe));
        Assert.Equal(1, code);
        Assert.Contains("xxe", stderr, StringComparison.Ordinal);
        await Task.Delay(100);
        Assert.Equal(0, canary.Connections);
    }

    [Theory]
    [InlineData("not xml at all")]
    [InlineData("<html><body>a web page</body></html>")]
    [InlineData("<rss version=\"2.0\"><channel><title>truncated")]
    [InlineData("")]
    public async Task Unreadable_feeds_exit_1_with_a_reason(string content)
    {
        var (code, stdout, stderr) = await Run(Write("bad.xml", content));
        Assert.Equal(1, code);
        Assert.Empty(stdout);
        Assert.Contains("not a readable feed", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Billion_laughs_and_invalid_utf8_are_refused()
    {
        var laughs = new StringBuilder("<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">");
        for (int i = 1; i < 10; i++)
            laughs.Append(System.Globalization.CultureInfo.InvariantCulture, $"<!ENTITY lol{i} \"{string.Concat(Enumerable.Repeat($"&lol{(i == 1 ? "" : i - 1)};", 10))}\">");
        laughs.Append("]><rss><channel><title>&lol9;</title></channel></rss>");
        Assert.Equal(1, (await Run(Write("lol.xml", laughs.ToString()))).Code);

        var invalid = Encoding.UTF8.GetBytes("<?xml version=\"1.0\" encoding=\"utf-8\"?><rss><channel><title>caf</title></channel></rss>").ToList();
        invalid.InsertRange(invalid.IndexOf((byte)'<', 50), new byte[] { 0xC3, 0x28, 0xFF });
        var (code, _, stderr) = await Run(Write("utf8.xml", invalid.ToArray()));
        Assert.Equal(1, code);
        Assert.Contains("line", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_file_is_bad_input()
    {
        var missing = Path.Combine(_dir, "nope.xml");
        var (code, _, stderr) = await Run(missing);
        Assert.Equal(2, code);
        Assert.Equal($"error: '{missing}' does not exist", stderr.Trim());
    }

    [Fact]
    public async Task Command_line_wiring_returns_the_exit_codes()
    {
        var root = new System.CommandLine.RootCommand();
        root.Subcommands.Add(FeedCommand.Create());
        Assert.Equal(0, await root.Parse(["feed", "parse", Write("ok.xml", Rss)]).InvokeAsync());
        Assert.Equal(1, await root.Parse(["feed", "parse", Write("bad2.xml", "<nope")]).InvokeAsync());
        Assert.Equal(2, await root.Parse(["feed", "parse", Path.Combine(_dir, "missing.xml")]).InvokeAsync());
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
