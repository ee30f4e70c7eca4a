using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dapper;
using Switchboard.Demo;
using Switchboard.Tests.Infrastructure;
using Xunit;
using static Switchboard.Tests.Sla.SlaTestSupport;

namespace Switchboard.Tests.Sla;

public class RoutingPipelineTests
{
    [Theory]
    [MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_rule_on_a_listening_topic_routes_the_posts_that_topic_matched(string provider)
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync(provider));
        using var api = await server.AdminClientAsync();
        Assert.Equal(HttpStatusCode.Created, (await api.PostAsJsonAsync("/api/topics", new { name = "Outages", query = "outage OR down" })).StatusCode);
        await ActivateAsync(api, Yaml().Replace("keywords: [refund]", "topic: [Outages]", StringComparison.Ordinal));
        var at = DateTimeOffset.UtcNow;
        Assert.Equal(HttpStatusCode.OK, (await api.PostAsync("/api/posts", Jsonl(Post("o1", "the network is down again", at), Post("n1", "love the new ad", at)))).StatusCode);

        await using var conn = await server.Db.OpenAsync();
        async Task<string?> TeamOf(string id) => await conn.ExecuteScalarAsync<string>(
            "SELECT t.slug FROM conversations c JOIN teams t ON t.id = c.team_id WHERE c.id = @c", new { c = await ConversationOfAsync(server.Db, id) });
        Assert.Equal("customer-service", await TeamOf("o1")); // the topic rule
        Assert.Equal("marketing", await TeamOf("n1"));        // the default
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Replies_that_arrive_before_their_parent_merge_into_one_routed_conversation(string provider)
    {
        // Regression: two orphan replies each started a routed conversation with SLA timers; when the parent arrived
        // the merge deleted one of them while its timer still referred to it, and the whole batch failed.
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync(provider));
        using var api = await server.AdminClientAsync();
        var at = DateTimeOffset.UtcNow;
        Assert.Equal(HttpStatusCode.OK, (await api.PostAsync("/api/posts", Jsonl(Post("c1", "same problem here, no refund", at, reply: "root")))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await api.PostAsync("/api/posts", Jsonl(Post("c2", "me too, refund missing", at, reply: "root")))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await api.PostAsync("/api/posts", Jsonl(Post("root", "I want a refund for my order", at.AddMinutes(-5))))).StatusCode);

        await using var conn = await server.Db.OpenAsync();
        Assert.Equal(1, await conn.ExecuteScalarAsync<long>("SELECT COUNT(DISTINCT conversation_id) FROM messages WHERE external_id IN ('root', 'c1', 'c2')"));
        Assert.Equal(1, await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM conversations"));
        Assert.Equal(0, await conn.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM sla_timers t WHERE NOT EXISTS (SELECT 1 FROM conversations c WHERE c.id = t.conversation_id)"));
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task New_conversations_are_routed_by_the_active_rules_with_trace_assignment_and_deadlines(string provider)
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync(provider));
        using var api = await server.AdminClientAsync();
        await ActivateAsync(api, Yaml(firstResponse: "1h"));
        await OnlyAvailableAsync(server.Db, "carlos@demo.switchboard.local");
        var created = DateTimeOffset.UtcNow;
        var r = await api.PostAsync("/api/posts", Jsonl(Post("r1", "I want a refund for my order", created), Post("m1", "nice campaign", created)));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);

        var id = await ConversationOfAsync(server.Db, "r1");
        var view = await api.GetFromJsonAsync<JsonElement>($"/api/conversations/{id}/routing");
        var trace = view.GetProperty("trace");
        Assert.Equal("customer-service", trace.GetProperty("decision").GetProperty("team").GetString());
        Assert.Equal("high", trace.GetProperty("decision").GetProperty("priority").GetString());
        Assert.True(trace.GetProperty("rules")[0].GetProperty("matched").GetBoolean());
        Assert.True(view.GetProperty("requiresApproval").GetBoolean());

        // Carlos is the only available member: assigned, with the others' exclusion reasons in the trace.
        await using var conn = await server.Db.OpenAsync();
        var carlos = await conn.ExecuteScalarAsync<long>("SELECT id FROM users WHERE email = 'carlos@demo.switchboard.local'");
        Assert.Equal(carlos, view.GetProperty("assigneeId").GetInt64());
        var candidates = trace.GetProperty("assignment").GetProperty("candidates").EnumerateArray().ToList();
        Assert.Contains(candidates, c => c.GetProperty("userId").GetInt64() == carlos && c.GetProperty("eligible").GetBoolean());
        Assert.Contains(candidates, c => c.TryGetProperty("excluded", out var e) && e.GetString() == "offline");

        // First response due one (always-open) hour after the message; the policy and calendar are named in the trace.
        var due = view.GetProperty("firstResponseDue").GetDateTimeOffset();
        Assert.InRange((due - created).TotalSeconds, 3599, 3601);
        Assert.Equal("always", trace.GetProperty("sla").GetProperty("calendar").GetString());
        var stored = await conn.QueryFirstAsync<(string Team, string Reason, long? NextDue, long TimerDue)>(
            "SELECT t.slug, c.route_reason, c.next_due_at, s.due_at FROM conversations c JOIN teams t ON t.id = c.team_id JOIN sla_timers s ON s.conversation_id = c.id WHERE c.id = @id", new { id });
        Assert.Equal("customer-service", stored.Team);
        Assert.Contains("refunds", stored.Reason, StringComparison.Ordinal);
        Assert.Equal(due.ToUnixTimeMilliseconds(), stored.NextDue);
        Assert.Equal(due.ToUnixTimeMilliseconds() - 600_000, stored.TimerDue); // the warning comes first

        // The other post fell through to the default team; the same trace is in the API for it too.
        var other = await api.GetFromJsonAsync<JsonElement>($"/api/conversations/{await ConversationOfAsync(server.Db, "m1")}/routing");
        Assert.Equal("marketing", other.GetProperty("trace").GetProperty("decision").GetProperty("team").GetString());
        Assert.False(other.GetProperty("trace").GetProperty("rules")[0].GetProperty("matched").GetBoolean());

        // An agent reply meets the first response: its deadline is gone; resolving stops every clock.
        await api.PostAsync("/api/posts", Jsonl(Post("r1-reply", "Sorry! Refund on its way.", DateTimeOffset.UtcNow, reply: "r1", outgoing: true)));
        var after = await api.GetFromJsonAsync<JsonElement>($"/api/conversations/{id}/routing");
        Assert.Equal(JsonValueKind.Null, after.GetProperty("firstResponseDue").ValueKind);
        Assert.NotEqual(JsonValueKind.Null, after.GetProperty("resolutionDue").ValueKind);
        var resolved = await api.PostAsync($"/api/conversations/{id}/resolve", null);
        Assert.Equal(HttpStatusCode.OK, resolved.StatusCode);
        Assert.Equal(0, await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM sla_timers WHERE conversation_id = @id", new { id }));
        Assert.Null(await conn.ExecuteScalarAsync<long?>("SELECT next_due_at FROM conversations WHERE id = @id", new { id }));
        Assert.Equal(HttpStatusCode.BadRequest, (await api.PostAsync($"/api/conversations/{id}/resolve", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await api.PostAsync("/api/conversations/999999/acknowledge", null)).StatusCode);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_held_conversation_is_assigned_as_soon_as_an_agent_comes_online(string provider)
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync(provider));
        using var api = await server.AdminClientAsync();
        await ActivateAsync(api, Yaml());
        await OnlyAvailableAsync(server.Db, null);
        await api.PostAsync("/api/posts", Jsonl(Post("h1", "refund please", DateTimeOffset.UtcNow)));
        var id = await ConversationOfAsync(server.Db, "h1");
        var held = await api.GetFromJsonAsync<JsonElement>($"/api/conversations/{id}/routing");
        Assert.Equal(JsonValueKind.Null, held.GetProperty("assigneeId").ValueKind);
        Assert.NotEqual(JsonValueKind.Null, held.GetProperty("holdingSince").ValueKind);
        Assert.Contains("held", held.GetProperty("trace").GetProperty("assignment").GetProperty("reason").GetString(), StringComparison.Ordinal);

        // The admin (a customer-service member) goes online: the queue is offered to them at once.
        var online = await api.PostAsJsonAsync("/api/me/availability", new { available = true });
        Assert.Equal(HttpStatusCode.OK, online.StatusCode);
        Assert.Equal(1, (await online.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("assigned").GetInt32());
        var assigned = await api.GetFromJsonAsync<JsonElement>($"/api/conversations/{id}/routing");
        await using var conn = await server.Db.OpenAsync();
        var admin = await conn.ExecuteScalarAsync<long>("SELECT id FROM users WHERE email = @e", new { e = DemoWorkspace.Agents[0].Email });
        Assert.Equal(admin, assigned.GetProperty("assigneeId").GetInt64());
        Assert.Equal(JsonValueKind.Null, assigned.GetProperty("holdingSince").ValueKind);
        Assert.Equal(HttpStatusCode.BadRequest, (await api.PostAsync("/api/me/availability", new StringContent("not json", Encoding.UTF8, "application/json"))).StatusCode);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Invalid_rule_yaml_is_refused_with_its_path_and_the_active_version_stays(string provider)
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync(provider));
        using var api = await server.AdminClientAsync();
        var v = await ActivateAsync(api, Yaml());
        async Task<JsonElement> Refused(string yaml)
        {
            var r = await api.PostAsync("/api/rules", new StringContent(yaml, Encoding.UTF8, "text/yaml"));
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
            return await r.Content.ReadFromJsonAsync<JsonElement>();
        }
        var unknownTeam = await Refused(Yaml().Replace("team: customer-service\n      priority", "team: nowhere\n      priority", StringComparison.Ordinal));
        Assert.Contains(unknownTeam.GetProperty("errors").EnumerateArray(), e => e.GetProperty("path").GetString() == "routing[0].actions.team");
        var unknownField = await Refused(Yaml().Replace("selector: least_loaded", "selector: least_loaded\n    colour: red", StringComparison.Ordinal));
        Assert.Contains(unknownField.GetProperty("errors").EnumerateArray(), e => e.GetProperty("path").GetString()!.StartsWith("teams[0]", StringComparison.Ordinal));
        var teamNotInDb = await Refused(Yaml().Replace("- name: marketing\n    calendar", "- name: sales\n    calendar", StringComparison.Ordinal).Replace("team: marketing", "team: sales", StringComparison.Ordinal));
        Assert.Contains(teamNotInDb.GetProperty("errors").EnumerateArray(), e => e.GetProperty("path").GetString() == "teams[1].name");
        await Refused("routing: [unclosed");
        await Refused("a: &x [1]\nb: *x");
        await Refused(new string('#', 1_100_000));
        await Refused("");

        var rules = await api.GetFromJsonAsync<JsonElement>("/api/rules");
        Assert.Equal(v, rules.GetProperty("active").GetProperty("id").GetInt64());

        // Rollback: activate the seeded version 1, then the test version again.
        var first = rules.GetProperty("versions").EnumerateArray().Last().GetProperty("id").GetInt64();
        Assert.Equal(HttpStatusCode.OK, (await api.PostAsync($"/api/rules/versions/{first}/activate", null)).StatusCode);
        Assert.Equal(first, (await api.GetFromJsonAsync<JsonElement>("/api/rules")).GetProperty("active").GetProperty("id").GetInt64());
        var version = await api.GetFromJsonAsync<JsonElement>($"/api/rules/versions/{v}");
        Assert.NotEmpty(version.GetProperty("diff").EnumerateArray());
        Assert.Equal(HttpStatusCode.NotFound, (await api.PostAsync("/api/rules/versions/424242/activate", null)).StatusCode);

        // Agents may not change rules.
        await using var conn = await server.Db.OpenAsync();
        var carlos = await Auth.Users.FindAsync(conn, "carlos@demo.switchboard.local");
        using var agent = server.Client(await Auth.ApiTokens.CreateAsync(conn, carlos!.Id, "t", TimeProvider.System));
        Assert.Equal(HttpStatusCode.Forbidden, (await agent.PostAsync("/api/rules", new StringContent(Yaml()))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await agent.GetAsync("/api/rules")).StatusCode);
        Assert.Equal(2, await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM audit_log WHERE action IN ('rules.create', 'rules.activate')"));
    }
}
