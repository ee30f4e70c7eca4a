using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dapper;
using Switchboard.Auth;
using Switchboard.Demo;
using Switchboard.Tests.Infrastructure;
using Xunit;

namespace Switchboard.Tests.Channels;

public sealed class ChannelsApiTests
{
    private const string Secret = "tok-SECRET-5b1e7d";

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static async Task<HttpClient> ClientForAsync(RunningServer server, string email)
    {
        await DemoWorkspace.SeedAsync(server.Db, TimeProvider.System);
        await using var conn = await server.Db.OpenAsync();
        var user = await Users.FindAsync(conn, email);
        return server.Client(await ApiTokens.CreateAsync(conn, user!.Id, "test", TimeProvider.System));
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Accounts_are_created_edited_and_deleted_by_managers_and_secrets_never_come_back(string provider)
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync(provider));
        using var admin = await server.AdminClientAsync();
        using var agent = await ClientForAsync(server, "carlos@demo.switchboard.local");

        var body = $$"""{"kind":"mastodon","name":"Brand on mastodon.social","settings":{"instance":"https://mastodon.example","timelines":"notifications, tag/acme"},"secrets":{"access_token":"{{Secret}}"},"expectedIntervalSeconds":3600}""";
        Assert.Equal(HttpStatusCode.Forbidden, (await agent.PostAsync("/api/channels", Json(body))).StatusCode);
        var created = await admin.PostAsync("/api/channels", Json(body));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var text = await created.Content.ReadAsStringAsync();
        Assert.DoesNotContain(Secret, text, StringComparison.Ordinal);
        var id = JsonDocument.Parse(text).RootElement.GetProperty("id").GetInt64();
        Assert.Equal(["access_token"], JsonDocument.Parse(text).RootElement.GetProperty("secretsSet").EnumerateArray().Select(e => e.GetString()));

        // Same name again: conflict. Hostile and malformed input: 400 with a reason, nothing stored.
        Assert.Equal(HttpStatusCode.Conflict, (await admin.PostAsync("/api/channels", Json(body))).StatusCode);
        foreach (var (bad, reason) in new[]
        {
            ("""{"kind":"myspace","name":"x"}""", "unknown kind"),
            ("""{"kind":"rss","name":"x","settings":{}}""", "url is required"),
            ("""{"kind":"rss","name":"x","settings":{"url":"file:///etc/passwd"}}""", "url must be an absolute"),
            ("""{"kind":"rss","name":"x","settings":{"url":"https://a.example/feed","urll":"typo"}}""", "unknown setting 'urll'"),
            ("""{"kind":"rss","name":"x","settings":{"url":"https://a.example/feed","poll_interval_seconds":"1"}}""", "poll_interval_seconds"),
            ("""{"kind":"bluesky-jetstream","name":"x","settings":{"endpoint":"https://x.example","dids":"bob"}}""", "ws"),
            ("""{"kind":"mastodon","name":"x","settings":{"instance":"https://m.example"},"secrets":{"access_token":"a"},"expectedIntervalSeconds":5}""", "expected interval"),
        })
        {
            var r = await admin.PostAsync("/api/channels", Json(bad));
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
            Assert.Contains(reason, await r.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PostAsync("/api/channels", Json("{not json"))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PostAsync("/api/channels", Json(new string('[', 5000)))).StatusCode);

        // Anyone signed in reads the list and health; neither carries the secret.
        var list = await agent.GetStringAsync("/api/channels");
        Assert.Contains("Brand on mastodon.social", list, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, list, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, await agent.GetStringAsync($"/api/channels/{id}"), StringComparison.Ordinal);
        var health = await agent.GetFromJsonAsync<JsonElement>($"/api/channels/{id}/health");
        Assert.Equal("ok", health.GetProperty("alertState").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await agent.GetAsync("/api/channels/999999/health")).StatusCode);

        // Edit without secrets keeps the stored one; the database holds it encrypted only.
        Assert.Equal(HttpStatusCode.Forbidden, (await agent.PutAsync($"/api/channels/{id}", Json("""{"enabled":false}"""))).StatusCode);
        var edited = await admin.PutAsync($"/api/channels/{id}", Json("""{"enabled":false,"settings":{"instance":"https://mastodon.example","timelines":"notifications"}}"""));
        Assert.Equal(HttpStatusCode.OK, edited.StatusCode);
        var view = await edited.Content.ReadFromJsonAsync<JsonElement>();
        Assert.False(view.GetProperty("enabled").GetBoolean());
        Assert.Equal(1, view.GetProperty("secretsSet").GetArrayLength());
        await using (var conn = await server.Db.OpenAsync())
        {
            var stored = await conn.QuerySingleAsync<string>("SELECT secrets_protected FROM channel_accounts WHERE id = @id", new { id });
            Assert.DoesNotContain(Secret, stored, StringComparison.Ordinal);
            var audit = string.Join("\n", await conn.QueryAsync<string>("SELECT COALESCE(before_json, '') || COALESCE(after_json, '') FROM audit_log WHERE entity = 'channel_account'"));
            Assert.Contains("access_token", audit, StringComparison.Ordinal);
            Assert.DoesNotContain(Secret, audit, StringComparison.Ordinal);
        }

        Assert.Equal(HttpStatusCode.Forbidden, (await agent.DeleteAsync($"/api/channels/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/channels/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync($"/api/channels/{id}")).StatusCode);
        using var anon = server.Client();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anon.GetAsync("/api/channels")).StatusCode);
    }

    [Fact]
    public async Task The_server_refuses_to_connect_a_connector_to_an_internal_address_and_shows_why()
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync("sqlite"));
        using var admin = await server.AdminClientAsync();
        var r = await admin.PostAsync("/api/channels", Json("""{"kind":"rss","name":"metadata","settings":{"url":"http://169.254.169.254/latest/meta-data/"}}"""));
        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        var id = (await r.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
        JsonElement health = default;
        for (var i = 0; i < 100; i++)
        {
            health = await admin.GetFromJsonAsync<JsonElement>($"/api/channels/{id}/health");
            if (health.GetProperty("errors").GetInt64() > 0)
                break;
            await Task.Delay(100);
        }
        Assert.Contains("Refused", health.GetProperty("lastError").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, health.GetProperty("deliveries").GetInt64());
    }
}
