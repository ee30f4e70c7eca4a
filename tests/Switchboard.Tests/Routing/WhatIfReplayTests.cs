using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Switchboard.Tests.Infrastructure;
using Xunit;
using static Switchboard.Tests.Sla.SlaTestSupport;

namespace Switchboard.Tests.Routing;

public class WhatIfReplayTests
{
    [Theory]
    [MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_draft_is_replayed_over_stored_traffic_next_to_the_active_rules_and_what_happened(string provider)
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync(provider));
        using var api = await server.AdminClientAsync();
        await ActivateAsync(api, Yaml());
        var now = DateTimeOffset.UtcNow;
        await api.PostAsync("/api/posts", Jsonl(
            Post("r1", "refund please", now.AddMinutes(-30)),
            Post("r2", "where is my refund", now.AddMinutes(-20)),
            Post("o1", "love the new ad", now.AddMinutes(-10))));
        await using var conn = await server.Db.OpenAsync();
        var before = await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM conversations") + await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM sla_effects");

        // The draft no longer sends refunds to customer service.
        var draft = Yaml().Replace("keywords: [refund]", "keywords: [nothing-matches-this]", StringComparison.Ordinal);
        var response = await api.PostAsJsonAsync("/api/rules/what-if/replay", new { yaml = draft, days = 7 });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var r = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(3, r.GetProperty("conversations").GetInt64());
        Assert.Equal(2, r.GetProperty("changedTeam").GetInt64());
        var teams = r.GetProperty("teams").EnumerateArray().ToDictionary(t => t.GetProperty("team").GetString()!,
            t => (t.GetProperty("actual").GetInt64(), t.GetProperty("active").GetInt64(), t.GetProperty("draft").GetInt64()));
        Assert.Equal((2L, 2L, 0L), teams["customer-service"]);
        Assert.Equal((1L, 1L, 3L), teams["marketing"]);
        Assert.All(r.GetProperty("changes").EnumerateArray(), c => Assert.Equal("marketing", c.GetProperty("draft").GetString()));

        // Another team's manager gets the same counts (the rules are the workspace's) but not the subjects of
        // conversations outside their teams; customer service's manager sees them.
        await conn.ExecuteAsync("UPDATE users SET role = 'manager' WHERE email = 'ivan@demo.switchboard.local'");
        using var ivan = await server.ClientForAsync("ivan@demo.switchboard.local");
        var theirs = await (await ivan.PostAsJsonAsync("/api/rules/what-if/replay", new { yaml = draft, days = 7 })).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(2, theirs.GetProperty("changedTeam").GetInt64());
        Assert.Equal(2, theirs.GetProperty("changes").GetArrayLength());
        Assert.All(theirs.GetProperty("changes").EnumerateArray(), c => Assert.Equal("(another team's conversation)", c.GetProperty("subject").GetString()));
        Assert.DoesNotContain("refund", theirs.GetRawText(), StringComparison.Ordinal);
        using var maria = await server.ClientForAsync("maria@demo.switchboard.local");
        var mine = await (await maria.PostAsJsonAsync("/api/rules/what-if/replay", new { yaml = draft, days = 7 })).Content.ReadFromJsonAsync<JsonElement>();
        Assert.All(mine.GetProperty("changes").EnumerateArray(), c => Assert.Contains("refund", c.GetProperty("subject").GetString(), StringComparison.Ordinal));

        // Stores nothing.
        Assert.Equal(before, await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM conversations") + await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM sla_effects"));

        // Bad input: a reason, not a crash.
        var badDays = await api.PostAsJsonAsync("/api/rules/what-if/replay", new { days = 0 });
        Assert.Equal(HttpStatusCode.BadRequest, badDays.StatusCode);
        Assert.Contains("days", await badDays.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var badDraft = await api.PostAsJsonAsync("/api/rules/what-if/replay", new { yaml = "version: 1\nteams: 12\n" });
        Assert.Equal(HttpStatusCode.BadRequest, badDraft.StatusCode);
        Assert.Contains("teams", await badDraft.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var unknown = await api.PostAsync("/api/rules/what-if/replay", new StringContent("{\"yaml\":null,\"days\":7,\"extra\":1}", System.Text.Encoding.UTF8, "application/json"));
        Assert.True(unknown.StatusCode is HttpStatusCode.OK or HttpStatusCode.BadRequest);
    }
}
