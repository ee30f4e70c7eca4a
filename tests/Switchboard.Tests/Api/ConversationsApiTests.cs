using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Switchboard.Tests.Infrastructure;
using Xunit;

namespace Switchboard.Tests.Api;

public class ConversationsApiTests
{
    private static StringContent Jsonl(params string[] lines) => new(string.Join('\n', lines), Encoding.UTF8, "application/x-ndjson");

    private static string Post(string id, string text, string? reply = null, string channel = "mastodon", string created = "2026-11-22T10:00:00Z") =>
        JsonSerializer.Serialize(new { id, channel, text, created_at = created, in_reply_to = reply, author = new { id = "u" + id, handle = "user" + id } });

    [Theory]
    [MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Health_and_openapi_are_public_but_the_api_needs_a_token(string provider)
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync(provider));
        using var anon = server.Client();
        Assert.Equal(HttpStatusCode.OK, (await anon.GetAsync("/healthz")).StatusCode);
        var openapi = await anon.GetStringAsync("/openapi/v1.json");
        Assert.Contains("/api/conversations", openapi, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anon.GetAsync("/api/conversations")).StatusCode);
        using var forged = server.Client("sbt_not-a-real-token");
        Assert.Equal(HttpStatusCode.Unauthorized, (await forged.GetAsync("/api/conversations")).StatusCode);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Posts_are_threaded_listed_with_keyset_pages_and_shown_with_their_thread(string provider)
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync(provider));
        using var api = await server.AdminClientAsync();
        var posts = Enumerable.Range(1, 7).Select(i => Post($"p{i}", $"my order {i} is late, refund please", created: $"2026-11-22T10:0{i}:00Z")).ToList();
        posts.Add(Post("r1", "any update?", reply: "p3", created: "2026-11-22T11:00:00Z"));
        var response = await api.PostAsync("/api/posts", Jsonl([.. posts]));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(8, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("stored").GetInt32());

        var seen = new List<long>();
        string? cursor = null;
        do
        {
            var page = await api.GetFromJsonAsync<JsonElement>("/api/conversations?limit=3" + (cursor is null ? "" : "&cursor=" + cursor));
            seen.AddRange(page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetInt64()));
            cursor = page.GetProperty("nextCursor").GetString();
        }
        while (cursor is not null);
        Assert.Equal(7, seen.Count);
        Assert.Equal(7, seen.Distinct().Count());

        var first = await api.GetFromJsonAsync<JsonElement>("/api/conversations?limit=1");
        var newest = first.GetProperty("items")[0];
        Assert.Equal("my order 3 is late, refund please", newest.GetProperty("subject").GetString());
        var detail = await api.GetFromJsonAsync<JsonElement>($"/api/conversations/{newest.GetProperty("id").GetInt64()}");
        Assert.Equal(["p3", "r1"], detail.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("externalId").GetString()));
        Assert.Equal("customer-service", detail.GetProperty("conversation").GetProperty("team").GetString());
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Filters_select_by_team_status_and_assignee(string provider)
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync(provider));
        using var api = await server.AdminClientAsync();
        // Nobody is available, so automatic assignment (tested in Sla/) leaves all three unassigned whatever the hour.
        await using (var conn = await server.Db.OpenAsync())
        {
            await Dapper.SqlMapper.ExecuteAsync(conn, "UPDATE users SET available = 0");
        }

        await api.PostAsync("/api/posts", Jsonl(
            Post("a", "are you hiring interns? I want to apply for a job"),
            Post("b", "my refund never arrived"),
            Post("c", "we want to become a reseller partner")));
        async Task<int> Count(string query) =>
            (await api.GetFromJsonAsync<JsonElement>("/api/conversations?" + query)).GetProperty("items").GetArrayLength();
        Assert.Equal(1, await Count("team=human-resources"));
        Assert.Equal(1, await Count("team=partners-channel"));
        Assert.Equal(3, await Count("status=open"));
        Assert.Equal(0, await Count("status=resolved"));
        Assert.Equal(3, await Count("assignee=none"));
        Assert.Equal(0, await Count("assignee=admin@demo.switchboard.local"));
        // Labels are filterable: each filter returns exactly the conversations carrying that label.
        var all = (await api.GetFromJsonAsync<JsonElement>("/api/conversations")).GetProperty("items").EnumerateArray().ToList();
        foreach (var (field, param) in new[] { ("intent", "intent"), ("department", "department"), ("sentiment", "sentiment") })
        {
            foreach (var value in all.Select(i => i.GetProperty(field).GetString()).Where(v => v is not null).Distinct())
            {
                var expected = all.Count(i => i.GetProperty(field).GetString() == value);
                Assert.Equal(expected, await Count($"{param}={Uri.EscapeDataString(value!)}"));
            }
        }

        Assert.Equal(1, await Count("department=" + Uri.EscapeDataString("Human Resources")));
    }

    [Theory]
    [InlineData("/api/conversations?status=bogus", "status must be one of")]
    [InlineData("/api/conversations?limit=0", "limit must be between")]
    [InlineData("/api/conversations?sentiment=angry", "sentiment must be one of")]
    [InlineData("/api/conversations?limit=100000", "limit must be between")]
    [InlineData("/api/conversations?cursor=%%%garbage", "cursor")]
    [InlineData("/api/conversations?assignee=nobody@example.com", "no user")]
    public async Task Bad_query_parameters_get_a_400_with_the_reason(string url, string reason)
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync("sqlite"));
        using var api = await server.AdminClientAsync();
        var response = await api.GetAsync(url);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(reason, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_conversation_is_a_404()
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync("sqlite"));
        using var api = await server.AdminClientAsync();
        Assert.Equal(HttpStatusCode.NotFound, (await api.GetAsync("/api/conversations/999999")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await api.GetAsync("/api/conversations/not-a-number")).StatusCode);
    }
}
