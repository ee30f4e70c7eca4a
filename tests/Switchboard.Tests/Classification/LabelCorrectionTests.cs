using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dapper;
using Switchboard.Tests.Infrastructure;
using Xunit;
using static Switchboard.Tests.Classification.ClassificationFixtures;

namespace Switchboard.Tests.Classification;

public class LabelCorrectionTests
{
    private const string Agent = "carlos@demo.switchboard.local";       // customer-service
    private const string OtherTeamAgent = "hana@demo.switchboard.local"; // human-resources only
    private const string Analyst = "erin@demo.switchboard.local";
    private const string Manager = "maria@demo.switchboard.local";

    [Theory]
    [MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_correction_is_stored_with_who_and_when_and_changes_the_effective_label(string provider)
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync(provider));
        using var admin = await server.AdminClientAsync();
        var (messageId, conversationId) = await PostOneAsync(admin, server, "c1", "my refund never arrived, this is terrible");
        using var agent = await ClientForAsync(server, Agent);

        var labels = await agent.GetFromJsonAsync<JsonElement>($"/api/messages/{messageId}/labels");
        var sentiment = labels.GetProperty("labels").EnumerateArray().Single(l => l.GetProperty("label").GetString() == "sentiment");
        var before = sentiment.GetProperty("value").GetString();
        Assert.Equal("negative", before);
        Assert.False(string.IsNullOrEmpty(sentiment.GetProperty("explain").GetString()));
        Assert.True(sentiment.TryGetProperty("score", out var score) && score.ValueKind == JsonValueKind.Number);

        var response = await CorrectAsync(agent, messageId, "sentiment", "neutral");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("correct", body.GetProperty("kind").GetString());
        Assert.Equal("negative", body.GetProperty("oldValue").GetString());
        Assert.Equal(Agent, body.GetProperty("by").GetString());

        await using var conn = await server.Db.OpenAsync();
        var row = await conn.QueryFirstAsync<(string Label, string Old, string New, string Kind, long UserId, long At)>(
            "SELECT label, old_value, new_value, kind, user_id, created_at FROM label_corrections WHERE message_id = @messageId", new { messageId });
        var carlos = await conn.ExecuteScalarAsync<long>("SELECT id FROM users WHERE email = @e", new { e = Agent });
        Assert.Equal(("sentiment", "negative", "neutral", "correct", carlos), (row.Label, row.Old, row.New, row.Kind, row.UserId));
        Assert.InRange(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - row.At, 0, 60_000);
        Assert.Equal("neutral", await conn.ExecuteScalarAsync<string>("SELECT sentiment FROM messages WHERE id = @messageId", new { messageId }));
        Assert.Equal("neutral", await conn.ExecuteScalarAsync<string>("SELECT sentiment FROM conversations WHERE id = @conversationId", new { conversationId }));
        Assert.Equal(1, await conn.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'label.correct' AND entity = 'message' AND entity_id = @id AND actor_id = @carlos",
            new { id = messageId.ToString(System.Globalization.CultureInfo.InvariantCulture), carlos }));

        // Confirming the (now corrected) value is a confirmation, and the label does not move.
        var confirm = await (await CorrectAsync(agent, messageId, "sentiment", "neutral")).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("confirm", confirm.GetProperty("kind").GetString());
        // Department "none" and a department in any case are accepted; intent and language too.
        Assert.Equal(HttpStatusCode.OK, (await CorrectAsync(agent, messageId, "department", "it")).StatusCode);
        Assert.Equal("IT", await conn.ExecuteScalarAsync<string>("SELECT department FROM messages WHERE id = @messageId", new { messageId }));
        Assert.Equal(HttpStatusCode.OK, (await CorrectAsync(agent, messageId, "department", "none")).StatusCode);
        Assert.Null(await conn.ExecuteScalarAsync<string?>("SELECT department FROM messages WHERE id = @messageId", new { messageId }));
        Assert.Equal(HttpStatusCode.OK, (await CorrectAsync(agent, messageId, "intent", "question")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await CorrectAsync(agent, messageId, "language", "de")).StatusCode);
        Assert.Equal("de", await conn.ExecuteScalarAsync<string>("SELECT lang FROM messages WHERE id = @messageId", new { messageId }));
        Assert.Equal(6, await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM label_corrections WHERE message_id = @messageId", new { messageId }));

        // The human review shows on the label.
        labels = await agent.GetFromJsonAsync<JsonElement>($"/api/messages/{messageId}/labels");
        var human = labels.GetProperty("labels").EnumerateArray().Single(l => l.GetProperty("label").GetString() == "sentiment").GetProperty("human");
        Assert.Equal("confirm", human.GetProperty("kind").GetString());
        Assert.Equal(Agent, human.GetProperty("by").GetString());
    }

    [Theory]
    [InlineData("{\"label\":\"mood\",\"value\":\"happy\"}", "unknown label")]
    [InlineData("{\"label\":\"sentiment\",\"value\":\"furious\"}", "is not a value of sentiment")]
    [InlineData("{\"label\":\"sentiment\"}", "value is required")]
    [InlineData("{\"value\":\"negative\"}", "label is required")]
    [InlineData("{\"label\":\"sentiment = 'x'; DROP TABLE messages; --\",\"value\":\"negative\"}", "unknown label")]
    [InlineData("{\"label\":\"text\",\"value\":\"hacked\"}", "unknown label")]
    [InlineData("{\"label\":\"intent\",\"value\":\"Complaint\"}", "is not a value of intent")]
    [InlineData("{\"label\":\"sentiment\",\"value\":42}", "body must be JSON")]
    [InlineData("{\"label\":", "body must be JSON")]
    [InlineData("[]", "body must be JSON")]
    [InlineData("", "body must be JSON")]
    public async Task Malformed_or_hostile_corrections_get_a_400_with_the_reason_and_change_nothing(string body, string reason)
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync("sqlite"));
        using var admin = await server.AdminClientAsync();
        var (messageId, _) = await PostOneAsync(admin, server, "h1", "my refund never arrived, this is terrible");
        var response = await admin.PostAsync($"/api/messages/{messageId}/labels", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(reason, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await using var conn = await server.Db.OpenAsync();
        Assert.Equal(0, await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM label_corrections"));
        Assert.Equal("negative", await conn.ExecuteScalarAsync<string>("SELECT sentiment FROM messages WHERE id = @messageId", new { messageId }));
    }

    [Fact]
    public async Task Oversized_values_unknown_messages_outgoing_messages_and_other_teams_messages_are_refused()
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync("sqlite"));
        using var admin = await server.AdminClientAsync();
        var (messageId, _) = await PostOneAsync(admin, server, "o1", "my refund never arrived, this is terrible");

        var huge = await CorrectAsync(admin, messageId, "sentiment", new string('x', 100_000));
        Assert.Equal(HttpStatusCode.BadRequest, huge.StatusCode);
        Assert.True((await huge.Content.ReadAsStringAsync()).Length < 2_000, "the error must not echo the whole value");
        Assert.Equal(HttpStatusCode.NotFound, (await CorrectAsync(admin, 999_999, "sentiment", "neutral")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/api/messages/999999/labels")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.PostAsJsonAsync("/api/messages/abc/labels", new { label = "sentiment", value = "neutral" })).StatusCode);

        // An agent of another team cannot reach the customer-service conversation: 404, as if it did not exist.
        using var hr = await ClientForAsync(server, OtherTeamAgent);
        Assert.Equal(HttpStatusCode.NotFound, (await CorrectAsync(hr, messageId, "sentiment", "neutral")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await hr.GetAsync($"/api/messages/{messageId}/labels")).StatusCode);

        // Outgoing messages carry no labels.
        await admin.PostAsync("/api/posts", new StringContent(JsonSerializer.Serialize(new
        {
            id = "o2",
            channel = "mastodon",
            text = "we are on it",
            in_reply_to = "o1",
            outgoing = true,
            created_at = "2026-11-22T10:05:00Z",
        }), Encoding.UTF8, "application/x-ndjson"));
        var outgoing = (await MessageIdsAsync(server.Db))["o2"];
        var refusal = await CorrectAsync(admin, outgoing, "sentiment", "neutral");
        Assert.Equal(HttpStatusCode.BadRequest, refusal.StatusCode);
        Assert.Contains("outgoing", await refusal.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        await using var conn = await server.Db.OpenAsync();
        Assert.Equal(0, await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM label_corrections"));
    }

    [Fact]
    public async Task One_scope_rule_decides_in_the_inbox_the_composer_and_the_labels()
    {
        // Label corrections used to let every manager reach every team, and the composer let agents reach conversations
        // no team owned, while the inbox showed neither. Each surface now asks the inbox's AccessScope.
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync("sqlite"));
        using var admin = await server.AdminClientAsync();
        var (messageId, conversationId) = await PostOneAsync(admin, server, "s1", "my refund never arrived, this is terrible");
        using var maria = await ClientForAsync(server, "maria@demo.switchboard.local"); // manager of customer-service and marketing
        using var carlos = await ClientForAsync(server, "carlos@demo.switchboard.local"); // agent of customer-service
        await using var conn = await server.Db.OpenAsync();
        async Task<HttpStatusCode[]> SurfacesAsync(HttpClient c) =>
        [
            (await c.GetAsync($"/api/conversations/{conversationId}")).StatusCode,
            (await c.GetAsync($"/api/conversations/{conversationId}/composer")).StatusCode,
            (await c.GetAsync($"/api/messages/{messageId}/labels")).StatusCode,
            (await c.GetAsync($"/api/conversations/{conversationId}/routing")).StatusCode,
        ];
        HttpStatusCode[] seen = [HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK];
        HttpStatusCode[] hidden = [HttpStatusCode.NotFound, HttpStatusCode.NotFound, HttpStatusCode.NotFound, HttpStatusCode.NotFound];

        await conn.ExecuteAsync("UPDATE conversations SET team_id = (SELECT id FROM teams WHERE slug = 'customer-service'), assignee_id = NULL WHERE id = @conversationId", new { conversationId });
        Assert.Equal(seen, await SurfacesAsync(maria));
        Assert.Equal(seen, await SurfacesAsync(carlos));

        // Another team's conversation: hidden from both everywhere, also from the manager.
        await conn.ExecuteAsync("UPDATE conversations SET team_id = (SELECT id FROM teams WHERE slug = 'public-relations') WHERE id = @conversationId", new { conversationId });
        Assert.Equal(hidden, await SurfacesAsync(maria));
        Assert.Equal(hidden, await SurfacesAsync(carlos));
        Assert.Equal(HttpStatusCode.NotFound, (await CorrectAsync(maria, messageId, "sentiment", "neutral")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await maria.PostAsync($"/api/conversations/{conversationId}/acknowledge", null)).StatusCode);

        // An organisation-wide analyst reads it everywhere but acts nowhere.
        using var erin = await ClientForAsync(server, "erin@demo.switchboard.local");
        Assert.Equal(seen, await SurfacesAsync(erin));
        Assert.Equal(HttpStatusCode.Forbidden, (await erin.PostAsync($"/api/conversations/{conversationId}/resolve", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await CorrectAsync(erin, messageId, "sentiment", "neutral")).StatusCode);
        Assert.Equal("open", await conn.ExecuteScalarAsync<string>("SELECT status FROM conversations WHERE id = @conversationId", new { conversationId }));

        // No team yet: managers triage it, agents do not see it until it is routed or assigned to them.
        await conn.ExecuteAsync("UPDATE conversations SET team_id = NULL WHERE id = @conversationId", new { conversationId });
        Assert.Equal(seen, await SurfacesAsync(maria));
        Assert.Equal(hidden, await SurfacesAsync(carlos));
        await conn.ExecuteAsync("UPDATE conversations SET assignee_id = (SELECT id FROM users WHERE email = 'carlos@demo.switchboard.local') WHERE id = @conversationId", new { conversationId });
        Assert.Equal(seen, await SurfacesAsync(carlos));
        Assert.Equal(0, await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM label_corrections"));
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task The_accuracy_report_names_the_values_people_changed_and_what_they_changed_them_to(string provider)
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync(provider));
        using var admin = await server.AdminClientAsync();
        using var agent = await ClientForAsync(server, Agent);
        var messages = new List<long>();
        foreach (var (id, text) in new[] { ("v1", "my refund never arrived, this is terrible"), ("v2", "my refund is late again, this is awful"), ("v3", "still no refund after three weeks, terrible") })
        {
            messages.Add((await PostOneAsync(admin, server, id, text)).MessageId);
        }

        var before = await admin.GetFromJsonAsync<JsonElement>("/api/classification/accuracy");
        Assert.Equal(0, before.GetProperty("values").GetArrayLength());

        // Two of three negatives changed (to two different values), one kept; a second review of the same message
        // reviews the value it has by then.
        Assert.Equal(HttpStatusCode.OK, (await CorrectAsync(agent, messages[0], "sentiment", "neutral")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await CorrectAsync(agent, messages[1], "sentiment", "positive")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await CorrectAsync(agent, messages[2], "sentiment", "negative")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await CorrectAsync(agent, messages[0], "sentiment", "neutral")).StatusCode);

        var values = (await admin.GetFromJsonAsync<JsonElement>("/api/classification/accuracy")).GetProperty("values").EnumerateArray().ToList();
        var negative = values.Single(v => v.GetProperty("label").GetString() == "sentiment" && v.GetProperty("value").GetString() == "negative");
        Assert.Equal((1, 2), (negative.GetProperty("confirmations").GetInt32(), negative.GetProperty("corrections").GetInt32()));
        Assert.Equal(1.0 / 3, negative.GetProperty("accuracy").GetDouble(), 6);
        Assert.Equal(["neutral", "positive"], negative.GetProperty("changedTo").EnumerateArray().Select(t => t.GetProperty("value").GetString()).Order());
        var neutral = values.Single(v => v.GetProperty("label").GetString() == "sentiment" && v.GetProperty("value").GetString() == "neutral");
        Assert.Equal((1, 0), (neutral.GetProperty("confirmations").GetInt32(), neutral.GetProperty("corrections").GetInt32()));
        Assert.Equal("negative", values[0].GetProperty("value").GetString());
    }

    [Fact]
    public async Task Analysts_cannot_correct_agents_can_and_only_managers_and_admins_retrain_or_import()
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync("sqlite"));
        using var admin = await server.AdminClientAsync();
        var (messageId, _) = await PostOneAsync(admin, server, "a1", "my refund never arrived, this is terrible");
        using var analyst = await ClientForAsync(server, Analyst);
        using var agent = await ClientForAsync(server, Agent);
        using var manager = await ClientForAsync(server, Manager);
        using var anonymous = server.Client();

        var refused = await CorrectAsync(analyst, messageId, "sentiment", "neutral");
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("not correct", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await analyst.GetAsync($"/api/messages/{messageId}/labels")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await CorrectAsync(anonymous, messageId, "sentiment", "neutral")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await CorrectAsync(agent, messageId, "sentiment", "neutral")).StatusCode);

        Assert.Equal(HttpStatusCode.Forbidden, (await agent.PostAsync("/api/models/sentiment/retrain", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await analyst.PostAsync("/api/models/sentiment/retrain", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await agent.PostAsync("/api/models?name=mood", new ByteArrayContent([1, 2, 3]))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await agent.GetAsync("/api/classification/accuracy")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await analyst.GetAsync("/api/classification/accuracy")).StatusCode);

        var retrain = await manager.PostAsync("/api/models/sentiment/retrain", null);
        Assert.Equal(HttpStatusCode.OK, retrain.StatusCode);
        // One human label is not enough to train on: the attempt is recorded as skipped, with the reason.
        var attempt = await retrain.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("skipped", attempt.GetProperty("outcome").GetString());
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync("/api/models/sentiment/retrain", null)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PostAsync("/api/models/intent/retrain", null)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PostAsync("/api/models/Bad%20Name/retrain", null)).StatusCode);

        await using var conn = await server.Db.OpenAsync();
        Assert.Equal(2, await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM retrain_attempts WHERE outcome = 'skipped'"));
    }
}
