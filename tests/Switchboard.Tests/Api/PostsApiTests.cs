using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Switchboard.Tests.Infrastructure;
using Xunit;

namespace Switchboard.Tests.Api;

public class PostsApiTests
{
    private const string Good = """{"id":"g1","channel":"mastodon","text":"hello @brightwave"}""";

    [Theory]
    [InlineData("{\"id\":\"x\",\"channel\":\"mastodon\"", "invalid JSON")]
    [InlineData("{\"id\":\"x\",\"channel\":\"mastodon\",\"text\":42}", "'text' must be a string")]
    [InlineData("{\"id\":\"x\",\"text\":\"t\"}", "'channel' is required")]
    [InlineData("[]", "expected a JSON object")]
    [InlineData("", "no posts")]
    [InlineData("{\"id\":\"x\",\"channel\":\"m\",\"text\":\"t\",\"author\":{\"followers\":-5}}", "'author.followers' must be a whole number")]
    [InlineData("{\"id\":\"x\",\"channel\":\"m\",\"text\":\"t\",\"created_at\":\"1e999\"}", "'created_at' must be an ISO-8601")]
    public async Task Malformed_deliveries_get_a_400_with_the_reason_and_lose_nothing(string body, string reason)
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync("sqlite"));
        using var api = await server.AdminClientAsync();
        Assert.Equal(HttpStatusCode.OK, (await api.PostAsync("/api/posts", new StringContent(Good, Encoding.UTF8, "application/json"))).StatusCode);

        // A bad line anywhere refuses the whole request: a half-stored delivery would make retries ambiguous.
        var payload = body.Length == 0 ? body : Good.Replace("g1", "g2", StringComparison.Ordinal) + "\n" + body;
        var response = await api.PostAsync("/api/posts", new StringContent(payload, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(reason, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var list = await api.GetFromJsonAsync<JsonElement>("/api/conversations");
        Assert.Equal(["hello @brightwave"], list.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("subject").GetString()));
    }

    [Fact]
    public async Task Oversized_bodies_and_invalid_utf8_are_refused_and_the_server_keeps_serving()
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync("sqlite"));
        using var api = await server.AdminClientAsync();
        var huge = new string('x', 5 * 1024 * 1024);
        var big = await api.PostAsync("/api/posts", new StringContent(huge, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, big.StatusCode);

        var invalid = new ByteArrayContent([.. "{\"id\":\"1\",\"channel\":\"m\",\"text\":\""u8, 0xC3, 0x28, .. "\"}"u8]);
        var bad = await api.PostAsync("/api/posts", invalid);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("UTF-8", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var deep = "{\"id\":\"d\",\"channel\":\"m\",\"text\":\"t\",\"x\":" + new string('[', 10_000) + new string(']', 10_000) + "}";
        Assert.Equal(HttpStatusCode.BadRequest, (await api.PostAsync("/api/posts", new StringContent(deep))).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await api.PostAsync("/api/posts", new StringContent(Good))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/healthz")).StatusCode);
    }

    [Fact]
    public async Task A_retried_delivery_is_stored_once()
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync("sqlite"));
        using var api = await server.AdminClientAsync();
        var first = await (await api.PostAsync("/api/posts", new StringContent(Good))).Content.ReadFromJsonAsync<JsonElement>();
        var again = await (await api.PostAsync("/api/posts", new StringContent(Good))).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(1, first.GetProperty("stored").GetInt32());
        Assert.Equal(0, again.GetProperty("stored").GetInt32());
        Assert.Equal(1, again.GetProperty("duplicates").GetInt32());
    }

    [Fact]
    public async Task Delivering_without_a_token_is_refused()
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync("sqlite"));
        using var anon = server.Client();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anon.PostAsync("/api/posts", new StringContent(Good))).StatusCode);
    }
}
