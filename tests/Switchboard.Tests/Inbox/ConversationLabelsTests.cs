using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Switchboard.Tests.Infrastructure;
using Xunit;

namespace Switchboard.Tests.Inbox;

/// <summary>Conversation labels over HTTP: one at a time, in bulk, from routing rules, as a filter; scoped and audited.</summary>
public class ConversationLabelsTests
{
    private static long[] Ids(JsonElement page) => [.. page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetInt64())];

    private static string[] Labels(JsonElement body) => [.. body.GetProperty("labels").EnumerateArray().Select(l => l.GetString()!)];

    [Theory]
    [MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Agents_label_one_conversation_in_one_spelling_and_bad_labels_are_refused_without_losing_any(string provider)
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync(provider));
        var ids = await InboxFixture.IngestAsync(server, ("a", "my refund never arrived"), ("b", "are you hiring interns? I want to apply for a job"));
        var id = ids["a"];
        using var carlos = await InboxFixture.TokenClientAsync(server, InboxFixture.Carlos);   // customer service

        var added = await carlos.PostAsJsonAsync($"/api/inbox/conversations/{id}/labels", new { label = "  Lost   Bag " });
        Assert.Equal(HttpStatusCode.OK, added.StatusCode);
        Assert.Equal(["lost bag"], Labels(await InboxFixture.JsonAsync(added)));
        // The same label again, in another spelling, is the same label: nothing changes, no second audit row.
        Assert.Equal(HttpStatusCode.OK, (await carlos.PostAsJsonAsync($"/api/inbox/conversations/{id}/labels", new { label = "LOST BAG" })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await carlos.PostAsJsonAsync($"/api/inbox/conversations/{id}/labels", new { label = "billing" })).StatusCode);

        // Hostile and malformed labels: 400 with the reason, and the stored labels stay as they were.
        foreach (var bad in new[] { "", "   ", "complaint_reason:late flight", new string('x', 41), new string('x', 100_000), "<script>alert(1)</script>",
                     "billing\u0000", "bill\u001bl", "-dash-first", "💥" })
        {
            var r = await carlos.PostAsJsonAsync($"/api/inbox/conversations/{id}/labels", new { label = bad });
            Assert.True(r.StatusCode == HttpStatusCode.BadRequest, $"{bad[..Math.Min(bad.Length, 20)]}: {(int)r.StatusCode}");
            Assert.False(string.IsNullOrWhiteSpace((await InboxFixture.JsonAsync(r)).GetProperty("detail").GetString()));
        }

        Assert.Equal(HttpStatusCode.BadRequest, (await carlos.PostAsync($"/api/inbox/conversations/{id}/labels",
            new StringContent("{\"label\":", System.Text.Encoding.UTF8, "application/json"))).StatusCode);
        var detail = await carlos.GetFromJsonAsync<JsonElement>($"/api/conversations/{id}");
        Assert.Equal(["billing", "lost bag"], Labels(detail.GetProperty("conversation")));

        // Removal: by its URL-escaped spelling; removing what is not there is not an error.
        Assert.Equal(HttpStatusCode.OK, (await carlos.DeleteAsync($"/api/inbox/conversations/{id}/labels/{Uri.EscapeDataString("Lost Bag")}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await carlos.DeleteAsync($"/api/inbox/conversations/{id}/labels/lost%20bag")).StatusCode);

        // Scope: another team's conversation is "not found", a read-only role is refused, a missing one is 404.
        using var hana = await InboxFixture.TokenClientAsync(server, InboxFixture.Hana);          // human resources
        Assert.Equal(HttpStatusCode.NotFound, (await hana.PostAsJsonAsync($"/api/inbox/conversations/{id}/labels", new { label = "mine" })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await hana.PostAsJsonAsync($"/api/inbox/conversations/{ids["b"]}/labels", new { label = "interns" })).StatusCode);
        using var erin = await InboxFixture.TokenClientAsync(server, InboxFixture.Erin);          // analyst
        Assert.Equal(HttpStatusCode.Forbidden, (await erin.PostAsJsonAsync($"/api/inbox/conversations/{id}/labels", new { label = "x" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await carlos.PostAsJsonAsync("/api/inbox/conversations/999999/labels", new { label = "x" })).StatusCode);

        await using var conn = await server.Db.OpenAsync();
        Assert.Equal(["billing"], (await conn.QueryAsync<string>("SELECT label FROM conversation_labels WHERE conversation_id = @id", new { id })).ToArray());
        Assert.Equal("agent", await conn.ExecuteScalarAsync<string>("SELECT source FROM conversation_labels WHERE conversation_id = @id", new { id }));
        var carlosId = await InboxFixture.UserIdAsync(server, InboxFixture.Carlos);
        var audit = (await conn.QueryAsync<(string Action, long? Actor, string? After)>(
            "SELECT action, actor_id, after_json FROM audit_log WHERE entity = 'conversation' AND entity_id = @e AND action LIKE 'conversation.%label' ORDER BY id",
            new { e = id.ToString(System.Globalization.CultureInfo.InvariantCulture) })).ToList();
        Assert.Equal(["conversation.label", "conversation.label", "conversation.unlabel"], audit.Select(a => a.Action).ToArray());
        Assert.All(audit, a => Assert.Equal(carlosId, a.Actor));
        Assert.Contains("lost bag", audit[0].After, StringComparison.Ordinal);

        // A conversation holds at most 20 labels.
        for (var i = 0; i < 19; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await carlos.PostAsJsonAsync($"/api/inbox/conversations/{id}/labels", new { label = "l" + i })).StatusCode);
        }

        var full = await carlos.PostAsJsonAsync($"/api/inbox/conversations/{id}/labels", new { label = "one-too-many" });
        Assert.Equal(HttpStatusCode.BadRequest, full.StatusCode);
        Assert.Equal(20L, await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM conversation_labels WHERE conversation_id = @id", new { id }));
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Bulk_labels_a_selection_within_scope_and_the_inbox_filters_by_label(string provider)
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync(provider));
        var ids = await InboxFixture.IngestAsync(server,
            ("a", "my refund never arrived"), ("b", "my refund for order 55 never came"), ("c", "still waiting for my refund"),
            ("d", "are you hiring interns? I want to apply for a job"));
        using var carlos = await InboxFixture.SignInAsync(server, InboxFixture.Carlos);

        // One foreign-team id in the selection: it is "not found" and the rest are labelled.
        var bulk = await carlos.SendJsonAsync(HttpMethod.Post, "/api/inbox/bulk", new { ids = new[] { ids["a"], ids["b"], ids["d"] }, action = "label", label = "Billing" });
        Assert.Equal(HttpStatusCode.OK, bulk.StatusCode);
        var outcomes = (await InboxFixture.JsonAsync(bulk)).GetProperty("results").EnumerateArray()
            .ToDictionary(x => x.GetProperty("conversationId").GetInt64(), x => x.GetProperty("outcome").GetString());
        Assert.Equal("Done", outcomes[ids["a"]]);
        Assert.Equal("Done", outcomes[ids["b"]]);
        Assert.Equal("NotFound", outcomes[ids["d"]]);

        // Bad bulk input: no label, a classifier-shaped label, too many ids — refused whole, nothing stored.
        Assert.Equal(HttpStatusCode.BadRequest, (await carlos.SendJsonAsync(HttpMethod.Post, "/api/inbox/bulk", new { ids = new[] { ids["c"] }, action = "label" })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await carlos.SendJsonAsync(HttpMethod.Post, "/api/inbox/bulk", new { ids = new[] { ids["c"] }, action = "label", label = "a:b" })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await carlos.SendJsonAsync(HttpMethod.Post, "/api/inbox/bulk",
            new { ids = Enumerable.Range(1, 201).ToArray(), action = "label", label = "billing" })).StatusCode);

        // The form of the inbox page (select, "Add label", a label).
        var form = await carlos.PostFormAsync("/inbox/bulk", ("ids", $"{ids["c"]}"), ("action", "label"), ("label", "urgent-ish"), ("returnUrl", "/inbox/all"));
        Assert.Equal(HttpStatusCode.Redirect, form.StatusCode);

        using var api = await InboxFixture.TokenClientAsync(server, InboxFixture.Carlos);
        var billing = Ids(await api.GetFromJsonAsync<JsonElement>("/api/inbox/views/all?label=billing"));
        Assert.Equal(new[] { ids["a"], ids["b"] }.Order(), billing.Order());
        Assert.Equal(new[] { ids["a"], ids["b"] }.Order(), Ids(await api.GetFromJsonAsync<JsonElement>("/api/conversations?label=Billing")).Order());
        Assert.Equal([ids["c"]], Ids(await api.GetFromJsonAsync<JsonElement>("/api/conversations?label=urgent-ish")));
        Assert.Equal(HttpStatusCode.BadRequest, (await api.GetAsync("/api/conversations?label=" + Uri.EscapeDataString("<b>"))).StatusCode);
        Assert.Empty(Ids(await api.GetFromJsonAsync<JsonElement>("/api/conversations?label=nosuchname:value")));   // a classifier label nobody has
        Assert.Equal(HttpStatusCode.BadRequest, (await api.GetAsync("/api/inbox/views/all?label=" + Uri.EscapeDataString("<b>"))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await api.GetAsync("/api/inbox/views/all?sentiment=furious")).StatusCode);

        // Every list item carries its labels, and the page shows them as chips and in the filter.
        var page = await api.GetFromJsonAsync<JsonElement>("/api/inbox/views/all?label=billing");
        Assert.All(page.GetProperty("items").EnumerateArray(), i => Assert.Contains("billing", Labels(i)));
        var html = await carlos.Http.GetStringAsync("/inbox/all?label=billing");
        Assert.Contains("class=\"tag label\"", html, StringComparison.Ordinal);
        Assert.Contains("<option value=\"urgent-ish\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain($"data-conversation=\"{ids["c"]}\"", html, StringComparison.Ordinal);

        // Bulk removal.
        var unlabel = await carlos.SendJsonAsync(HttpMethod.Post, "/api/inbox/bulk", new { ids = new[] { ids["a"], ids["b"] }, action = "unlabel", label = "billing" });
        Assert.Equal(HttpStatusCode.OK, unlabel.StatusCode);
        Assert.Empty(Ids(await api.GetFromJsonAsync<JsonElement>("/api/inbox/views/all?label=billing")));
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Routing_rules_put_their_labels_on_the_conversation_with_the_rule_as_source(string provider)
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync(provider));
        using var api = await InboxFixture.TokenClientAsync(server, InboxFixture.Admin);
        // A rule set whose "refunds" rule labels its conversations "billing".
        // A second rule also matches refunds, later and without labels: the source names only the rule that labelled.
        await Sla.SlaTestSupport.ActivateAsync(api, Sla.SlaTestSupport.Yaml() + """

              - name: money words
                conditions:
                  keywords: [refund, never]
                actions:
                  priority: urgent
            """);
        var ids = await InboxFixture.IngestAsync(server, ("a", "my refund never arrived"), ("b", "love the new colours"));
        await using var conn = await server.Db.OpenAsync();
        var row = await conn.QuerySingleAsync<(string Label, string Source, long? AddedBy)>(
            "SELECT label, source, added_by FROM conversation_labels WHERE conversation_id = @id", new { id = ids["a"] });
        Assert.Equal("billing", row.Label);
        Assert.Equal("rule:refunds", row.Source);
        Assert.Null(row.AddedBy);
        Assert.Equal(0L, await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM conversation_labels WHERE conversation_id = @id", new { id = ids["b"] }));

        var detail = await api.GetFromJsonAsync<JsonElement>($"/api/conversations/{ids["a"]}");
        Assert.Equal(["billing"], Labels(detail.GetProperty("conversation")));
        Assert.Equal([ids["a"]], Ids(await api.GetFromJsonAsync<JsonElement>("/api/inbox/views/all?label=billing")));

        // A rule label that is not label-shaped is refused when the rules are saved, with its path.
        var bad = await api.PostAsync("/api/rules?comment=test", new System.Net.Http.StringContent(
            Sla.SlaTestSupport.Yaml().Replace("labels: [billing]", "labels: [\"billing:late\"]", StringComparison.Ordinal), System.Text.Encoding.UTF8, "text/yaml"));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("labels[0]", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
