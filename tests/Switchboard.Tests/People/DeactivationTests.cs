using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Dapper;
using Switchboard.Tests.Infrastructure;
using Xunit;
using static Switchboard.Tests.Sla.SlaTestSupport;

namespace Switchboard.Tests.People;

/// <summary>
/// A person who leaves is deactivated: their access ends at once (cookie sessions, API tokens, sign-in), their work goes
/// back to the team, and nothing they did is lost. A role change applies to sessions already open, not at the next sign-in.
/// </summary>
public partial class DeactivationTests
{
    const string Carlos = "carlos@demo.switchboard.local";
    const string Maria = "maria@demo.switchboard.local";
    const string DanaPassword = "dana's long password";

    [Theory]
    [MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Deactivating_a_person_ends_their_sessions_and_tokens_and_gives_their_work_back_to_the_team(string provider)
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync(provider));
        using var admin = await server.AdminClientAsync();
        await ActivateAsync(admin, Yaml());
        var created = await admin.PostAsJsonAsync("/api/people", new
        {
            email = "dana@example.test",
            name = "Dana Day",
            role = "agent",
            password = DanaPassword,
            teams = new[] { new { team = "customer-service", lead = false } },
            languages = new[] { "en" },
            capacity = 5,
            expertAreas = new[] { "Legal" },
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var dana = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();

        // Dana is the only one available: the refund is hers.
        await OnlyAvailableAsync(server.Db, "dana@example.test");
        await admin.PostAsync("/api/posts", Jsonl(Post("d1", "refund please", DateTimeOffset.UtcNow)));
        var conversation = await ConversationOfAsync(server.Db, "d1");
        await using var conn = await server.Db.OpenAsync();
        Assert.True(dana == await conn.ExecuteScalarAsync<long?>("SELECT assignee_id FROM conversations WHERE id = @conversation", new { conversation }),
            await conn.ExecuteScalarAsync<string>("SELECT route_trace FROM conversations WHERE id = @conversation", new { conversation }));

        // Carlos asks her, as the Legal expert, about another conversation.
        await admin.PostAsync("/api/posts", Jsonl(Post("d2", "refund for my other booking", DateTimeOffset.UtcNow)));
        var other = await ConversationOfAsync(server.Db, "d2");
        using var carlos = await server.ClientForAsync(Carlos);
        var carlosId = await conn.ExecuteScalarAsync<long>("SELECT id FROM users WHERE email = @Carlos", new { Carlos });
        await admin.PostAsJsonAsync($"/api/inbox/conversations/{other}/assign", new { assignee = Carlos });
        var asked = await carlos.PostAsJsonAsync($"/api/conversations/{other}/handovers", new { expertId = dana, question = "May we refund twice?" });
        Assert.True(asked.IsSuccessStatusCode, await asked.Content.ReadAsStringAsync());
        var handover = (await asked.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();

        using var danaSession = await SignInAsync(server, "dana@example.test", DanaPassword);
        using var danaToken = await server.ClientForAsync("dana@example.test");
        Assert.Equal(HttpStatusCode.OK, (await danaSession.GetAsync("/api/inbox/views/mine")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await danaToken.GetAsync("/api/inbox/views/mine")).StatusCode);

        // Carlos is available now; deactivating Dana hands her conversation to him at once.
        await conn.ExecuteAsync("UPDATE users SET available = 1, last_seen_at = @now WHERE email = @Carlos",
            new { now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), Carlos });
        var deactivated = await admin.PostAsync($"/api/people/{dana}/deactivate", null);
        Assert.Equal(HttpStatusCode.OK, deactivated.StatusCode);
        var result = await deactivated.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal([conversation], result.GetProperty("releasedConversations").EnumerateArray().Select(e => e.GetInt64()));
        Assert.Equal([handover], result.GetProperty("cancelledHandovers").EnumerateArray().Select(e => e.GetInt64()));
        Assert.False(result.GetProperty("person").GetProperty("active").GetBoolean());
        Assert.Equal(carlosId, await conn.ExecuteScalarAsync<long?>("SELECT assignee_id FROM conversations WHERE id = @conversation", new { conversation }));

        // Her open session and her API token stop working on the next request; she cannot sign in again.
        Assert.Equal(HttpStatusCode.Unauthorized, (await danaSession.GetAsync("/api/inbox/views/mine")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await danaToken.GetAsync("/api/inbox/views/mine")).StatusCode);
        Assert.False(await TrySignInAsync(server, "dana@example.test", DanaPassword));
        // Nobody can give her work or ask her anything; Carlos was told his hand-over was cancelled.
        var refused = await admin.PostAsJsonAsync($"/api/inbox/conversations/{conversation}/assign", new { assignee = "dana@example.test" });
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("deactivated", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain((await admin.GetFromJsonAsync<JsonElement>("/api/experts")).EnumerateArray(), e => e.GetProperty("userId").GetInt64() == dana);
        var ask = await carlos.PostAsJsonAsync($"/api/conversations/{other}/handovers", new { expertId = dana, question = "Still there?" });
        Assert.Equal(HttpStatusCode.BadRequest, ask.StatusCode);
        Assert.Equal("cancelled", await conn.ExecuteScalarAsync<string>("SELECT status FROM handovers WHERE id = @handover", new { handover }));
        Assert.Equal(1, await conn.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM notifications WHERE user_id = @carlosId AND text LIKE '%was deactivated%'", new { carlosId }));
        // What she did stays, and the deactivation is audited.
        Assert.Equal(1, await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM audit_log WHERE action = 'person.deactivate' AND entity_id = @id",
            new { id = dana.ToString(System.Globalization.CultureInfo.InvariantCulture) }));
        Assert.Equal(409, (int)(await admin.PostAsync($"/api/people/{dana}/deactivate", null)).StatusCode);

        // Reactivated, she signs in again; the old token stays revoked.
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/api/people/{dana}/reactivate", null)).StatusCode);
        Assert.True(await TrySignInAsync(server, "dana@example.test", DanaPassword));
        Assert.Equal(HttpStatusCode.Unauthorized, (await danaToken.GetAsync("/api/inbox/views/mine")).StatusCode);
        Assert.Equal(409, (int)(await admin.PostAsync($"/api/people/{dana}/reactivate", null)).StatusCode);
    }

    [Fact]
    public async Task Nobody_deactivates_themselves_managers_do_not_touch_admins_and_agents_cannot_at_all()
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync("sqlite"));
        using var admin = await server.AdminClientAsync();
        using var maria = await server.ClientForAsync(Maria);
        using var carlos = await server.ClientForAsync(Carlos);
        var people = await admin.GetFromJsonAsync<JsonElement>("/api/people");
        long IdOf(string email) => people.EnumerateArray().Single(p => p.GetProperty("email").GetString() == email).GetProperty("id").GetInt64();
        var adminId = IdOf("admin@demo.switchboard.local");

        async Task RefusedAsync(HttpResponseMessage r, HttpStatusCode status, string reason)
        {
            Assert.Equal(status, r.StatusCode);
            Assert.Contains(reason, await r.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        await RefusedAsync(await admin.PostAsync($"/api/people/{adminId}/deactivate", null), HttpStatusCode.Forbidden, "you cannot deactivate yourself");
        await RefusedAsync(await maria.PostAsync($"/api/people/{IdOf(Maria)}/deactivate", null), HttpStatusCode.Forbidden, "you cannot deactivate yourself");
        await RefusedAsync(await maria.PostAsync($"/api/people/{adminId}/deactivate", null), HttpStatusCode.Forbidden, "only an admin can deactivate");
        Assert.Equal(HttpStatusCode.Forbidden, (await carlos.PostAsync($"/api/people/{IdOf(Maria)}/deactivate", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.PostAsync("/api/people/999999/deactivate", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.PostAsync("/api/people/999999/reactivate", null)).StatusCode);
        // Nothing was deactivated by the refused calls.
        await using var conn = await server.Db.OpenAsync();
        Assert.Equal(0, await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM users WHERE deactivated_at IS NOT NULL"));
    }

    [Fact]
    public async Task A_demoted_manager_loses_manager_rights_in_the_open_session_and_a_password_reset_ends_it()
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync("sqlite"));
        using var admin = await server.AdminClientAsync();
        using var session = await SignInAsync(server, Maria, Switchboard.Demo.DemoWorkspace.Password);
        Assert.Equal(HttpStatusCode.OK, (await session.GetAsync("/api/people")).StatusCode);
        var maria = await session.GetFromJsonAsync<JsonElement>("/api/people");
        var id = maria.EnumerateArray().Single(p => p.GetProperty("email").GetString() == Maria).GetProperty("id").GetInt64();
        var body = new { name = "Maria Manager", role = "agent", teams = new[] { new { team = "customer-service", lead = false } } };
        Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync($"/api/people/{id}", body)).StatusCode);

        // Same cookie, next request: an agent now (the inbox still opens, people management does not).
        Assert.Equal(HttpStatusCode.Forbidden, (await session.GetAsync("/api/people")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await session.GetAsync("/api/inbox/views/mine")).StatusCode);
        // An admin resets her password: every session she had ends; the new password signs in.
        var reset = await admin.PutAsJsonAsync($"/api/people/{id}", new { body.name, body.role, body.teams, password = "a fresh long password" });
        Assert.Equal(HttpStatusCode.OK, reset.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await session.GetAsync("/api/inbox/views/mine")).StatusCode);
        Assert.False(await TrySignInAsync(server, Maria, Switchboard.Demo.DemoWorkspace.Password));
        Assert.True(await TrySignInAsync(server, Maria, "a fresh long password"));
    }

    static async Task<bool> TrySignInAsync(RunningServer server, string email, string password)
    {
        using var client = await PostLoginAsync(server, email, password);
        return client.Signed;
    }

    [Fact]
    public async Task A_live_stream_opened_before_the_deactivation_ends_at_its_next_heartbeat()
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync("sqlite"));
        using var admin = await server.AdminClientAsync();
        var created = await admin.PostAsJsonAsync("/api/people", new
        {
            email = "sam@example.test",
            name = "Sam Stream",
            role = "agent",
            password = DanaPassword,
            teams = new[] { new { team = "customer-service", lead = false } },
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var sam = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
        using var session = await SignInAsync(server, "sam@example.test", DanaPassword);

        using var response = await session.GetAsync("/inbox/events", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        Assert.Equal("retry: 2000", await reader.ReadLineAsync());

        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/api/people/{sam}/deactivate", null)).StatusCode);
        // The stream beats every 15 s; at the first beat after the deactivation the server ends it (end of stream).
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(45));
        string? line;
        do
        {
            line = await reader.ReadLineAsync(limit.Token);
        }
        while (line is not null);
    }

    static async Task<HttpClient> SignInAsync(RunningServer server, string email, string password)
    {
        var attempt = await PostLoginAsync(server, email, password);
        Assert.True(attempt.Signed, $"{email} could not sign in");
        return attempt.Client;
    }

    /// <summary>Signs in through the login form (with its anti-forgery token), as a browser would; the client keeps the cookie.</summary>
    static async Task<Attempt> PostLoginAsync(RunningServer server, string email, string password)
    {
        await Switchboard.Demo.DemoWorkspace.SeedAsync(server.Db, TimeProvider.System);
        var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = true, UseCookies = true }) { BaseAddress = server.Address };
        var login = await client.GetStringAsync("/login");
        var response = await client.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["email"] = email,
            ["password"] = password,
            ["__RequestVerificationToken"] = WebUtility.HtmlDecode(AntiforgeryField().Match(login).Groups[1].Value),
        }));
        return new(client, response.StatusCode == HttpStatusCode.OK && !response.RequestMessage!.RequestUri!.AbsolutePath.Contains("/login", StringComparison.Ordinal));
    }

    sealed record Attempt(HttpClient Client, bool Signed) : IDisposable
    {
        public void Dispose() => Client.Dispose();
    }

    [GeneratedRegex("<input[^>]*name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}
