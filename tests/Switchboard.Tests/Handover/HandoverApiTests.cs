using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Handover;
using Switchboard.Tests.Composer;
using Switchboard.Tests.Infrastructure;
using Xunit;

namespace Switchboard.Tests.Handover;

public class HandoverApiTests
{
    /// <summary>
    /// Lena (public-relations, not customer service) flagged as the Legal expert by the admin: Maria manages customer
    /// service and marketing, so Lena is outside her reach, as on the people page.
    /// </summary>
    internal static async Task<long> FlagLenaAsync(ComposerKit kit)
    {
        var lena = await kit.ScalarAsync<long>("SELECT id FROM users WHERE email = @e", new { e = ComposerKit.Email("lena") });
        using var admin = await kit.ClientAsync(ComposerKit.Email("admin"));
        var res = await admin.PutAsJsonAsync($"/api/experts/{lena}", new { areas = new[] { "Legal", "Privacy" } });
        Assert.Equal(HttpStatusCode.OK, res.StatusCode);
        return lena;
    }

    internal static async Task<long> AskAsync(HttpClient c, long conversation, long expert, string question)
    {
        var res = await c.PostAsJsonAsync($"/api/conversations/{conversation}/handovers", new { expertId = expert, question });
        Assert.Equal(HttpStatusCode.Created, res.StatusCode);
        return (await res.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task The_expert_sees_only_that_conversation_and_the_answer_lands_in_the_agent_draft_not_with_the_customer(string provider)
    {
        await using var kit = await ComposerKit.StartAsync(provider);
        var lenaId = await FlagLenaAsync(kit);
        using var carlos = await kit.ClientAsync(ComposerKit.Email("carlos"));
        using var lena = await kit.ClientAsync(ComposerKit.Email("lena"));
        Assert.True((await carlos.PutAsJsonAsync($"/api/conversations/{kit.ConversationId}/draft", new { text = "Hi Ana," })).IsSuccessStatusCode);

        // Before any hand-over Lena cannot see the customer-service conversation.
        Assert.Equal(HttpStatusCode.NotFound, (await lena.GetAsync($"/api/conversations/{kit.ConversationId}")).StatusCode);
        var id = await AskAsync(carlos, kit.ConversationId, lenaId, "May we refund order 7 without a receipt?");
        Assert.Equal(1, await kit.ScalarAsync<long>("SELECT COUNT(*) FROM notifications WHERE user_id = @lenaId AND kind = 'handover'", new { lenaId }));

        var view = await (await lena.GetAsync($"/api/handovers/{id}")).Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(view.GetProperty("canAnswer").GetBoolean());
        Assert.Contains(view.GetProperty("thread").EnumerateArray(), m => m.GetProperty("text").GetString()!.Contains("order 7", StringComparison.Ordinal));
        // The hand-over grants that thread only: the conversation APIs, the composer and other ids stay closed.
        Assert.Equal(HttpStatusCode.NotFound, (await lena.GetAsync($"/api/conversations/{kit.ConversationId}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await lena.GetAsync($"/api/conversations/{kit.ConversationId}/composer")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await lena.PutAsJsonAsync($"/api/conversations/{kit.ConversationId}/draft", new { text = "x" })).StatusCode);
        foreach (var guess in new[] { id + 1, id + 2, id - 1, 0, long.MaxValue })
        {
            Assert.Equal(HttpStatusCode.NotFound, (await lena.GetAsync($"/api/handovers/{guess}")).StatusCode);
        }

        var answer = await lena.PostAsJsonAsync($"/api/handovers/{id}/answer", new { answer = "Yes, under our goodwill policy up to 50 EUR." });
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await lena.PostAsJsonAsync($"/api/handovers/{id}/answer", new { answer = "again" })).StatusCode);

        var composer = await (await carlos.GetAsync($"/api/conversations/{kit.ConversationId}/composer")).Content.ReadFromJsonAsync<JsonElement>();
        var draft = composer.GetProperty("draft").GetString()!;
        Assert.StartsWith("Hi Ana,", draft, StringComparison.Ordinal);
        Assert.Contains("goodwill policy up to 50 EUR", draft, StringComparison.Ordinal);
        Assert.Equal(1, await kit.ScalarAsync<long>("SELECT COUNT(*) FROM conversation_notes WHERE conversation_id = @c AND text LIKE 'Answer from Lena Legal (Legal):%'", new { c = kit.ConversationId }));
        Assert.Equal(1, await kit.ScalarAsync<long>("SELECT COUNT(*) FROM notifications WHERE kind = 'handover.answered'"));
        // Nothing went to the customer: the answer waits in the draft.
        Assert.Equal(0, await kit.ScalarAsync<long>("SELECT COUNT(*) FROM replies"));
        foreach (var action in new[] { "expert.set", "handover.ask", "handover.answer" })
        {
            Assert.Equal(1, await kit.ScalarAsync<long>("SELECT COUNT(*) FROM audit_log WHERE action = @action", new { action }));
        }

        // The agent sends the draft through the usual flow.
        Assert.Equal(HttpStatusCode.Created, (await ComposerKit.SendAsync(carlos, kit.ConversationId, draft)).StatusCode);
        Assert.Equal(1, await kit.ScalarAsync<long>("SELECT COUNT(*) FROM replies WHERE author_id = (SELECT id FROM users WHERE email = @e)", new { e = ComposerKit.Email("carlos") }));
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Decline_needs_the_expert_and_a_reason_and_cancel_needs_the_asker(string provider)
    {
        await using var kit = await ComposerKit.StartAsync(provider);
        var lenaId = await FlagLenaAsync(kit);
        using var carlos = await kit.ClientAsync(ComposerKit.Email("carlos"));
        using var lena = await kit.ClientAsync(ComposerKit.Email("lena"));
        using var ivan = await kit.ClientAsync(ComposerKit.Email("ivan"));
        var id = await AskAsync(carlos, kit.ConversationId, lenaId, "Is this defamation?");

        Assert.Equal(HttpStatusCode.NotFound, (await ivan.PostAsJsonAsync($"/api/handovers/{id}/decline", new { reason = "x" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await ivan.PostAsJsonAsync($"/api/handovers/{id}/cancel", new { })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await carlos.PostAsJsonAsync($"/api/handovers/{id}/decline", new { reason = "x" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await lena.PostAsJsonAsync($"/api/handovers/{id}/cancel", new { })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await lena.PostAsJsonAsync($"/api/handovers/{id}/decline", new { reason = "  " })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await lena.PostAsJsonAsync($"/api/handovers/{id}/decline", new { reason = "Ask Hana in HR" })).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await carlos.PostAsJsonAsync($"/api/handovers/{id}/cancel", new { })).StatusCode);
        Assert.Equal("declined", await kit.ScalarAsync<string>("SELECT status FROM handovers WHERE id = @id", new { id }));
        Assert.Equal(1, await kit.ScalarAsync<long>("SELECT COUNT(*) FROM notifications WHERE kind = 'handover.declined' AND text LIKE '%Ask Hana in HR%'"));

        var second = await AskAsync(carlos, kit.ConversationId, lenaId, "Second question");
        Assert.Equal(HttpStatusCode.OK, (await carlos.PostAsJsonAsync($"/api/handovers/{second}/cancel", new { })).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await lena.PostAsJsonAsync($"/api/handovers/{second}/answer", new { answer = "late" })).StatusCode);
        Assert.Equal(1, await kit.ScalarAsync<long>("SELECT COUNT(*) FROM notifications WHERE kind = 'handover.cancelled' AND user_id = @lenaId", new { lenaId }));
        Assert.Equal(1, await kit.ScalarAsync<long>("SELECT COUNT(*) FROM audit_log WHERE action = 'handover.decline'"));
        Assert.Equal(1, await kit.ScalarAsync<long>("SELECT COUNT(*) FROM audit_log WHERE action = 'handover.cancel'"));
        // Cancelled and declined hand-overs leave the draft alone.
        Assert.Equal(0, await kit.ScalarAsync<long>("SELECT COUNT(*) FROM reply_drafts"));
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task The_warning_and_the_breach_each_fire_exactly_once_for_both_sides(string provider)
    {
        await using var kit = await ComposerKit.StartAsync(provider);
        var lenaId = await FlagLenaAsync(kit);
        using var carlos = await kit.ClientAsync(ComposerKit.Email("carlos"));
        var id = await AskAsync(carlos, kit.ConversationId, lenaId, "Clock test");
        var warnAt = DateTimeOffset.FromUnixTimeMilliseconds(await kit.ScalarAsync<long>("SELECT warn_at FROM handovers WHERE id = @id", new { id }));
        var dueAt = DateTimeOffset.FromUnixTimeMilliseconds(await kit.ScalarAsync<long>("SELECT due_at FROM handovers WHERE id = @id", new { id }));
        Assert.True(dueAt > warnAt, $"due {dueAt:O} after warning {warnAt:O}");
        var clock = kit.Server.Services.GetRequiredService<HandoverClock>();

        Assert.Equal(0, await clock.ProcessDueAsync(warnAt.AddMilliseconds(-1), CancellationToken.None));
        Assert.Equal(1, await clock.ProcessDueAsync(warnAt, CancellationToken.None));
        Assert.Equal(0, await clock.ProcessDueAsync(warnAt.AddMinutes(1), CancellationToken.None));
        // Two instances racing at the deadline: exactly one fires.
        var raced = await Task.WhenAll(clock.ProcessDueAsync(dueAt, CancellationToken.None), clock.ProcessDueAsync(dueAt, CancellationToken.None));
        Assert.Equal(1, raced.Sum());
        Assert.Equal(0, await clock.ProcessDueAsync(dueAt.AddHours(1), CancellationToken.None));

        Assert.Equal(2, await kit.ScalarAsync<long>("SELECT COUNT(*) FROM notifications WHERE kind = 'handover.warning'"));
        Assert.Equal(2, await kit.ScalarAsync<long>("SELECT COUNT(*) FROM notifications WHERE kind = 'handover.breached'"));
        Assert.Equal(1, await kit.ScalarAsync<long>("SELECT COUNT(*) FROM notifications WHERE kind = 'handover.breached' AND user_id = @lenaId", new { lenaId }));
        Assert.Equal(1, await kit.ScalarAsync<long>("SELECT COUNT(*) FROM audit_log WHERE action = 'handover.breach'"));

        // An answered hand-over never warns.
        var answered = await AskAsync(carlos, kit.ConversationId, lenaId, "Answered in time");
        using var lena = await kit.ClientAsync(ComposerKit.Email("lena"));
        Assert.Equal(HttpStatusCode.OK, (await lena.PostAsJsonAsync($"/api/handovers/{answered}/answer", new { answer = "ok" })).StatusCode);
        Assert.Equal(0, await clock.ProcessDueAsync(dueAt.AddDays(30), CancellationToken.None));
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Malformed_oversized_and_hostile_input_is_refused_with_a_reason(string provider)
    {
        await using var kit = await ComposerKit.StartAsync(provider);
        var lenaId = await FlagLenaAsync(kit);
        using var carlos = await kit.ClientAsync(ComposerKit.Email("carlos"));
        using var erin = await kit.ClientAsync(ComposerKit.Email("erin"));
        var url = $"/api/conversations/{kit.ConversationId}/handovers";

        async Task Refused(HttpResponseMessage res, string reason, HttpStatusCode status = HttpStatusCode.BadRequest)
        {
            Assert.Equal(status, res.StatusCode);
            Assert.Contains(reason, await res.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        await Refused(await carlos.PostAsJsonAsync(url, new { expertId = lenaId, question = new string('q', HandoverStore.MaxQuestion + 1) }), "at most 4000");
        await Refused(await carlos.PostAsJsonAsync(url, new { expertId = lenaId, question = " " }), "empty");
        await Refused(await carlos.PostAsJsonAsync(url, new { question = "who?" }), "expertId");
        await Refused(await carlos.PostAsJsonAsync(url, new { expertId = 999999, question = "who?" }), "not an expert");
        await Refused(await carlos.PostAsJsonAsync(url, new { expertId = lenaId, question = "q", area = "Astrology" }), "Legal, Privacy");
        var broken = await carlos.PostAsync(url, new StringContent("{\"expertId\": ", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, broken.StatusCode);
        var wrongType = await carlos.PostAsync(url, new StringContent("{\"expertId\": \"lena\", \"question\": 1}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, wrongType.StatusCode);
        // Erin (analyst, no team) reads every conversation, as in the inbox, but may not ask: 403, and no handover row comes of it.
        Assert.Equal(HttpStatusCode.Forbidden, (await erin.PostAsJsonAsync(url, new { expertId = lenaId, question = "analysts read only" })).StatusCode);

        // Expert management: managers only, bounded areas.
        Assert.Equal(HttpStatusCode.Forbidden, (await carlos.PutAsJsonAsync($"/api/experts/{lenaId}", new { areas = new[] { "Legal" } })).StatusCode);
        using var maria = await kit.ClientAsync(ComposerKit.Email("maria"));
        await Refused(await maria.PutAsJsonAsync($"/api/experts/{lenaId}", new { areas = Array.Empty<string>() }), "at least one area");
        await Refused(await maria.PutAsJsonAsync($"/api/experts/{lenaId}", new { areas = new[] { "Le\ngal" } }), "printable");
        await Refused(await maria.PutAsJsonAsync($"/api/experts/{lenaId}", new { areas = new[] { new string('a', 61) } }), "at most");
        Assert.Equal(HttpStatusCode.NotFound, (await maria.PutAsJsonAsync("/api/experts/999999", new { areas = new[] { "Legal" } })).StatusCode);
        // A manager's reach is the same as on the people page: her own teams' people, never an admin.
        await Refused(await maria.PutAsJsonAsync($"/api/experts/{lenaId}", new { areas = new[] { "Legal" } }), "none of your teams", HttpStatusCode.Forbidden);
        Assert.Equal(HttpStatusCode.Forbidden, (await maria.DeleteAsync($"/api/experts/{lenaId}")).StatusCode);
        var adminId = await kit.ScalarAsync<long>("SELECT id FROM users WHERE email = @e", new { e = ComposerKit.Email("admin") });
        await Refused(await maria.PutAsJsonAsync($"/api/experts/{adminId}", new { areas = new[] { "Legal" } }), "only an admin", HttpStatusCode.Forbidden);
        var carlosId = await kit.ScalarAsync<long>("SELECT id FROM users WHERE email = @e", new { e = ComposerKit.Email("carlos") });
        Assert.Equal(HttpStatusCode.OK, (await maria.PutAsJsonAsync($"/api/experts/{carlosId}", new { areas = new[] { "Refunds", "refunds " } })).StatusCode);
        Assert.Equal(["Refunds"], (await maria.GetFromJsonAsync<JsonElement>("/api/experts")).EnumerateArray()
            .Single(e => e.GetProperty("userId").GetInt64() == carlosId).GetProperty("areas").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal("Legal\nPrivacy", await kit.ScalarAsync<string>("SELECT areas FROM experts WHERE user_id = @lenaId", new { lenaId }));

        // Script in a question is stored as text and handed back as JSON text, never as markup.
        const string hostile = "<script>alert(1)</script><img src=x onerror=alert(2)>";
        var id = await AskAsync(carlos, kit.ConversationId, lenaId, hostile);
        Assert.Equal(hostile, await kit.ScalarAsync<string>("SELECT question FROM handovers WHERE id = @id", new { id }));
        using var lena = await kit.ClientAsync(ComposerKit.Email("lena"));
        await Refused(await lena.PostAsJsonAsync($"/api/handovers/{id}/answer", new { answer = new string('a', HandoverStore.MaxAnswer + 1) }), "at most");
        Assert.Equal("open", await kit.ScalarAsync<string>("SELECT status FROM handovers WHERE id = @id", new { id }));
        Assert.Equal(1, await kit.ScalarAsync<long>("SELECT COUNT(*) FROM handovers"));
    }
}

public class HandoverPageTests
{
    [Theory]
    [MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task The_expert_page_renders_a_hostile_question_inert_and_is_404_for_anyone_else(string provider)
    {
        await using var kit = await ComposerKit.StartAsync(provider);
        var lenaId = await HandoverApiTests.FlagLenaAsync(kit);
        using var carlos = await kit.ClientAsync(ComposerKit.Email("carlos"));
        var res = await carlos.PostAsJsonAsync($"/api/conversations/{kit.ConversationId}/handovers",
            new { expertId = lenaId, question = "<script>alert(1)</script><img src=x onerror=alert(2)> is this ok?" });
        var id = (await res.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();

        using var lena = await Switchboard.Tests.Inbox.InboxFixture.SignInAsync(kit.Server, ComposerKit.Email("lena"));
        var page = await lena.Http.GetAsync($"/handovers/{id}");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>alert(1)", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<img src=x", html, StringComparison.Ordinal);
        Assert.Contains("my order 7 is late", html, StringComparison.Ordinal);   // the thread
        Assert.Contains("handover-answer-form", html, StringComparison.Ordinal);

        using var ivan = await Switchboard.Tests.Inbox.InboxFixture.SignInAsync(kit.Server, ComposerKit.Email("ivan"));
        Assert.Equal(HttpStatusCode.NotFound, (await ivan.Http.GetAsync($"/handovers/{id}")).StatusCode);
        // The asking agent's conversation view shows the hand-over panel with the question, encoded too.
        using var carlosUi = await Switchboard.Tests.Inbox.InboxFixture.SignInAsync(kit.Server, ComposerKit.Email("carlos"));
        var view = await (await carlosUi.Http.GetAsync($"/conversations/{kit.ConversationId}")).Content.ReadAsStringAsync();
        Assert.Contains("handover-panel", view, StringComparison.Ordinal);
        Assert.Contains("Lena Legal (Legal)", view, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>alert(1)", view, StringComparison.Ordinal);
    }
}
