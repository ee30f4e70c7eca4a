using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Switchboard.Tests.Infrastructure;
using Xunit;

namespace Switchboard.Tests.Inbox;

/// <summary>Views, sorts, search, agent actions, bulk, notes with mentions, author panel, audit trail — over HTTP.</summary>
public class InboxFeatureTests
{
    private static long[] Ids(JsonElement page) => [.. page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetInt64())];

    [Theory]
    [MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Views_select_holding_breaching_and_escalated_and_sort_by_due_or_urgency(string provider)
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync(provider));
        var ids = await InboxFixture.IngestAsync(server,
            ("a", "my refund never arrived"), ("b", "my order is late again"), ("c", "the app crashes when I pay"), ("d", "thanks for the quick help"));
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await using (var conn = await server.Db.OpenAsync())
        {
            // Routing already started clocks and (with nobody online) put every conversation on hold; this test sets
            // the SLA state itself, so it starts from none.
            await conn.ExecuteAsync("UPDATE conversations SET next_due_at = NULL, holding_since = NULL, escalation_level = 0");
            await conn.ExecuteAsync("UPDATE conversations SET next_due_at = @t, urgency = 0.2 WHERE id = @id", new { t = now + (10 * 60_000), id = ids["a"] });
            await conn.ExecuteAsync("UPDATE conversations SET next_due_at = @t, urgency = 0.9 WHERE id = @id", new { t = now - 60_000, id = ids["b"] });
            await conn.ExecuteAsync("UPDATE conversations SET next_due_at = @t, escalation_level = 2, urgency = 0.5 WHERE id = @id", new { t = now + (5 * 3_600_000), id = ids["c"] });
            await conn.ExecuteAsync("UPDATE conversations SET holding_since = @t, urgency = 0.1 WHERE id = @id", new { t = now, id = ids["d"] });
        }

        using var api = await InboxFixture.TokenClientAsync(server, InboxFixture.Admin);
        async Task<long[]> View(string q) => Ids(await api.GetFromJsonAsync<JsonElement>("/api/inbox/views/" + q));
        Assert.Equal([ids["b"], ids["a"]], await View("breaching"));          // overdue first, then due in 10 minutes
        Assert.Equal([ids["c"]], await View("escalated"));
        Assert.Equal([ids["d"]], await View("holding"));
        Assert.Equal([ids["b"], ids["a"], ids["c"]], await View("all?sort=due"));
        Assert.Equal([ids["b"], ids["c"], ids["a"], ids["d"]], await View("all?sort=urgency"));

        // Keyset pages of the urgency sort cover every row once.
        var seen = new List<long>();
        string? cursor = null;
        using var admin = await InboxFixture.SignInAsync(server, InboxFixture.Admin);
        do
        {
            var page = await api.GetFromJsonAsync<JsonElement>("/api/inbox/views/all?sort=urgency" + (cursor is null ? "" : "&cursor=" + cursor));
            seen.AddRange(Ids(page));
            cursor = page.GetProperty("nextCursor").GetString();
        }
        while (cursor is not null);
        Assert.Equal(4, seen.Distinct().Count());

        // Resolved conversations leave the action views.
        Assert.Equal(HttpStatusCode.OK, (await api.PostAsync($"/api/inbox/conversations/{ids["c"]}/resolve", null)).StatusCode);
        Assert.Empty(await View("escalated"));

        // Bad input: unknown view / sort, a cursor of another sort, an oversized cursor.
        Assert.Equal(HttpStatusCode.BadRequest, (await api.GetAsync("/api/inbox/views/everything")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await api.GetAsync("/api/inbox/views/all?sort=random")).StatusCode);
        var recentCursor = (await api.GetFromJsonAsync<JsonElement>("/api/conversations?limit=1")).GetProperty("nextCursor").GetString();
        Assert.Equal(HttpStatusCode.BadRequest, (await api.GetAsync("/api/inbox/views/all?sort=urgency&cursor=" + recentCursor)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await api.GetAsync("/api/inbox/views/all?cursor=" + new string('A', 5000))).StatusCode);

        // The page renders the views with ticking countdowns.
        var html = await admin.Http.GetStringAsync("/inbox/breaching");
        Assert.Contains("data-due=", html, StringComparison.Ordinal);
        Assert.Contains("Breaching soon", html, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Search_finds_messages_and_authors_within_scope_and_survives_hostile_syntax(string provider)
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync(provider));
        var ids = await InboxFixture.IngestAsync(server,
            ("a", "my refund never arrived, order 123"), ("b", "are you hiring interns? I want to apply for a job"), ("c", "refunds are slow"));
        using var carlos = await InboxFixture.TokenClientAsync(server, InboxFixture.Carlos);    // customer service
        using var hana = await InboxFixture.TokenClientAsync(server, InboxFixture.Hana);        // human resources
        async Task<long[]> Search(HttpClient c, string q) => Ids(await c.GetFromJsonAsync<JsonElement>("/api/inbox/search?q=" + Uri.EscapeDataString(q)));

        Assert.Equal([ids["a"]], await Search(carlos, "never"));
        Assert.Equal([ids["c"], ids["a"]], await Search(carlos, "refun"));       // the last word is also a prefix
        Assert.Equal([ids["c"]], await Search(carlos, "refunds"));
        Assert.Equal([ids["a"]], await Search(carlos, "REFUND order"));
        Assert.Empty(await Search(carlos, "interns"));                             // another team's conversation
        Assert.Equal([ids["b"]], await Search(hana, "interns"));
        Assert.Equal([ids["a"]], await Search(carlos, "usera"));                   // author handle

        // Hostile syntax is searched as words, never an engine error.
        foreach (var q in new[] { "\"", "refund\"", "NEAR(refund order)", "text:refund", "refund*", "'; DROP TABLE messages; --", "a & !b | c:*", "(((", "^refund", "-refund", "😀 refund" })
        {
            var r = await carlos.GetAsync("/api/inbox/search?q=" + Uri.EscapeDataString(q));
            Assert.True(r.StatusCode is HttpStatusCode.OK or HttpStatusCode.BadRequest, $"{q}: {(int)r.StatusCode}");
        }

        Assert.Equal([ids["a"]], await Search(carlos, "\"refund\" (order"));
        Assert.Equal(HttpStatusCode.BadRequest, (await carlos.GetAsync("/api/inbox/search?q=" + new string('x', 201))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await carlos.GetAsync("/api/inbox/search?q=%20%20")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await carlos.GetAsync("/api/inbox/search?q=" + string.Join("+", Enumerable.Range(0, 20).Select(i => "w" + i)))).StatusCode);
        var huge = await carlos.GetAsync("/api/inbox/search?q=" + new string('x', 100_000));
        Assert.True(huge.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.RequestUriTooLong, $"{(int)huge.StatusCode}");

        // The page search box too.
        using var session = await InboxFixture.SignInAsync(server, InboxFixture.Carlos);
        var html = await session.Http.GetStringAsync("/inbox/all?q=" + Uri.EscapeDataString("refund\" OR"));
        Assert.Contains($"data-conversation=\"{ids["a"]}\"", html, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Agents_assign_transfer_snooze_resolve_reopen_and_every_action_is_audited(string provider)
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync(provider));
        var ids = await InboxFixture.IngestAsync(server, ("a", "my refund never arrived"), ("b", "my refund for order 55 never came"), ("c", "still waiting for my refund"));
        var id = ids["a"];
        using var carlos = await InboxFixture.SignInAsync(server, InboxFixture.Carlos);
        var fatima = await InboxFixture.UserIdAsync(server, "fatima@demo.switchboard.local");

        // UI form: assign to a teammate → notification for her.
        var r = await carlos.PostFormAsync($"/inbox/conversations/{id}/assign", ("assignee", "fatima@demo.switchboard.local"), ("returnUrl", $"/conversations/{id}"));
        Assert.Equal(HttpStatusCode.Redirect, r.StatusCode);
        Assert.DoesNotContain("notice", r.Headers.Location!.ToString(), StringComparison.Ordinal);
        await using (var conn = await server.Db.OpenAsync())
        {
            Assert.Equal(fatima, await conn.ExecuteScalarAsync<long>("SELECT assignee_id FROM conversations WHERE id = @id", new { id }));
            Assert.Equal(1, await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM notifications WHERE user_id = @fatima AND kind = 'assigned'", new { fatima }));
        }

        // Assigning to someone outside the team is refused with a reason.
        var ivanId = await InboxFixture.UserIdAsync(server, InboxFixture.Ivan);
        var bad = await carlos.SendJsonAsync(HttpMethod.Post, $"/api/inbox/conversations/{id}/assign", new { assignee = ivanId.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("not a member", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // Snooze: past and too-far times are refused; a good one sets status and time.
        Assert.Equal(HttpStatusCode.BadRequest, (await carlos.SendJsonAsync(HttpMethod.Post, $"/api/inbox/conversations/{id}/snooze", new { until = DateTimeOffset.UtcNow.AddMinutes(-1) })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await carlos.SendJsonAsync(HttpMethod.Post, $"/api/inbox/conversations/{id}/snooze", new { until = DateTimeOffset.UtcNow.AddDays(400) })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await carlos.SendJsonAsync(HttpMethod.Post, $"/api/inbox/conversations/{id}/snooze", new { until = DateTimeOffset.UtcNow.AddHours(2) })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await carlos.SendJsonAsync(HttpMethod.Post, $"/api/inbox/conversations/{id}/snooze", new { until = "not a date" })).StatusCode);

        Assert.Equal(HttpStatusCode.Redirect, (await carlos.PostFormAsync($"/inbox/conversations/{id}/resolve", ("returnUrl", "/"))).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await carlos.PostFormAsync($"/inbox/conversations/{id}/reopen", ("returnUrl", "/"))).StatusCode);

        // Transfer to another team leaves it unassigned there, and out of Carlos's scope.
        Assert.Equal(HttpStatusCode.OK, (await carlos.SendJsonAsync(HttpMethod.Post, $"/api/inbox/conversations/{id}/assign", new { team = "it" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await carlos.Http.GetAsync($"/api/conversations/{id}")).StatusCode);
        using var ivan = await InboxFixture.TokenClientAsync(server, InboxFixture.Ivan);
        var moved = await ivan.GetFromJsonAsync<JsonElement>($"/api/conversations/{id}");
        Assert.Equal("it", moved.GetProperty("conversation").GetProperty("team").GetString());
        Assert.Equal(JsonValueKind.Null, moved.GetProperty("conversation").GetProperty("assigneeId").ValueKind);

        // Bulk: one foreign id in the selection changes nothing for it and is reported.
        var bulk = await carlos.SendJsonAsync(HttpMethod.Post, "/api/inbox/bulk", new { ids = new[] { ids["b"], ids["c"], id }, action = "resolve" });
        Assert.Equal(HttpStatusCode.OK, bulk.StatusCode);
        var outcomes = (await InboxFixture.JsonAsync(bulk)).GetProperty("results").EnumerateArray().Select(x => x.GetProperty("outcome").GetString()).ToList();
        Assert.Equal(["Done", "Done", "NotFound"], outcomes);
        Assert.Equal(HttpStatusCode.BadRequest, (await carlos.SendJsonAsync(HttpMethod.Post, "/api/inbox/bulk", new { ids = Enumerable.Range(1, 201).ToArray(), action = "resolve" })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await carlos.SendJsonAsync(HttpMethod.Post, "/api/inbox/bulk", new { ids = new[] { ids["b"] }, action = "explode" })).StatusCode);
        var form = await carlos.PostFormAsync("/inbox/bulk", ("ids", $"{ids["b"]},{ids["c"]}"), ("action", "reopen"), ("returnUrl", "/inbox/all"));
        Assert.Contains("2%20of%202", form.Headers.Location!.ToString(), StringComparison.Ordinal);

        await using (var conn = await server.Db.OpenAsync())
        {
            var actions = (await conn.QueryAsync<string>("SELECT action FROM audit_log WHERE entity = 'conversation' AND entity_id = @id AND actor NOT LIKE 'system:%' ORDER BY id", new { id = id.ToString(System.Globalization.CultureInfo.InvariantCulture) })).ToList();
            Assert.Equal(["conversation.assign", "conversation.snooze", "conversation.resolve", "conversation.reopen", "conversation.assign"], actions);
            Assert.Equal(2, await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM audit_log WHERE action = 'conversation.reopen' AND actor = @a", new { a = InboxFixture.Carlos }) - 1);
        }
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Notes_with_mentions_notify_and_author_tags_and_notes_are_kept(string provider)
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync(provider));
        var ids = await InboxFixture.IngestAsync(server, ("a", "my refund never arrived"), ("b", "still no refund, second time I write"));
        using var carlos = await InboxFixture.SignInAsync(server, InboxFixture.Carlos);
        var r = await carlos.PostFormAsync($"/inbox/conversations/{ids["a"]}/notes",
            ("text", "@maria can you approve a goodwill refund? cc @fatima and @carlos and @nobody, mail me at x@carlos.example"), ("returnUrl", "/"));
        Assert.Equal(HttpStatusCode.Redirect, r.StatusCode);
        using var maria = await InboxFixture.SignInAsync(server, InboxFixture.Maria);
        var mine = await InboxFixture.JsonAsync(await maria.Http.GetAsync("/api/inbox/notifications"));
        Assert.Equal(1, mine.GetProperty("unread").GetInt64());
        Assert.Contains("goodwill", mine.GetProperty("items")[0].GetProperty("text").GetString(), StringComparison.Ordinal);
        var carlosOwn = await InboxFixture.JsonAsync(await carlos.Http.GetAsync("/api/inbox/notifications"));
        Assert.Equal(0, carlosOwn.GetProperty("unread").GetInt64());   // no self-notification

        // The menu fragment shows the count; marking read clears it.
        var fragment = await maria.Http.GetStringAsync("/inbox/fragments/notifications");
        Assert.Contains("id=\"notification-count\">1<", fragment, StringComparison.Ordinal);
        var nid = mine.GetProperty("items")[0].GetProperty("id").GetInt64();
        Assert.Equal(HttpStatusCode.NoContent, (await maria.SendJsonAsync(HttpMethod.Post, $"/api/inbox/notifications/{nid}/read", null)).StatusCode);
        Assert.Equal(0, (await InboxFixture.JsonAsync(await maria.Http.GetAsync("/api/inbox/notifications"))).GetProperty("unread").GetInt64());

        var notes = await InboxFixture.JsonAsync(await carlos.Http.GetAsync($"/api/inbox/conversations/{ids["a"]}/notes"));
        Assert.Equal(1, notes.GetArrayLength());
        Assert.Equal(HttpStatusCode.BadRequest, (await carlos.SendJsonAsync(HttpMethod.Post, $"/api/inbox/conversations/{ids["a"]}/notes", new { text = new string('x', 5000) })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await carlos.SendJsonAsync(HttpMethod.Post, $"/api/inbox/conversations/{ids["a"]}/notes", new { text = "  " })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await carlos.Http.PostAsync($"/api/inbox/conversations/{ids["a"]}/notes",
            new StringContent("{not json", System.Text.Encoding.UTF8, "application/json") { Headers = { { "RequestVerificationToken", carlos.Token } } })).StatusCode);

        // A note with markup is stored as text and rendered inert.
        await carlos.PostFormAsync($"/inbox/conversations/{ids["a"]}/notes", ("text", "<script>alert(1)</script><img src=x onerror=alert(2)>"), ("returnUrl", "/"));
        var page = await carlos.Http.GetStringAsync($"/conversations/{ids["a"]}");
        Assert.DoesNotContain("<script>alert(1)", page, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", page, StringComparison.Ordinal);

        // Author panel: tag, untag, notes, past conversations.
        long author;
        await using (var conn = await server.Db.OpenAsync())
        {
            author = await conn.ExecuteScalarAsync<long>("SELECT author_id FROM conversations WHERE id = @id", new { id = ids["a"] });
        }

        Assert.Equal(HttpStatusCode.NoContent, (await carlos.SendJsonAsync(HttpMethod.Post, $"/api/inbox/authors/{author}/tags", new { tag = "journalist" })).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await carlos.PostFormAsync($"/inbox/authors/{author}/tags", ("tag", "vip"), ("returnUrl", "/"))).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await carlos.SendJsonAsync(HttpMethod.Delete, $"/api/inbox/authors/{author}/tags/journalist", null)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await carlos.SendJsonAsync(HttpMethod.Post, $"/api/inbox/authors/{author}/tags", new { tag = "=cmd|' /C calc'!A0" })).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await carlos.SendJsonAsync(HttpMethod.Post, $"/api/inbox/authors/{author}/notes", new { text = "prefers DMs" })).StatusCode);
        var panel = await InboxFixture.JsonAsync(await carlos.Http.GetAsync($"/api/inbox/authors/{author}"));
        Assert.Equal(["vip"], panel.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal("prefers DMs", panel.GetProperty("notes")[0].GetProperty("text").GetString());
        Assert.True(panel.GetProperty("past").GetArrayLength() >= 1);
        Assert.Contains("aria-pressed=\"true\"", await carlos.Http.GetStringAsync($"/conversations/{ids["a"]}"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_escalated_conversation_offers_acknowledge_under_its_heading_to_those_who_may_act()
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync("sqlite"));
        var ids = await InboxFixture.IngestAsync(server, ("esc", "my refund never arrived"), ("calm", "my order is late again"));
        await using (var conn = await server.Db.OpenAsync())
        {
            await conn.ExecuteAsync("UPDATE conversations SET escalation_level = 2 WHERE id = @id", new { id = ids["esc"] });
        }

        using var maria = await InboxFixture.SignInAsync(server, InboxFixture.Maria);
        using var erin = await InboxFixture.SignInAsync(server, InboxFixture.Erin);
        // The notice sits in the heading, before the thread, and only the escalated conversation has one.
        static string Heading(string page) => page[..page.IndexOf("id=\"thread\"", StringComparison.Ordinal)];
        var before = Heading(await maria.Http.GetStringAsync($"/conversations/{ids["esc"]}"));
        Assert.Contains("Escalated to level 2", before, StringComparison.Ordinal);
        Assert.Contains("id=\"acknowledge-button\"", before, StringComparison.Ordinal);
        Assert.DoesNotContain("escalation-notice", await maria.Http.GetStringAsync($"/conversations/{ids["calm"]}"), StringComparison.Ordinal);
        // An analyst reads the escalation but has no button to press (the endpoint would refuse her anyway).
        var analyst = Heading(await erin.Http.GetStringAsync($"/conversations/{ids["esc"]}"));
        Assert.Contains("Escalated to level 2", analyst, StringComparison.Ordinal);
        Assert.DoesNotContain("acknowledge-button", analyst, StringComparison.Ordinal);

        // Back to the page the button was on; a returnUrl off this site falls back to the conversation.
        var ack = await maria.PostFormAsync($"/inbox/conversations/{ids["esc"]}/acknowledge", ("returnUrl", $"/conversations/{ids["esc"]}?queue=escalated"));
        Assert.Equal(HttpStatusCode.Redirect, ack.StatusCode);
        Assert.Equal($"/conversations/{ids["esc"]}?queue=escalated", ack.Headers.Location!.OriginalString);
        var offsite = await maria.PostFormAsync($"/inbox/conversations/{ids["esc"]}/acknowledge", ("returnUrl", "//evil.example/"));
        Assert.Equal($"/conversations/{ids["esc"]}", offsite.Headers.Location!.OriginalString);
        var after = Heading(await maria.Http.GetStringAsync($"/conversations/{ids["esc"]}"));
        Assert.Contains("acknowledged", after, StringComparison.Ordinal);
        Assert.DoesNotContain("acknowledge-button", after, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_author_card_lists_the_authors_other_conversations_but_not_the_one_being_read()
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync("sqlite"));
        // Two separate conversations by one author (neither replies to the other), and a third author's.
        var ids = await InboxFixture.IngestAsync(server, ("solo", "thanks for the quick help"));
        using (var admin = await server.AdminClientAsync())
        {
            var body = string.Join('\n',
                JsonSerializer.Serialize(new { id = "first", channel = "mastodon", text = "my refund never arrived", created_at = "2026-11-20T10:00:00Z", author = new { id = "same", handle = "repeat" } }),
                JsonSerializer.Serialize(new { id = "second", channel = "mastodon", text = "still no refund, a week later", created_at = "2026-11-27T10:00:00Z", author = new { id = "same", handle = "repeat" } }));
            (await admin.PostAsync("/api/posts", new StringContent(body, System.Text.Encoding.UTF8, "application/x-ndjson"))).EnsureSuccessStatusCode();
        }

        long first, second;
        await using (var conn = await server.Db.OpenAsync())
        {
            first = await conn.ExecuteScalarAsync<long>("SELECT conversation_id FROM messages WHERE external_id = 'first'");
            second = await conn.ExecuteScalarAsync<long>("SELECT conversation_id FROM messages WHERE external_id = 'second'");
        }

        Assert.NotEqual(first, second);
        using var maria = await InboxFixture.SignInAsync(server, InboxFixture.Maria);
        // The author card: from its extras to the labels card that follows it.
        static string Card(string page)
        {
            var from = page.IndexOf("id=\"author-extra\"", StringComparison.Ordinal);
            Assert.True(from >= 0, "no author card");
            return page[from..page.IndexOf("labels-card", from, StringComparison.Ordinal)];
        }

        var reading = Card(await maria.Http.GetStringAsync($"/conversations/{second}"));
        Assert.Contains($"href=\"/conversations/{first}\"", reading, StringComparison.Ordinal);
        Assert.DoesNotContain($"href=\"/conversations/{second}\"", reading, StringComparison.Ordinal);

        var alone = Card(await maria.Http.GetStringAsync($"/conversations/{ids["solo"]}"));
        Assert.DoesNotContain("href=\"/conversations/", alone, StringComparison.Ordinal);
        Assert.Contains("the first conversation with this author", alone, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Audit_trail_filters_and_exports_formula_safe_csv()
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync("sqlite"));
        var ids = await InboxFixture.IngestAsync(server, ("a", "my refund never arrived"));
        using var carlos = await InboxFixture.SignInAsync(server, InboxFixture.Carlos);
        await carlos.PostFormAsync($"/inbox/conversations/{ids["a"]}/notes", ("text", "=HYPERLINK(\"http://evil\",\"x\"), \"quoted\"\nnew line"), ("returnUrl", "/"));
        await carlos.PostFormAsync($"/inbox/conversations/{ids["a"]}/resolve", ("returnUrl", "/"));
        using var maria = await InboxFixture.SignInAsync(server, InboxFixture.Maria);

        var all = await InboxFixture.JsonAsync(await maria.Http.GetAsync("/api/audit?actor=" + Uri.EscapeDataString(InboxFixture.Carlos)));
        Assert.Equal(["conversation.resolve", "note.add"], all.EnumerateArray().Select(e => e.GetProperty("action").GetString()));
        var family = await InboxFixture.JsonAsync(await maria.Http.GetAsync("/api/audit?action=conversation."));
        Assert.All(family.EnumerateArray(), e => Assert.StartsWith("conversation.", e.GetProperty("action").GetString(), StringComparison.Ordinal));
        var future = await InboxFixture.JsonAsync(await maria.Http.GetAsync("/api/audit?from=2999-01-01"));
        Assert.Equal(0, future.GetArrayLength());
        Assert.Equal(HttpStatusCode.BadRequest, (await maria.Http.GetAsync("/api/audit?from=yesterday-ish")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await maria.Http.GetAsync("/audit/export.csv?actor=" + new string('a', 300))).StatusCode);

        var csv = await maria.Http.GetAsync("/audit/export.csv?action=note.add");
        Assert.Equal("text/csv", csv.Content.Headers.ContentType!.MediaType);
        var text = await csv.Content.ReadAsStringAsync();
        var lines = text.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("id,at_utc,actor_id,actor,action,entity,entity_id,before,after", lines[0], StringComparison.Ordinal);
        Assert.Contains(",note.add,conversation,", text, StringComparison.Ordinal);
        Assert.DoesNotContain(",=HYPERLINK", text, StringComparison.Ordinal);
        Assert.DoesNotContain(",\"=", text, StringComparison.Ordinal);

        var page = await maria.Http.GetStringAsync("/audit?actor=" + Uri.EscapeDataString(InboxFixture.Carlos));
        Assert.Contains("conversation.resolve", page, StringComparison.Ordinal);

        // The stored JSON is for people: apostrophes stay apostrophes ("\u0027" hid the words), and markup in it is
        // still only text on the page.
        await carlos.PostFormAsync($"/inbox/conversations/{ids["a"]}/notes", ("text", "it's <script>alert(3)</script>"), ("returnUrl", "/"));
        var notes = await InboxFixture.JsonAsync(await maria.Http.GetAsync("/api/audit?action=note.add"));
        Assert.Contains(notes.EnumerateArray(), e => e.GetProperty("after").GetString()!.Contains("it's <script>", StringComparison.Ordinal));
        var notesPage = await maria.Http.GetStringAsync("/audit?action=note.add");
        Assert.DoesNotContain("\\u0027", notesPage, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>alert(3)", notesPage, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, (await maria.Http.GetAsync("/audit?to=not-a-time")).StatusCode);
    }
}
