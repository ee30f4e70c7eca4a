using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Switchboard.Tests.Infrastructure;
using Xunit;
using static Switchboard.Tests.Sla.SlaTestSupport;

namespace Switchboard.Tests.Sla;

public class TimeBasedRuleTests
{
    /// <summary>The shared workspace plus "no reply 2 s after the customer's last message on a refund → PR, crisis".</summary>
    static string YamlWithNoReplyRule() => Yaml(firstResponse: "1h").Replace("  sla_policy: fast\n", "  sla_policy: fast\n  crisis_ladder: fast\n", StringComparison.Ordinal) + """

          - name: unanswered refund
            trigger: no_reply
            after: 2s
            conditions:
              team: [customer-service]
            actions:
              team: marketing
              priority: urgent
              labels: [stale]
              crisis: true
        """;

    [Theory]
    [MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_no_reply_rule_moves_the_conversation_once_raises_it_and_starts_the_crisis_path(string provider)
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync(provider));
        using var api = await server.AdminClientAsync();
        await ActivateAsync(api, YamlWithNoReplyRule());
        await api.PostAsync("/api/posts", Jsonl(Post("nr1", "refund please, nobody answers", DateTimeOffset.UtcNow)));
        // A conversation that gets an answer in time is left alone.
        await api.PostAsync("/api/posts", Jsonl(Post("nr2", "refund for my order", DateTimeOffset.UtcNow)));
        var answered = await ConversationOfAsync(server.Db, "nr2");
        await api.PostAsync("/api/posts", Jsonl(Post("nr2-reply", "We are on it", DateTimeOffset.UtcNow, reply: "nr2", outgoing: true)));

        var id = await ConversationOfAsync(server.Db, "nr1");
        await using var conn = await server.Db.OpenAsync();
        Assert.Equal("customer-service", await conn.ExecuteScalarAsync<string>(
            "SELECT t.slug FROM conversations c JOIN teams t ON t.id = c.team_id WHERE c.id = @id", new { id }));

        var moved = await EventuallyAsync(
            () => conn.ExecuteScalarAsync<string?>("SELECT t.slug FROM conversations c JOIN teams t ON t.id = c.team_id WHERE c.id = @id", new { id }),
            slug => slug == "marketing", TimeSpan.FromSeconds(20));
        Assert.Equal("marketing", moved);
        var row = await conn.QueryFirstAsync<(string Priority, long EscalationLevel)>(
            "SELECT priority, escalation_level FROM conversations WHERE id = @id", new { id });
        Assert.Equal("urgent", row.Priority);
        // The crisis path starts at the top of the crisis ladder at once (level 2 of 2).
        Assert.Equal(2, row.EscalationLevel);

        // Once: one effect row for the rule, however often the scheduler looks.
        await Task.Delay(1500);
        Assert.Equal(1, await conn.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM sla_effects WHERE conversation_id = @id AND kind = 'NoReplyRuleDue'", new { id }));
        var view = await api.GetFromJsonAsync<JsonElement>($"/api/conversations/{id}/routing");
        var text = view.GetRawText();
        Assert.Contains("unanswered refund", text, StringComparison.Ordinal);
        Assert.Contains("stale", text, StringComparison.Ordinal);
        // The label is on the conversation too, next to routing's "billing", each with the rule that put it on.
        Assert.Equal(["billing|rule:refunds", "stale|rule:unanswered refund"], (await conn.QueryAsync<string>(
            "SELECT label || '|' || source FROM conversation_labels WHERE conversation_id = @id ORDER BY label", new { id })).ToArray());
        Assert.Equal(0, await conn.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM conversation_labels WHERE conversation_id = @id AND label = 'stale'", new { id = answered }));

        // The answered conversation stayed where routing put it.
        Assert.Equal("customer-service", await conn.ExecuteScalarAsync<string>(
            "SELECT t.slug FROM conversations c JOIN teams t ON t.id = c.team_id WHERE c.id = @id", new { id = answered }));
        Assert.Equal(0, await conn.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM sla_effects WHERE conversation_id = @id AND kind = 'NoReplyRuleDue'", new { id = answered }));
    }
}
