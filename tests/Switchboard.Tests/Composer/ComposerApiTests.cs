using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Switchboard.Tests.Infrastructure;
using Xunit;

namespace Switchboard.Tests.Composer;

public class ComposerApiTests
{
    [Theory]
    [MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task An_agent_reply_is_sent_once_through_the_outbound_sender_and_joins_the_thread(string provider)
    {
        await using var kit = await ComposerKit.StartAsync(provider);
        using var carlos = await kit.ClientAsync(ComposerKit.Email("carlos"));
        var res = await ComposerKit.SendAsync(carlos, kit.ConversationId, "Hi Ana, we are on it.");
        Assert.Equal(HttpStatusCode.Created, res.StatusCode);
        var body = await res.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("sent", body.GetProperty("outcome").GetString());
        var replyId = body.GetProperty("reply").GetProperty("id").GetInt64();
        Assert.Equal("sent", await kit.ScalarAsync<string>("SELECT status FROM replies WHERE id = @replyId", new { replyId }));
        Assert.Equal(1, await kit.ScalarAsync<long>("SELECT COUNT(*) FROM send_attempts WHERE reply_id = @replyId", new { replyId }));
        Assert.Equal(1, await kit.ScalarAsync<long>("SELECT COUNT(*) FROM messages WHERE conversation_id = @c AND direction = 'out' AND text = 'Hi Ana, we are on it.'", new { c = kit.ConversationId }));
        Assert.True(await kit.ScalarAsync<long>("SELECT COUNT(*) FROM audit_log WHERE action = 'reply.create' AND entity_id = @id", new { id = replyId.ToString(System.Globalization.CultureInfo.InvariantCulture) }) == 1);

        // A retry of a sent reply posts nothing.
        Assert.Equal(HttpStatusCode.Conflict, (await carlos.PostAsync($"/api/replies/{replyId}/retry", JsonContent.Create(new { }))).StatusCode);
        Assert.Equal(1, await kit.ScalarAsync<long>("SELECT COUNT(*) FROM send_attempts WHERE reply_id = @replyId", new { replyId }));
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_card_number_is_refused_with_422_and_its_span_and_nothing_is_stored(string provider)
    {
        await using var kit = await ComposerKit.StartAsync(provider);
        using var carlos = await kit.ClientAsync(ComposerKit.Email("carlos"));
        const string text = "Pay with 4111 1111 1111 1111 please";
        var res = await ComposerKit.SendAsync(carlos, kit.ConversationId, text);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, res.StatusCode);
        var body = await res.Content.ReadFromJsonAsync<JsonElement>();
        var f = body.GetProperty("findings")[0];
        Assert.Equal("4111 1111 1111 1111", f.GetProperty("text").GetString());
        Assert.Equal(9, f.GetProperty("start").GetInt32());
        Assert.Contains("payment card", f.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, await kit.ScalarAsync<long>("SELECT COUNT(*) FROM replies"));
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_trainee_reply_waits_for_two_tiers_by_different_approvers_and_is_sent_once(string provider)
    {
        await using var kit = await ComposerKit.StartAsync(provider);
        using var maria = await kit.ClientAsync(ComposerKit.Email("maria"));
        Assert.Equal(HttpStatusCode.OK, (await maria.PutAsJsonAsync("/api/teams/customer-service/approval-tiers", new { tiers = 2 })).StatusCode);
        using var tom = await kit.ClientAsync(ComposerKit.Email("tom"));
        var res = await ComposerKit.SendAsync(tom, kit.ConversationId, "Hello Ana, sorry for the delay.");
        Assert.Equal(HttpStatusCode.Created, res.StatusCode);
        var body = await res.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("pending_approval", body.GetProperty("outcome").GetString());
        var replyId = body.GetProperty("reply").GetProperty("id").GetInt64();

        // Neither the trainee nor a retry can send it.
        Assert.Equal(HttpStatusCode.Conflict, (await tom.PostAsync($"/api/replies/{replyId}/retry", JsonContent.Create(new { }))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await tom.PostAsJsonAsync($"/api/approvals/{replyId}/approve", new { })).StatusCode);

        var queue = await maria.GetFromJsonAsync<JsonElement>("/api/approvals");
        Assert.Contains(queue.EnumerateArray(), i => i.GetProperty("reply").GetProperty("id").GetInt64() == replyId);
        var first = await maria.PostAsJsonAsync($"/api/approvals/{replyId}/approve", new { text = "Hello Ana, sorry for the delay. We refund today.", comment = "ok" });
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("pending_approval", (await first.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("outcome").GetString());
        Assert.Equal(0, await kit.ScalarAsync<long>("SELECT COUNT(*) FROM send_attempts WHERE reply_id = @replyId", new { replyId }));

        // The same approver cannot approve the next tier.
        var twice = await maria.PostAsJsonAsync($"/api/approvals/{replyId}/approve", new { });
        Assert.Equal(HttpStatusCode.Forbidden, twice.StatusCode);

        using var admin = await kit.ClientAsync(ComposerKit.Email("admin"));
        var final = await admin.PostAsJsonAsync($"/api/approvals/{replyId}/approve", new { });
        Assert.Equal(HttpStatusCode.OK, final.StatusCode);
        Assert.Equal("sent", (await final.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("outcome").GetString());
        Assert.Equal(1, await kit.ScalarAsync<long>("SELECT COUNT(*) FROM send_attempts WHERE reply_id = @replyId", new { replyId }));
        Assert.Equal(1, await kit.ScalarAsync<long>("SELECT COUNT(*) FROM messages WHERE direction = 'out' AND text = 'Hello Ana, sorry for the delay. We refund today.'"));
        Assert.Equal(2, await kit.ScalarAsync<long>("SELECT COUNT(*) FROM notifications WHERE kind = 'approval.approved'"));
        Assert.Equal(HttpStatusCode.Conflict, (await admin.PostAsJsonAsync($"/api/approvals/{replyId}/approve", new { })).StatusCode);
    }

    [Fact]
    public async Task Deactivating_the_author_withdraws_their_replies_waiting_for_approval_and_nothing_is_sent()
    {
        await using var kit = await ComposerKit.StartAsync("sqlite");
        using var tom = await kit.ClientAsync(ComposerKit.Email("tom"));
        using var carlos = await kit.ClientAsync(ComposerKit.Email("carlos"));
        var pending = await (await ComposerKit.SendAsync(tom, kit.ConversationId, "Hello Ana, we refund today.")).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("pending_approval", pending.GetProperty("outcome").GetString());
        var pendingId = pending.GetProperty("reply").GetProperty("id").GetInt64();
        // Someone else's pending reply is not touched.
        var other = await ComposerKit.SendAsync(carlos, kit.ConversationId, "Our lawyer will call you.");
        var otherId = (await other.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("reply").GetProperty("id").GetInt64();
        Assert.Equal("pending_approval", await kit.ScalarAsync<string>("SELECT status FROM replies WHERE id = @otherId", new { otherId }));

        using var maria = await kit.ClientAsync(ComposerKit.Email("maria"));
        var tomId = await kit.ScalarAsync<long>("SELECT id FROM users WHERE email = @e", new { e = ComposerKit.Email("tom") });
        var deactivated = await maria.PostAsync($"/api/people/{tomId}/deactivate", null);
        Assert.Equal(HttpStatusCode.OK, deactivated.StatusCode);
        var result = await deactivated.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal([pendingId], result.GetProperty("withdrawnReplies").EnumerateArray().Select(e => e.GetInt64()));

        Assert.Equal("withdrawn", await kit.ScalarAsync<string>("SELECT status FROM replies WHERE id = @pendingId", new { pendingId }));
        Assert.Equal("pending_approval", await kit.ScalarAsync<string>("SELECT status FROM replies WHERE id = @otherId", new { otherId }));
        var queue = await maria.GetFromJsonAsync<JsonElement>("/api/approvals");
        Assert.DoesNotContain(queue.EnumerateArray(), i => i.GetProperty("reply").GetProperty("id").GetInt64() == pendingId);
        Assert.Contains(queue.EnumerateArray(), i => i.GetProperty("reply").GetProperty("id").GetInt64() == otherId);
        var approve = await maria.PostAsJsonAsync($"/api/approvals/{pendingId}/approve", new { });
        Assert.Equal(HttpStatusCode.Conflict, approve.StatusCode);
        Assert.Contains("withdrawn", await approve.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(0, await kit.ScalarAsync<long>("SELECT COUNT(*) FROM send_attempts WHERE reply_id = @pendingId", new { pendingId }));
        Assert.Contains(pendingId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            await kit.ScalarAsync<string>("SELECT after_json FROM audit_log WHERE action = 'person.deactivate'"), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_legal_trigger_goes_to_approval_and_a_rejection_needs_a_comment(string provider)
    {
        await using var kit = await ComposerKit.StartAsync(provider);
        using var carlos = await kit.ClientAsync(ComposerKit.Email("carlos"));
        var res = await ComposerKit.SendAsync(carlos, kit.ConversationId, "Our lawyer will call you.");
        var replyId = (await res.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("reply").GetProperty("id").GetInt64();
        Assert.Equal("pending_approval", await kit.ScalarAsync<string>("SELECT status FROM replies WHERE id = @replyId", new { replyId }));
        using var maria = await kit.ClientAsync(ComposerKit.Email("maria"));
        Assert.Equal(HttpStatusCode.BadRequest, (await maria.PostAsJsonAsync($"/api/approvals/{replyId}/reject", new { comment = " " })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await maria.PostAsJsonAsync($"/api/approvals/{replyId}/reject", new { comment = "No legal talk here" })).StatusCode);
        Assert.Equal("rejected", await kit.ScalarAsync<string>("SELECT status FROM replies WHERE id = @replyId", new { replyId }));
        Assert.Equal(0, await kit.ScalarAsync<long>("SELECT COUNT(*) FROM send_attempts"));
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Sending_over_a_newer_reply_asks_for_confirmation_first(string provider)
    {
        await using var kit = await ComposerKit.StartAsync(provider);
        using var carlos = await kit.ClientAsync(ComposerKit.Email("carlos"));
        using var fatima = await kit.ClientAsync(ComposerKit.Email("fatima"));
        var openedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 1;
        Assert.Equal(HttpStatusCode.Created, (await ComposerKit.SendAsync(carlos, kit.ConversationId, "Carlos here, on it.", openedAt)).StatusCode);
        var collision = await ComposerKit.SendAsync(fatima, kit.ConversationId, "Fatima here!", openedAt);
        Assert.Equal(HttpStatusCode.Conflict, collision.StatusCode);
        var body = await collision.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Carlos Care", body.GetProperty("newer")[0].GetProperty("by").GetString());
        Assert.Equal(HttpStatusCode.Created, (await ComposerKit.SendAsync(fatima, kit.ConversationId, "Fatima here!", openedAt, confirm: true)).StatusCode);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_failed_send_is_retried_through_the_sender_once(string provider)
    {
        await using var kit = await ComposerKit.StartAsync(provider);
        using var carlos = await kit.ClientAsync(ComposerKit.Email("carlos"));
        var res = await ComposerKit.SendAsync(carlos, kit.ConversationId, "Retry me");
        var replyId = (await res.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("reply").GetProperty("id").GetInt64();
        // Simulate a refusal by the network recorded earlier.
        await kit.ExecAsync("UPDATE replies SET status = 'failed', error = 'refused' WHERE id = @replyId", new { replyId });
        var retries = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => carlos.PostAsync($"/api/replies/{replyId}/retry", JsonContent.Create(new { }))));
        Assert.Contains(retries, r => r.StatusCode == HttpStatusCode.OK);
        Assert.Equal("sent", await kit.ScalarAsync<string>("SELECT status FROM replies WHERE id = @replyId", new { replyId }));
        Assert.Equal(2, await kit.ScalarAsync<long>("SELECT COUNT(*) FROM send_attempts WHERE reply_id = @replyId", new { replyId }));
        Assert.Equal(1, await kit.ScalarAsync<long>("SELECT COUNT(*) FROM messages WHERE direction = 'out' AND text = 'Retry me'"));
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Other_teams_analysts_and_hostile_input_are_refused(string provider)
    {
        await using var kit = await ComposerKit.StartAsync(provider);
        using var ivan = await kit.ClientAsync(ComposerKit.Email("ivan")); // IT team only
        Assert.Equal(HttpStatusCode.NotFound, (await ComposerKit.SendAsync(ivan, kit.ConversationId, "hi")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await ivan.GetAsync($"/api/conversations/{kit.ConversationId}/composer")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await ivan.PutAsJsonAsync($"/api/conversations/{kit.ConversationId}/draft", new { text = "x" })).StatusCode);
        using var erin = await kit.ClientAsync(ComposerKit.Email("erin")); // analyst
        Assert.Equal(HttpStatusCode.Forbidden, (await ComposerKit.SendAsync(erin, kit.ConversationId, "hi")).StatusCode);

        using var carlos = await kit.ClientAsync(ComposerKit.Email("carlos"));
        Assert.Equal(HttpStatusCode.BadRequest, (await ComposerKit.SendAsync(carlos, kit.ConversationId, "   ")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await ComposerKit.SendAsync(carlos, kit.ConversationId, new string('a', 501))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await ComposerKit.SendAsync(carlos, kit.ConversationId, new string('a', 100_000))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await ComposerKit.SendAsync(carlos, 999_999, "hi")).StatusCode);
        var malformed = await carlos.PostAsync($"/api/conversations/{kit.ConversationId}/replies", new StringContent("{\"text\":", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        var form = await carlos.PostAsync($"/api/conversations/{kit.ConversationId}/replies", new FormUrlEncodedContent([new("text", "csrf")]));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, form.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await carlos.PostAsJsonAsync("/api/compliance/check", new { text = new string('x', 30_000) })).StatusCode);
        Assert.Equal(0, await kit.ScalarAsync<long>("SELECT COUNT(*) FROM replies"));

        // Every composer endpoint is described in OpenAPI and refuses anonymous callers.
        using var anon = kit.Server.Client();
        var openapi = await anon.GetStringAsync("/openapi/v1.json");
        foreach (var path in new[] { "/api/approvals", "/api/canned-replies", "/api/compliance/check", "/api/compliance/rule-sets", "/api/replies/{replyId}/retry" })
        {
            Assert.Contains(path, openapi, StringComparison.Ordinal);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, (await anon.GetAsync("/api/approvals")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await ComposerKit.SendAsync(anon, kit.ConversationId, "hi")).StatusCode);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Drafts_are_saved_and_restored_and_canned_replies_render_variables(string provider)
    {
        await using var kit = await ComposerKit.StartAsync(provider);
        using var carlos = await kit.ClientAsync(ComposerKit.Email("carlos"));
        Assert.Equal(HttpStatusCode.NoContent, (await carlos.PutAsJsonAsync($"/api/conversations/{kit.ConversationId}/draft", new { text = "half a thought" })).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await carlos.PutAsJsonAsync($"/api/conversations/{kit.ConversationId}/draft", new { text = "a whole thought" })).StatusCode);
        var state = await carlos.GetFromJsonAsync<JsonElement>($"/api/conversations/{kit.ConversationId}/composer");
        Assert.Equal("a whole thought", state.GetProperty("draft").GetString());
        Assert.Equal(500, state.GetProperty("maxLength").GetInt32());

        var canned = await carlos.GetFromJsonAsync<JsonElement>("/api/canned-replies");
        var thanks = canned.EnumerateArray().First(c => c.GetProperty("shortcut").GetString() == "thanks").GetProperty("id").GetInt64();
        var rendered = await carlos.PostAsJsonAsync($"/api/canned-replies/{thanks}/render", new { conversationId = kit.ConversationId });
        var text = (await rendered.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("text").GetString();
        Assert.Equal("Hi Ana Author, thanks for reaching out! Carlos here, I am looking into it now.", text);

        // Agents cannot create canned replies; managers can, but not with unknown variables.
        Assert.Equal(HttpStatusCode.Forbidden, (await carlos.PostAsJsonAsync("/api/canned-replies", new { shortcut = "x", title = "x", body = "x" })).StatusCode);
        using var maria = await kit.ClientAsync(ComposerKit.Email("maria"));
        var bad = await maria.PostAsJsonAsync("/api/canned-replies", new { shortcut = "bye", title = "Bye", body = "Bye {{author.nickname}}" });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("author.nickname", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Created, (await maria.PostAsJsonAsync("/api/canned-replies", new { shortcut = "bye", title = "Bye", body = "Bye {{author.handle}}" })).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await maria.PostAsJsonAsync("/api/canned-replies", new { shortcut = "bye", title = "Bye", body = "Bye" })).StatusCode);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_rule_set_version_activates_only_when_its_examples_behave_and_can_be_rolled_back(string provider)
    {
        await using var kit = await ComposerKit.StartAsync(provider);
        using var lena = await kit.ClientAsync(ComposerKit.Email("lena")); // approver
        using var carlos = await kit.ClientAsync(ComposerKit.Email("carlos"));
        Assert.Equal(HttpStatusCode.Forbidden, (await carlos.GetAsync("/api/compliance/rule-sets")).StatusCode);

        const string good = "rules:\n  - id: no-free\n    kind: banned_phrases\n    phrases: [free]\nexamples:\n  - text: it is free\n    expect: block\n  - text: it costs 5\n    expect: pass\n";
        const string bad = "rules:\n  - id: no-free\n    kind: banned_phrases\n    phrases: [gratis]\nexamples:\n  - text: it is free\n    expect: block\n";
        var invalid = await lena.PostAsJsonAsync("/api/compliance/rule-sets", new { yaml = "rules:\n  - id: x\n    kind: nope\n" });
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        Assert.Contains("line 3", await invalid.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var v1 = (await (await lena.PostAsJsonAsync("/api/compliance/rule-sets", new { yaml = good, comment = "v1" })).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
        var v2 = (await (await lena.PostAsJsonAsync("/api/compliance/rule-sets", new { yaml = bad })).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
        var refused = await lena.PostAsync($"/api/compliance/rule-sets/{v2}/activate", null);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        var problem = await refused.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("it is free", problem.GetProperty("failingExample").GetProperty("text").GetString());

        Assert.Equal(HttpStatusCode.OK, (await lena.PostAsync($"/api/compliance/rule-sets/{v1}/activate", null)).StatusCode);
        var check = await carlos.PostAsJsonAsync("/api/compliance/check", new { text = "this is free" });
        Assert.Equal("block", (await check.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("outcome").GetString());
        // The default rules no longer apply under v1: a card number passes v1 (it only bans "free").
        Assert.Equal("pass", (await (await carlos.PostAsJsonAsync("/api/compliance/check", new { text = "4111 1111 1111 1111" })).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("outcome").GetString());
        Assert.Equal(1, await kit.ScalarAsync<long>("SELECT COUNT(*) FROM audit_log WHERE action = 'compliance.rule_set.activate'"));
        var versions = await lena.GetFromJsonAsync<JsonElement>("/api/compliance/rule-sets");
        Assert.Equal(2, versions.GetArrayLength());
        Assert.Equal("lena@demo.switchboard.local", versions[0].GetProperty("author").GetString());
    }
}
