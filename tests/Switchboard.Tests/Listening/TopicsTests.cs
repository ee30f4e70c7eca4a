using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Dapper;
using Switchboard.Auth;
using Switchboard.Demo;
using Switchboard.Listening;
using Switchboard.Tests.Infrastructure;
using Xunit;

namespace Switchboard.Tests.Listening;

/// <summary>Listening topics in the product: pipeline matches, backfill, pause, the API and the inbox filter.</summary>
public partial class TopicsTests
{
    private static StringContent Jsonl(params string[] lines) => new(string.Join('\n', lines), Encoding.UTF8, "application/x-ndjson");

    internal static string Post(string id, string text, string? reply = null, string created = "2026-11-22T10:00:00Z") =>
        JsonSerializer.Serialize(new { id, channel = "mastodon", text, created_at = created, in_reply_to = reply, author = new { id = "u" + id, handle = "user" + id } });

    private static async Task<JsonElement> CreateTopicAsync(HttpClient api, string name, string query)
    {
        var response = await api.PostAsJsonAsync("/api/topics", new { name, query });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    /// <summary>Waits until the topic's backfill for its current version is done, and returns the topic.</summary>
    internal static async Task<JsonElement> BackfilledAsync(HttpClient api, long id)
    {
        var deadline = DateTimeOffset.UtcNow.AddSeconds(30);
        while (true)
        {
            var topic = await api.GetFromJsonAsync<JsonElement>($"/api/topics/{id}");
            if (!topic.GetProperty("backfilling").GetBoolean())
            {
                return topic;
            }

            Assert.True(DateTimeOffset.UtcNow < deadline, "backfill did not finish within 30 s");
            await Task.Delay(100);
        }
    }

    private static async Task<List<string>> SubjectsAsync(HttpClient api, string query) =>
        [.. (await api.GetFromJsonAsync<JsonElement>("/api/conversations?" + query)).GetProperty("items").EnumerateArray()
            .Select(i => i.GetProperty("subject").GetString()!).Order(StringComparer.Ordinal)];

    private static async Task<HttpClient> ClientForAsync(RunningServer server, string email)
    {
        await DemoWorkspace.SeedAsync(server.Db, TimeProvider.System);
        await using var conn = await server.Db.OpenAsync();
        var user = await Users.FindAsync(conn, email);
        return server.Client(await ApiTokens.CreateAsync(conn, user!.Id, "test", TimeProvider.System));
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task New_posts_record_the_topics_they_match_and_the_api_filters_by_topic(string provider)
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync(provider));
        using var api = await server.AdminClientAsync();
        var refunds = await CreateTopicAsync(api, "Refunds", "refund* NOT #ad");
        var acme = await CreateTopicAsync(api, "Acme", "\"acme air\" OR @acmeair");
        var refundsId = refunds.GetProperty("id").GetInt64();
        var acmeId = acme.GetProperty("id").GetInt64();
        await BackfilledAsync(api, refundsId);

        var stored = await api.PostAsync("/api/posts", Jsonl(
            Post("p1", "Acme Air still owes me a refund"),
            Post("p2", "refunds are slow #ad"),
            Post("p3", "lovely flight today"),
            Post("p4", "@AcmeAir where is my bag?"),
            Post("r1", "any refund yet?", reply: "p3", created: "2026-11-22T10:05:00Z")));
        Assert.Equal(HttpStatusCode.OK, stored.StatusCode);

        Assert.Equal(2, (await api.GetFromJsonAsync<JsonElement>($"/api/topics/{refundsId}")).GetProperty("matchCount").GetInt64());
        Assert.Equal(2, (await api.GetFromJsonAsync<JsonElement>($"/api/topics/{acmeId}")).GetProperty("matchCount").GetInt64());
        // The reply r1 matched, so its whole conversation (rooted at p3) is in the topic.
        Assert.Equal(["Acme Air still owes me a refund", "lovely flight today"], await SubjectsAsync(api, $"topic={refundsId}"));
        Assert.Equal(["@AcmeAir where is my bag?", "Acme Air still owes me a refund"], await SubjectsAsync(api, $"topic={acmeId}"));
        Assert.Empty(await SubjectsAsync(api, "topic=999999"));
        Assert.Equal(HttpStatusCode.BadRequest, (await api.GetAsync("/api/conversations?topic=abc")).StatusCode);

        await using var conn = await server.Db.OpenAsync();
        var rows = (await conn.QueryAsync<(string, long)>(
            "SELECT m.external_id, mt.topic_id FROM message_topics mt JOIN messages m ON m.id = mt.message_id ORDER BY m.external_id, mt.topic_id")).ToList();
        Assert.Equal([("p1", refundsId), ("p1", acmeId), ("p4", acmeId), ("r1", refundsId)], rows);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Creating_a_topic_backfills_history_and_editing_it_replaces_the_old_matches(string provider)
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync(provider));
        using var api = await server.AdminClientAsync();
        await api.PostAsync("/api/posts", Jsonl(
            Post("a", "my luggage is lost"),
            Post("b", "lost luggage again, third time"),
            Post("c", "the crew was great"),
            Post("d", "great crew and great food")));

        var topic = await CreateTopicAsync(api, "Bags", "luggage");
        var id = topic.GetProperty("id").GetInt64();
        var done = await BackfilledAsync(api, id);
        Assert.Equal(2, done.GetProperty("matchCount").GetInt64());
        Assert.Equal(["lost luggage again, third time", "my luggage is lost"], await SubjectsAsync(api, $"topic={id}"));

        var edited = await api.PutAsJsonAsync($"/api/topics/{id}", new { name = "Crew", query = "crew NEAR/2 great" });
        Assert.Equal(HttpStatusCode.OK, edited.StatusCode);
        Assert.Equal(2, (await edited.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("version").GetInt64());
        done = await BackfilledAsync(api, id);
        Assert.Equal(2, done.GetProperty("matchCount").GetInt64());
        Assert.Equal("Crew", done.GetProperty("name").GetString());
        Assert.Equal(["great crew and great food", "the crew was great"], await SubjectsAsync(api, $"topic={id}"));

        // Renaming alone keeps the version: nothing to re-scan.
        var renamed = await api.PutAsJsonAsync($"/api/topics/{id}", new { name = "Cabin crew", query = "crew NEAR/2 great" });
        Assert.Equal(2, (await renamed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("version").GetInt64());

        await using var conn = await server.Db.OpenAsync();
        var audit = (await conn.QueryAsync<string>("SELECT action FROM audit_log WHERE entity = 'topic' AND actor_id IS NOT NULL ORDER BY id")).ToList();
        Assert.Equal(["topic.create", "topic.update", "topic.update"], audit);
        var backfills = await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM audit_log WHERE action = 'topic.backfill' AND actor = 'system:listening'");
        Assert.Equal(2, backfills);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Pausing_stops_matching_new_posts_and_deleting_removes_the_topic_and_its_matches(string provider)
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync(provider));
        using var api = await server.AdminClientAsync();
        var id = (await CreateTopicAsync(api, "Delays", "delay*")).GetProperty("id").GetInt64();
        await BackfilledAsync(api, id);
        await api.PostAsync("/api/posts", Jsonl(Post("1", "delayed again")));
        Assert.Equal(HttpStatusCode.OK, (await api.PostAsync($"/api/topics/{id}/pause", null)).StatusCode);
        await api.PostAsync("/api/posts", Jsonl(Post("2", "another delay")));
        var paused = await api.GetFromJsonAsync<JsonElement>($"/api/topics/{id}");
        Assert.Equal("paused", paused.GetProperty("status").GetString());
        Assert.Equal(1, paused.GetProperty("matchCount").GetInt64());

        Assert.Equal(HttpStatusCode.OK, (await api.PostAsync($"/api/topics/{id}/resume", null)).StatusCode);
        await api.PostAsync("/api/posts", Jsonl(Post("3", "delays everywhere")));
        Assert.Equal(2, (await api.GetFromJsonAsync<JsonElement>($"/api/topics/{id}")).GetProperty("matchCount").GetInt64());

        Assert.Equal(HttpStatusCode.NoContent, (await api.DeleteAsync($"/api/topics/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await api.GetAsync($"/api/topics/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await api.DeleteAsync($"/api/topics/{id}")).StatusCode);
        await using var conn = await server.Db.OpenAsync();
        Assert.Equal(0, await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM message_topics"));
        await api.PostAsync("/api/posts", Jsonl(Post("4", "delayed once more")));
        Assert.Equal(0, await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM message_topics"));
        var audit = (await conn.QueryAsync<string>("SELECT action FROM audit_log WHERE entity = 'topic' AND actor_id IS NOT NULL ORDER BY id")).ToList();
        Assert.Equal(["topic.create", "topic.pause", "topic.resume", "topic.delete"], audit);
    }

    [Fact]
    public async Task Invalid_oversized_and_hostile_queries_are_refused_with_column_and_reason()
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync("sqlite"));
        using var api = await server.AdminClientAsync();

        async Task<JsonElement> Refused(HttpResponseMessage r, HttpStatusCode status = HttpStatusCode.BadRequest)
        {
            Assert.Equal(status, r.StatusCode);
            return await r.Content.ReadFromJsonAsync<JsonElement>();
        }

        var unbalanced = await Refused(await api.PostAsJsonAsync("/api/topics", new { name = "x", query = "acme AND (refund OR broken" }));
        Assert.Equal(10, unbalanced.GetProperty("column").GetInt32());
        Assert.Contains("parenthesis", unbalanced.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Contains("column 10", unbalanced.GetProperty("detail").GetString(), StringComparison.Ordinal);

        var notOnly = await Refused(await api.PostAsJsonAsync("/api/topics", new { name = "x", query = "NOT spam" }));
        Assert.Equal("a query needs at least one positive term", notOnly.GetProperty("reason").GetString());
        var wildcard = await Refused(await api.PostAsJsonAsync("/api/topics", new { name = "x", query = "acme re*" }));
        Assert.Equal(6, wildcard.GetProperty("column").GetInt32());

        var oversized = await Refused(await api.PostAsJsonAsync("/api/topics", new { name = "x", query = string.Join(" OR ", Enumerable.Repeat("acme", 1000)) }));
        Assert.Contains("longer than", oversized.GetProperty("reason").GetString(), StringComparison.Ordinal);
        var deep = new string('(', 40) + "acme" + new string(')', 40);
        Assert.True((await Refused(await api.PostAsJsonAsync("/api/topics", new { name = "x", query = deep }))).GetProperty("column").GetInt32() > 0);
        var manyTerms = string.Join(" OR ", Enumerable.Range(0, 400).Select(i => "w" + i));
        await Refused(await api.PostAsJsonAsync("/api/topics", new { name = "x", query = manyTerms }));
        await Refused(await api.PostAsJsonAsync("/api/topics", new { name = "", query = "acme" }));
        await Refused(await api.PostAsJsonAsync("/api/topics", new { name = new string('n', 101), query = "acme" }));
        await Refused(await api.PostAsJsonAsync("/api/topics", new { name = "bell\u0007", query = "acme" }));
        // Unreadable bodies are refused by the framework's binding (a 400 without our problem details).
        Assert.Equal(HttpStatusCode.BadRequest, (await api.PostAsync("/api/topics", new StringContent("{not json", Encoding.UTF8, "application/json"))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await api.PostAsync("/api/topics", new StringContent("[1,2]", Encoding.UTF8, "application/json"))).StatusCode);

        await CreateTopicAsync(api, "Acme", "acme");
        await Refused(await api.PostAsJsonAsync("/api/topics", new { name = "ACME", query = "acme" }), HttpStatusCode.Conflict);
        var other = (await CreateTopicAsync(api, "Other", "other")).GetProperty("id").GetInt64();
        await Refused(await api.PutAsJsonAsync($"/api/topics/{other}", new { name = "acme", query = "other" }), HttpStatusCode.Conflict);
        await Refused(await api.PutAsJsonAsync($"/api/topics/{other}", new { name = "Other", query = "other AND (" }));
        await Refused(await api.PutAsJsonAsync("/api/topics/424242", new { name = "Nope", query = "acme" }), HttpStatusCode.NotFound);
        await Refused(await api.PostAsync("/api/topics/424242/pause", null), HttpStatusCode.NotFound);

        // Preview: the same errors while typing, bounded limits, and a hostile but valid query still answers.
        var preview = await Refused(await api.PostAsJsonAsync("/api/topics/preview", new { query = "\"acme support" }));
        Assert.True(preview.GetProperty("column").GetInt32() >= 1);
        await Refused(await api.PostAsJsonAsync("/api/topics/preview", new { query = "acme", limit = 100_000 }));
        await Refused(await api.PostAsJsonAsync("/api/topics/preview", new { query = deep }));
        await api.PostAsync("/api/posts", Jsonl([.. Enumerable.Range(0, 300).Select(i => Post("h" + i, string.Join(' ', Enumerable.Repeat("the my to flight", 50))))]));
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var hostile = await api.PostAsJsonAsync("/api/topics/preview", new { query = "(the OR my OR to) NEAR/100 (flight OR the*) AND NOT \"the the the\"" });
        Assert.Equal(HttpStatusCode.OK, hostile.StatusCode);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"hostile preview took {watch.Elapsed}");
        Assert.Equal(2, (await api.GetFromJsonAsync<JsonElement>("/api/topics")).GetArrayLength());
    }

    [Fact]
    public async Task The_preview_counts_recent_matches_and_highlights_the_matched_terms()
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync("sqlite"));
        using var api = await server.AdminClientAsync();
        await api.PostAsync("/api/posts", Jsonl(
            Post("1", "Is #Acme support open? I need a refund."),
            Post("2", "acme is fine"),
            Post("3", "refund please")));
        var result = await api.PostAsJsonAsync("/api/topics/preview", new { query = "(acme OR #acme) AND refund*" });
        Assert.Equal(HttpStatusCode.OK, result.StatusCode);
        var body = await result.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(3, body.GetProperty("scanned").GetInt32());
        Assert.Equal(1, body.GetProperty("matchCount").GetInt32());
        var segments = body.GetProperty("posts")[0].GetProperty("segments").EnumerateArray()
            .Select(s => (s.GetProperty("text").GetString(), s.GetProperty("hit").GetBoolean())).ToList();
        Assert.Equal("Is #Acme support open? I need a refund.", string.Concat(segments.Select(s => s.Item1)));
        Assert.Equal(["#Acme", "refund"], segments.Where(s => s.Item2).Select(s => s.Item1));
    }

    [Fact]
    public async Task Agents_and_analysts_can_read_topics_but_not_change_them()
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync("sqlite"));
        using var admin = await server.AdminClientAsync();
        var id = (await CreateTopicAsync(admin, "Acme", "acme")).GetProperty("id").GetInt64();
        using var manager = await ClientForAsync(server, "maria@demo.switchboard.local");
        Assert.Equal(HttpStatusCode.Created, (await manager.PostAsJsonAsync("/api/topics", new { name = "By manager", query = "acme" })).StatusCode);

        foreach (var email in new[] { "carlos@demo.switchboard.local", "erin@demo.switchboard.local" })
        {
            using var user = await ClientForAsync(server, email);
            Assert.Equal(HttpStatusCode.OK, (await user.GetAsync("/api/topics")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await user.GetAsync($"/api/topics/{id}")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await user.PostAsJsonAsync("/api/topics/preview", new { query = "acme" })).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await user.PostAsJsonAsync("/api/topics", new { name = "Mine", query = "acme" })).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await user.PutAsJsonAsync($"/api/topics/{id}", new { name = "Mine", query = "acme" })).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await user.PostAsync($"/api/topics/{id}/pause", null)).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await user.DeleteAsync($"/api/topics/{id}")).StatusCode);
        }

        using var anon = server.Client();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anon.GetAsync("/api/topics")).StatusCode);
        var topic = await admin.GetFromJsonAsync<JsonElement>($"/api/topics/{id}");
        Assert.Equal("Acme", topic.GetProperty("name").GetString());
        Assert.Equal("active", topic.GetProperty("status").GetString());
        Assert.Contains("/api/topics/preview", await anon.GetStringAsync("/openapi/v1.json"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_inbox_filters_conversations_by_topic_and_shows_topic_names_on_messages()
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync("sqlite"));
        using var api = await server.AdminClientAsync();
        var id = (await CreateTopicAsync(api, "Lost bags", "luggage OR bag*")).GetProperty("id").GetInt64();
        await api.PostAsync("/api/posts", Jsonl(Post("1", "they lost my luggage"), Post("2", "great lounge")));

        using var browser = await SignInAsync(server, "carlos@demo.switchboard.local");
        var all = await browser.GetStringAsync("/inbox/all");
        Assert.Contains("great lounge", all, StringComparison.Ordinal);
        Assert.Contains("Lost bags", all, StringComparison.Ordinal); // the selector
        var filtered = await browser.GetStringAsync($"/inbox/all?topic={id}");
        Assert.Contains("they lost my luggage", filtered, StringComparison.Ordinal);
        Assert.DoesNotContain("great lounge", filtered, StringComparison.Ordinal);
        Assert.Contains($"data-topic=\"{id}\"", filtered, StringComparison.Ordinal);
        var fragment = await browser.GetStringAsync($"/inbox/fragments/list?queue=all&topic={id}");
        Assert.Contains("they lost my luggage", fragment, StringComparison.Ordinal);
        Assert.DoesNotContain("great lounge", fragment, StringComparison.Ordinal);
        Assert.Contains("they lost my luggage", await browser.GetStringAsync("/inbox/all?topic=not-a-number"), StringComparison.Ordinal);

        var conversation = (await api.GetFromJsonAsync<JsonElement>($"/api/conversations?topic={id}")).GetProperty("items")[0].GetProperty("id").GetInt64();
        var view = await browser.GetStringAsync($"/conversations/{conversation}");
        Assert.Matches(new Regex("class=\"tag topic\"[^>]*>Lost bags<"), view);

        // An agent sees the topics page without the buttons that change topics.
        var page = await browser.GetStringAsync("/topics");
        Assert.Contains("Lost bags", page, StringComparison.Ordinal);
        Assert.DoesNotContain("New topic", page, StringComparison.Ordinal);
    }

    /// <summary>Signs in through the login form (with its antiforgery token), as a browser would; the client keeps the cookie.</summary>
    internal static async Task<HttpClient> SignInAsync(RunningServer server, string email)
    {
        await DemoWorkspace.SeedAsync(server.Db, TimeProvider.System);
        var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = true, UseCookies = true }) { BaseAddress = server.Address };
        var login = await client.GetStringAsync("/login");
        var token = AntiforgeryField().Match(login).Groups[1].Value;
        var response = await client.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["email"] = email,
            ["password"] = DemoWorkspace.Password,
            ["__RequestVerificationToken"] = WebUtility.HtmlDecode(token),
        }));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain("/login", response.RequestMessage!.RequestUri!.AbsolutePath, StringComparison.Ordinal);
        return client;
    }

    [GeneratedRegex("<input[^>]*name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}
