using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dapper;
using Switchboard.Tests.Infrastructure;
using Xunit;

namespace Switchboard.Tests.Ingest;

/// <summary>
/// A post carrying U+0000 was a poison message on PostgreSQL: the insert failed and the group commit took every other
/// post of its batch down with it (HTTP 500 for all, on every retry). An escaped unpaired surrogate was a 500 on both.
/// </summary>
public class PoisonPostTests
{
    static string Line(string id, string text, string? reply = null, string name = "Nora") => JsonSerializer.Serialize(new
    {
        id,
        channel = "mastodon",
        text,
        created_at = "2026-11-22T10:00:00Z",
        in_reply_to = reply,
        author = new { id = "u-" + name, handle = name.ToLowerInvariant(), name },
    });

    [Theory]
    [MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_nul_character_is_stored_as_a_replacement_and_the_rest_of_the_batch_flows_on(string provider)
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync(provider));
        using var admin = await server.AdminClientAsync();
        var body = string.Join('\n',
            Line("ok-1", "my refund never arrived"),
            Line("nul\u0000id", "hello \u0000 world", name: "No\u0000ra"),
            Line("nul", "the same id without the NUL is another post"),
            Line("reply-1", "any news?", reply: "nul\u0000id"),
            Line("ok-2", "still waiting"));

        var first = await admin.PostAsync("/api/posts", new StringContent(body, Encoding.UTF8, "application/x-ndjson"));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(5, (await first.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("stored").GetInt32());

        await using var conn = await server.Db.OpenAsync();
        var stored = (await conn.QueryAsync<(string ExternalId, string Text, long ConversationId)>(
            "SELECT external_id, text, conversation_id FROM messages ORDER BY id")).ToList();
        Assert.Equal(5, stored.Count);
        var nul = stored.Single(m => m.ExternalId == "nul\uFFFDid");
        Assert.Equal("hello \uFFFD world", nul.Text);
        Assert.Contains(stored, m => m.ExternalId == "nul");
        Assert.Equal(nul.ConversationId, stored.Single(m => m.ExternalId == "reply-1").ConversationId); // threaded under it
        Assert.Equal(1L, await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM authors WHERE name = @n", new { n = "No\uFFFDra" }));

        // A retried delivery (the provider did not hear back) is recognised: the same ids, nothing stored twice.
        var again = await admin.PostAsync("/api/posts", new StringContent(body, Encoding.UTF8, "application/x-ndjson"));
        var retried = await again.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((0, 5), (retried.GetProperty("stored").GetInt32(), retried.GetProperty("duplicates").GetInt32()));
        Assert.Equal(5L, await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM messages"));
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Keys_longer_than_an_index_can_hold_are_stored_by_digest_and_stay_distinct_and_threaded(string provider)
    {
        // A connector builds posts itself (an RSS channel is "rss:" + the feed URL, an id can be a link): an unbounded,
        // incompressible key exceeded PostgreSQL's index row limit and failed the whole batch.
        var seed = Environment.TickCount;
        Console.WriteLine($"seed {seed}");
        var random = new Random(seed);
        string Noise(int n) => new([.. Enumerable.Range(0, n).Select(_ => (char)random.Next(0x4E00, 0x9FFF))]);
        var channel = "rss:https://example.test/" + Noise(3000);
        var longId = Noise(4000);
        var twin = longId[..600] + Noise(3400);                 // same start, different end: another post
        var posts = new[]
        {
            new Switchboard.Posts.Post("plain", "mastodon", "an ordinary post in the same batch"),
            new Switchboard.Posts.Post(longId, channel, "the article", Author: new Switchboard.Posts.Author(Noise(3000), Noise(3000), "Ann")),
            new Switchboard.Posts.Post(twin, channel, "another article"),
            new Switchboard.Posts.Post("comment-1", channel, "a comment on the article", InReplyTo: longId),
        };
        var db = await TestDatabases.CreateMigratedAsync(provider);
        await using var conn = await db.OpenAsync();
        var first = await Switchboard.Ingest.IngestBatch.WriteAsync(db, conn, posts, TimeProvider.System, CancellationToken.None);
        Assert.All(first.Outcomes, o => Assert.Equal(Switchboard.Ingest.IngestOutcome.Stored, o));
        var again = await Switchboard.Ingest.IngestBatch.WriteAsync(db, conn, posts, TimeProvider.System, CancellationToken.None);
        Assert.All(again.Outcomes, o => Assert.Equal(Switchboard.Ingest.IngestOutcome.Duplicate, o));

        var rows = (await conn.QueryAsync<(string Channel, string ExternalId, long ConversationId)>(
            "SELECT channel, external_id, conversation_id FROM messages ORDER BY id")).ToList();
        Assert.Equal(4, rows.Count);
        Assert.All(rows, r => Assert.True(r.Channel.Length <= 200 && r.ExternalId.Length <= 512, $"{r.Channel.Length} / {r.ExternalId.Length}"));
        Assert.NotEqual(rows[1].ExternalId, rows[2].ExternalId);
        Assert.Equal(rows[1].ConversationId, rows[3].ConversationId);   // the comment is threaded under the article
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_post_that_always_fails_lets_the_rest_flow_and_is_parked_after_three_tries(string provider)
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync(provider));
        using var admin = await server.AdminClientAsync();
        await PoisonAsync(server, provider);

        var body = string.Join('\n', Line("ok-1", "my refund never arrived"), Line("bad", "POISON"), Line("ok-2", "still waiting"));
        async Task<HttpResponseMessage> Deliver() => await admin.PostAsync("/api/posts", new StringContent(body, Encoding.UTF8, "application/x-ndjson"));

        // First and second delivery: the poison fails (the provider will retry), the others are stored once.
        Assert.Equal(HttpStatusCode.InternalServerError, (await Deliver()).StatusCode);
        Assert.Equal(HttpStatusCode.InternalServerError, (await Deliver()).StatusCode);
        await using var db = await server.Db.OpenAsync();
        Assert.Equal(["ok-1", "ok-2"], (await db.QueryAsync<string>("SELECT external_id FROM messages ORDER BY external_id")).ToArray());

        // Third: parked. The delivery is answered, so the provider stops; an admin sees it with its error.
        var third = await Deliver();
        Assert.Equal(HttpStatusCode.OK, third.StatusCode);
        var answer = await third.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((0, 2, 1), (answer.GetProperty("stored").GetInt32(), answer.GetProperty("duplicates").GetInt32(), answer.GetProperty("deadLettered").GetInt32()));
        var parked = (await admin.GetFromJsonAsync<JsonElement>("/api/dead-letters")).EnumerateArray().Single();
        Assert.Equal(("bad", 3), (parked.GetProperty("externalId").GetString(), parked.GetProperty("attempts").GetInt32()));
        Assert.Contains("injected fault", parked.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.NotEqual(JsonValueKind.Null, parked.GetProperty("parkedAt").ValueKind);
        Assert.Contains("POISON", parked.GetProperty("post").GetString(), StringComparison.Ordinal);

        // Ingestion goes on, and only admins read the parked posts.
        var next = await admin.PostAsync("/api/posts", new StringContent(Line("ok-3", "hello again"), Encoding.UTF8, "application/x-ndjson"));
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        using var carlos = await server.ClientForAsync("carlos@demo.switchboard.local");
        Assert.Equal(HttpStatusCode.Forbidden, (await carlos.GetAsync("/api/dead-letters")).StatusCode);
    }

    /// <summary>A real fault in the real database: a trigger refuses any text with POISON in it, as an unknown bug would.</summary>
    static async Task PoisonAsync(RunningServer server, string provider)
    {
        await using var conn = await server.Db.OpenAsync();
        await conn.ExecuteAsync(provider == "sqlite"
            ? "CREATE TRIGGER poison BEFORE INSERT ON messages WHEN NEW.text LIKE '%POISON%' BEGIN SELECT RAISE(ABORT, 'injected fault'); END"
            : """
              CREATE FUNCTION poison() RETURNS trigger AS $$ BEGIN IF NEW.text LIKE '%POISON%' THEN RAISE EXCEPTION 'injected fault'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql;
              CREATE TRIGGER poison BEFORE INSERT ON messages FOR EACH ROW EXECUTE FUNCTION poison();
              """);
    }

    static async Task CureAsync(RunningServer server, string provider)
    {
        await using var conn = await server.Db.OpenAsync();
        await conn.ExecuteAsync(provider == "sqlite" ? "DROP TRIGGER poison" : "DROP TRIGGER poison ON messages");
    }

    static async Task ParkAsync(HttpClient admin, string id, string text)
    {
        for (var i = 0; i < Switchboard.Ingest.DeadLetters.MaxAttempts; i++)
        {
            await admin.PostAsync("/api/posts", new StringContent(Line(id, text), Encoding.UTF8, "application/x-ndjson"));
        }
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task An_admin_retries_a_parked_post_once_the_fault_is_fixed_and_discards_another(string provider)
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync(provider));
        using var admin = await server.AdminClientAsync();
        await PoisonAsync(server, provider);
        await ParkAsync(admin, "bad", "POISON one");
        await ParkAsync(admin, "bad-2", "POISON two");
        Assert.Equal(2, (await admin.GetFromJsonAsync<JsonElement>("/api/dead-letters")).GetArrayLength());

        // Bad requests name what is missing or unknown; agents may not touch dead letters.
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PostAsync("/api/dead-letters/retry?channel=mastodon", null)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PostAsync($"/api/dead-letters/retry?channel=mastodon&id={new string('x', 601)}", null)).StatusCode);
        var unknown = await admin.PostAsync("/api/dead-letters/retry?channel=mastodon&id=nope", null);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("no dead letter mastodon/nope", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var carlos = await server.ClientForAsync("carlos@demo.switchboard.local");
        Assert.Equal(HttpStatusCode.Forbidden, (await carlos.PostAsync("/api/dead-letters/retry?channel=mastodon&id=bad", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await carlos.DeleteAsync("/api/dead-letters?channel=mastodon&id=bad")).StatusCode);

        // While the fault is there, a retry fails with its reason and the letter stays, one attempt more.
        var early = await admin.PostAsync("/api/dead-letters/retry?channel=mastodon&id=bad", null);
        Assert.Equal(HttpStatusCode.Conflict, early.StatusCode);
        Assert.Contains("injected fault", await early.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var letters = (await admin.GetFromJsonAsync<JsonElement>("/api/dead-letters")).EnumerateArray().ToList();
        Assert.Equal(Switchboard.Ingest.DeadLetters.MaxAttempts + 1, letters.Single(l => l.GetProperty("externalId").GetString() == "bad").GetProperty("attempts").GetInt32());

        // Fixed: the retry stores the post through the ordinary path (it is in the inbox) and the letter goes.
        await CureAsync(server, provider);
        var retried = await admin.PostAsync("/api/dead-letters/retry?channel=mastodon&id=bad", null);
        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        Assert.Equal("stored", (await retried.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("outcome").GetString());
        await using var db = await server.Db.OpenAsync();
        Assert.NotNull(await db.ExecuteScalarAsync<long?>("SELECT conversation_id FROM messages WHERE external_id = 'bad' AND text = 'POISON one'"));
        Assert.Equal(["bad-2"], (await admin.GetFromJsonAsync<JsonElement>("/api/dead-letters")).EnumerateArray().Select(l => l.GetProperty("externalId").GetString()));

        // The other is discarded: gone from the list, not stored, and its post kept in the audit trail.
        Assert.Equal(HttpStatusCode.OK, (await admin.DeleteAsync("/api/dead-letters?channel=mastodon&id=bad-2")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.DeleteAsync("/api/dead-letters?channel=mastodon&id=bad-2")).StatusCode);
        Assert.Equal(0, (await admin.GetFromJsonAsync<JsonElement>("/api/dead-letters")).GetArrayLength());
        Assert.Null(await db.ExecuteScalarAsync<long?>("SELECT id FROM messages WHERE external_id = 'bad-2'"));
        var audit = (await db.QueryAsync<(string Action, string After)>(
            "SELECT action, COALESCE(before_json, '') FROM audit_log WHERE entity = 'dead_letter' ORDER BY id")).ToList();
        Assert.Equal(["dead_letter.retried", "dead_letter.discarded"], audit.Select(a => a.Action));
        Assert.Contains("POISON two", audit[1].After, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_channels_page_lists_dead_letters_for_admins_with_retry_and_discard()
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync("sqlite"));
        using var api = await server.AdminClientAsync();
        await PoisonAsync(server, "sqlite");
        await ParkAsync(api, "bad", "POISON <b>three</b>");

        using var admin = await Switchboard.Tests.Inbox.InboxFixture.SignInAsync(server, "admin@demo.switchboard.local");
        var page = await admin.Http.GetStringAsync("/channels");
        Assert.Contains("id=\"dead-letters\"", page, StringComparison.Ordinal);
        Assert.Contains("POISON &lt;b&gt;three&lt;/b&gt;", page, StringComparison.Ordinal);
        Assert.Contains("injected fault", page, StringComparison.Ordinal);

        // Still failing: the page comes back with the reason, and the letter is still listed.
        var failed = await admin.PostFormAsync("/channels/dead-letters/retry", ("channel", "mastodon"), ("id", "bad"));
        Assert.Equal(HttpStatusCode.Redirect, failed.StatusCode);
        var failedPage = WebUtility.HtmlDecode(await admin.Http.GetStringAsync(failed.Headers.Location));
        Assert.Contains("the post failed again and stays here", failedPage, StringComparison.Ordinal);
        Assert.Contains("POISON <b>three</b>", failedPage, StringComparison.Ordinal);

        await CureAsync(server, "sqlite");
        var stored = await admin.PostFormAsync("/channels/dead-letters/retry", ("channel", "mastodon"), ("id", "bad"));
        var storedPage = WebUtility.HtmlDecode(await admin.Http.GetStringAsync(stored.Headers.Location));
        Assert.Contains("Dead letter: stored", storedPage, StringComparison.Ordinal);
        Assert.Contains("None: every delivered post was stored.", storedPage, StringComparison.Ordinal);

        // Without the antiforgery token the form is refused; a manager sees no dead letters and may not post the form.
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.Http.PostAsync("/channels/dead-letters/discard",
            new FormUrlEncodedContent(new Dictionary<string, string> { ["channel"] = "mastodon", ["id"] = "bad" }))).StatusCode);
        using var manager = await Switchboard.Tests.Inbox.InboxFixture.SignInAsync(server, "maria@demo.switchboard.local");
        Assert.DoesNotContain("dead-letters", await manager.Http.GetStringAsync("/channels"), StringComparison.Ordinal);
        var denied = await manager.PostFormAsync("/channels/dead-letters/discard", ("channel", "mastodon"), ("id", "bad"));
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
    }

    [Fact]
    public void Only_failures_that_say_something_about_the_post_count_towards_parking_it()
    {
        Assert.True(Switchboard.Ingest.IngestWriter.Transient(new Microsoft.Data.Sqlite.SqliteException("database is locked", 5)));
        Assert.True(Switchboard.Ingest.IngestWriter.Transient(new Microsoft.Data.Sqlite.SqliteException("disk full", 13)));
        Assert.True(Switchboard.Ingest.IngestWriter.Transient(new InvalidOperationException("wrapped", new TimeoutException())));
        Assert.True(Switchboard.Ingest.IngestWriter.Transient(new Npgsql.NpgsqlException("connection refused", new System.Net.Sockets.SocketException())));
        Assert.False(Switchboard.Ingest.IngestWriter.Transient(new Microsoft.Data.Sqlite.SqliteException("injected fault", 19)));
        Assert.False(Switchboard.Ingest.IngestWriter.Transient(new InvalidOperationException("a bug")));
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task An_unpaired_surrogate_escape_is_a_400_naming_the_line_and_nothing_of_the_request_is_stored(string provider)
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync(provider));
        using var admin = await server.AdminClientAsync();
        var body = string.Join('\n',
            Line("ok-1", "my refund never arrived"),
            // Written by hand: the serializer would not write a lone surrogate; a client can.
            """{"id":"lone","channel":"mastodon","text":"half an emoji \ud83d and a stray \udc00","created_at":"2026-11-22T10:00:00Z"}""");
        var r = await admin.PostAsync("/api/posts", new StringContent(body, Encoding.UTF8, "application/x-ndjson"));
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        var detail = await r.Content.ReadAsStringAsync();
        Assert.Contains("line 2", detail, StringComparison.Ordinal);
        Assert.Contains("unpaired surrogate", detail, StringComparison.Ordinal);
        await using var conn = await server.Db.OpenAsync();
        Assert.Equal(0L, await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM messages"));
    }
}
