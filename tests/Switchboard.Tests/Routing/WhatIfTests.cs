using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dapper;
using Switchboard.Tests.Infrastructure;
using Xunit;
using static Switchboard.Tests.Sla.SlaTestSupport;

namespace Switchboard.Tests.Routing;

public class WhatIfTests
{
    [Theory]
    [MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task What_if_routes_with_the_active_or_a_draft_rule_set_and_stores_nothing(string provider)
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync(provider));
        using var api = await server.AdminClientAsync();
        var v = await ActivateAsync(api, Yaml());
        await using var conn = await server.Db.OpenAsync();
        async Task<(long, long, long)> Counts() => (
            await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM conversations"),
            await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM rule_versions"),
            await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM sla_timers"));
        var before = await Counts();

        // Active rules: "refund" matches the refunds rule and goes to customer-service with the fast policy.
        var at = new DateTimeOffset(2026, 3, 2, 10, 0, 0, TimeSpan.Zero);
        var r = await api.PostAsJsonAsync("/api/rules/what-if", new { text = "I want a refund", channel = "mastodon", at });
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        var active = await r.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("active", active.GetProperty("source").GetString());
        Assert.Equal(v, active.GetProperty("versionId").GetInt64());
        Assert.Equal("customer-service", active.GetProperty("team").GetString());
        Assert.Contains(active.GetProperty("rules").EnumerateArray(), t => t.GetProperty("rule").GetString() == "refunds" && t.GetProperty("matched").GetBoolean());
        Assert.Equal("fast", active.GetProperty("slaPolicy").GetString());
        var first = active.GetProperty("deadlines").EnumerateArray().Single(d => d.GetProperty("metric").GetString() == "first_response");
        Assert.Equal(at.AddHours(1), first.GetProperty("due").GetDateTimeOffset());
        Assert.NotEmpty(active.GetProperty("candidates").EnumerateArray());

        // A draft where refunds go to marketing: the same message now lands there, and nothing was activated.
        var draft = Yaml().Replace("team: customer-service\n      priority", "team: marketing\n      priority", StringComparison.Ordinal);
        var d = await (await api.PostAsJsonAsync("/api/rules/what-if", new { text = "I want a refund", channel = "mastodon", yaml = draft }))
            .Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("draft", d.GetProperty("source").GetString());
        Assert.Equal("marketing", d.GetProperty("team").GetString());
        Assert.Equal(v, (await api.GetFromJsonAsync<JsonElement>("/api/rules")).GetProperty("active").GetProperty("id").GetInt64());

        // A stored conversation as the message.
        await api.PostAsync("/api/posts", Jsonl(Post("w1", "refund now please", DateTimeOffset.UtcNow)));
        var cid = await ConversationOfAsync(server.Db, "w1");
        before = await Counts();
        var c = await (await api.PostAsJsonAsync("/api/rules/what-if", new { conversationId = cid, yaml = draft })).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("marketing", c.GetProperty("team").GetString());
        Assert.Equal(before, await Counts());
    }

    [Fact]
    public async Task What_if_refuses_bad_input_with_a_reason_and_agents_get_403()
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync("sqlite"));
        using var api = await server.AdminClientAsync();
        await ActivateAsync(api, Yaml());
        async Task<string> Bad(HttpContent body)
        {
            var r = await api.PostAsync("/api/rules/what-if", body);
            var text = await r.Content.ReadAsStringAsync();
            Assert.True(r.StatusCode == HttpStatusCode.BadRequest, text);
            Assert.Contains("detail", text, StringComparison.Ordinal);
            return text;
        }
        StringContent J(string s) => new(s, Encoding.UTF8, "application/json");
        await Bad(J("not json"));
        await Bad(J("[1,2]"));
        await Bad(J("null"));
        await Bad(J("{\"text\":\"x\"}")); // no channel
        await Bad(J("{\"text\":\"x\",\"channel\":\"mastodon\",\"colour\":\"red\"}")); // unknown field
        Assert.Equal(HttpStatusCode.NotFound, (await api.PostAsync("/api/rules/what-if", J("{\"conversationId\":424242}"))).StatusCode);
        await Bad(J(new string('[', 10_000) + new string(']', 10_000)));
        await Bad(J("{\"text\":\"" + new string('a', 5_000_000) + "\",\"channel\":\"x\"}"));
        await Bad(J(JsonSerializer.Serialize(new { text = new string('a', 30_000), channel = "x" })));
        var bomb = "a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n";
        await Bad(J(JsonSerializer.Serialize(new { text = "x", channel = "x", yaml = bomb })));
        var invalid = await Bad(J(JsonSerializer.Serialize(new { text = "x", channel = "x", yaml = Yaml().Replace("team: customer-service\n      priority", "team: nowhere\n      priority", StringComparison.Ordinal) })));
        Assert.Contains("routing[0].actions.team", invalid, StringComparison.Ordinal);

        await using var conn = await server.Db.OpenAsync();
        var carlos = await Auth.Users.FindAsync(conn, "carlos@demo.switchboard.local");
        using var agent = server.Client(await Auth.ApiTokens.CreateAsync(conn, carlos!.Id, "t", TimeProvider.System));
        Assert.Equal(HttpStatusCode.Forbidden, (await agent.PostAsJsonAsync("/api/rules/what-if", new { text = "refund", channel = "mastodon" })).StatusCode);
    }
}
