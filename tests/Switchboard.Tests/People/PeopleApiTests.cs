using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dapper;
using Switchboard.Tests.Infrastructure;
using Xunit;
using static Switchboard.Tests.Sla.SlaTestSupport;

namespace Switchboard.Tests.People;

/// <summary>
/// People through the API: admins and managers set roles, team seats, channel scope, skills, languages, capacity and
/// expert areas; what they set is what assignment, the access scope and the hand-over then use.
/// </summary>
public class PeopleApiTests
{
    const string Carlos = "carlos@demo.switchboard.local";
    const string Maria = "maria@demo.switchboard.local";

    static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    static object Nadia(params string[] channels) => new
    {
        email = "Nadia@Example.test",
        name = "Nadia Night",
        role = "agent",
        password = "a long enough password",
        teams = new[] { new { team = "customer-service", lead = false } },
        channels,
        skills = new[] { "technical", "Night shifts" },
        languages = new[] { "EN", "ar" },
        capacity = 3,
        expertAreas = new[] { "Legal" },
    };

    [Theory]
    [MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task An_admin_adds_a_person_whose_profile_assignment_scope_and_hand_over_then_use(string provider)
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync(provider));
        using var admin = await server.AdminClientAsync();
        await ActivateAsync(admin, Yaml());
        // Nobody can take work: a refund waits in customer-service's holding queue.
        await OnlyAvailableAsync(server.Db, null);
        await admin.PostAsync("/api/posts", Jsonl(Post("held1", "refund please", DateTimeOffset.UtcNow)));
        var held = await ConversationOfAsync(server.Db, "held1");

        var created = await admin.PostAsJsonAsync("/api/people", Nadia("mastodon"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var nadia = await created.Content.ReadFromJsonAsync<JsonElement>();
        var id = nadia.GetProperty("id").GetInt64();
        Assert.Equal("nadia@example.test", nadia.GetProperty("email").GetString());
        Assert.Equal(["Technical", "Night shifts"], nadia.GetProperty("skills").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["en", "ar"], nadia.GetProperty("languages").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(created.Headers.Location?.ToString(), $"/api/people/{id}");

        // A new seat in customer-service offered her the held conversation at once (she is available by default).
        await using var conn = await server.Db.OpenAsync();
        Assert.Equal(id, await conn.ExecuteScalarAsync<long?>("SELECT assignee_id FROM conversations WHERE id = @held", new { held }));
        // She is an expert others can ask, and the change is audited.
        var experts = await admin.GetFromJsonAsync<JsonElement>("/api/experts");
        Assert.Contains(experts.EnumerateArray(), e => e.GetProperty("userId").GetInt64() == id);
        Assert.Equal(1, await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM audit_log WHERE action = 'person.create' AND entity_id = @id", new { id = id.ToString(System.Globalization.CultureInfo.InvariantCulture) }));

        // Her channel scope is mastodon: the conversation from the API (channel "mastodon") is hers to see; scoped to
        // slack she sees nothing of it, and an id outside her scope behaves like one that does not exist.
        using var asNadia = await server.ClientForAsync("nadia@example.test");
        Assert.Contains((await asNadia.GetFromJsonAsync<JsonElement>("/api/inbox/views/all")).GetProperty("items").EnumerateArray(),
            c => c.GetProperty("id").GetInt64() == held);
        var rescoped = await admin.PutAsJsonAsync($"/api/people/{id}", new
        {
            name = "Nadia Night",
            role = "agent",
            teams = new[] { new { team = "customer-service", lead = true } },
            channels = new[] { "slack" },
            skills = new[] { "Technical" },
            languages = new[] { "en" },
            capacity = 3,
        });
        Assert.Equal(HttpStatusCode.OK, rescoped.StatusCode);
        Assert.Empty((await asNadia.GetFromJsonAsync<JsonElement>("/api/inbox/views/all")).GetProperty("items").EnumerateArray());
        Assert.Equal(HttpStatusCode.NotFound, (await asNadia.GetAsync($"/api/conversations/{held}")).StatusCode);
        // No expert areas any more: no longer offered as an expert.
        Assert.DoesNotContain((await admin.GetFromJsonAsync<JsonElement>("/api/experts")).EnumerateArray(), e => e.GetProperty("userId").GetInt64() == id);
        var listed = await admin.GetFromJsonAsync<JsonElement>("/api/people");
        var row = listed.EnumerateArray().Single(p => p.GetProperty("id").GetInt64() == id);
        Assert.True(row.GetProperty("teams")[0].GetProperty("lead").GetBoolean());
        Assert.Equal(1, row.GetProperty("openConversations").GetInt32());
    }

    [Fact]
    public async Task Managers_manage_people_but_not_admins_passwords_or_their_own_role_and_agents_see_nothing()
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync("sqlite"));
        using var admin = await server.AdminClientAsync();
        using var maria = await server.ClientForAsync(Maria);
        using var carlos = await server.ClientForAsync(Carlos);
        var people = await maria.GetFromJsonAsync<JsonElement>("/api/people");
        long IdOf(string email) => people.EnumerateArray().Single(p => p.GetProperty("email").GetString() == email).GetProperty("id").GetInt64();
        var carlosId = IdOf(Carlos);
        var mariaId = IdOf(Maria);
        var adminId = IdOf("admin@demo.switchboard.local");
        var carlosBody = new { name = "Carlos Care", role = "agent", teams = new[] { new { team = "customer-service", lead = false } }, skills = new[] { "Communicating" }, languages = new[] { "en", "es" }, capacity = 10 };

        Assert.Equal(HttpStatusCode.OK, (await maria.PutAsJsonAsync($"/api/people/{carlosId}", carlosBody)).StatusCode);
        Assert.Equal(10, (await maria.GetFromJsonAsync<JsonElement>($"/api/people/{carlosId}")).GetProperty("capacity").GetInt32());

        async Task RefusedAsync(HttpResponseMessage r, HttpStatusCode status, string reason)
        {
            Assert.Equal(status, r.StatusCode);
            Assert.Contains(reason, await r.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        await RefusedAsync(await maria.PutAsJsonAsync($"/api/people/{carlosId}", carlosBody with { role = "admin" }), HttpStatusCode.Forbidden, "only an admin can grant the admin role");
        await RefusedAsync(await maria.PutAsJsonAsync($"/api/people/{adminId}", carlosBody with { name = "Hacked" }), HttpStatusCode.Forbidden, "only an admin can grant the admin role or change an admin");
        await RefusedAsync(await maria.PutAsJsonAsync($"/api/people/{mariaId}", carlosBody with { role = "agent" }), HttpStatusCode.Forbidden, "a manager cannot change their own role");
        await RefusedAsync(await maria.PutAsJsonAsync($"/api/people/{carlosId}", new { carlosBody.name, carlosBody.role, password = "a brand new password" }), HttpStatusCode.Forbidden, "only an admin can set another person's password");
        await RefusedAsync(await admin.PutAsJsonAsync($"/api/people/{adminId}", carlosBody with { role = "manager" }), HttpStatusCode.Forbidden, "an admin cannot remove their own admin role");
        // Agents and analysts: the whole API is closed.
        Assert.Equal(HttpStatusCode.Forbidden, (await carlos.GetAsync("/api/people")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await carlos.PutAsJsonAsync($"/api/people/{carlosId}", carlosBody with { capacity = 100 })).StatusCode);
        // Nothing of the refused changes was stored.
        var after = await admin.GetFromJsonAsync<JsonElement>($"/api/people/{carlosId}");
        Assert.Equal(("agent", 10), (after.GetProperty("role").GetString(), after.GetProperty("capacity").GetInt32()));
        Assert.Equal("Alex Admin", (await admin.GetFromJsonAsync<JsonElement>($"/api/people/{adminId}")).GetProperty("name").GetString());
    }

    [Fact]
    public async Task A_manager_changes_people_and_seats_only_in_their_own_teams_and_cannot_seat_themselves_elsewhere()
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync("sqlite"));
        using var admin = await server.AdminClientAsync();
        using var maria = await server.ClientForAsync(Maria); // manager of customer-service and marketing
        var people = await maria.GetFromJsonAsync<JsonElement>("/api/people");
        long IdOf(string email) => people.EnumerateArray().Single(p => p.GetProperty("email").GetString() == email).GetProperty("id").GetInt64();
        object Body(string name, string role, params string[] teams) =>
            new { name, role, teams = teams.Select(t => new { team = t, lead = false }).ToArray(), languages = new[] { "en" } };
        async Task RefusedAsync(HttpResponseMessage r, string reason)
        {
            Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
            Assert.Contains(reason, await r.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // Within reach: Carlos moves into marketing as well.
        Assert.Equal(HttpStatusCode.OK, (await maria.PutAsJsonAsync($"/api/people/{IdOf(Carlos)}", Body("Carlos Care", "agent", "customer-service", "marketing"))).StatusCode);
        // Not: Priya sits only in public-relations; Carlos cannot be seated there by Maria; nor can a new hire.
        var priya = IdOf("priya@demo.switchboard.local");
        await RefusedAsync(await maria.PutAsJsonAsync($"/api/people/{priya}", Body("Priya PR", "agent", "public-relations")), "sits in none of your teams");
        await RefusedAsync(await maria.PostAsync($"/api/people/{priya}/deactivate", null), "sits in none of your teams");
        await RefusedAsync(await maria.PutAsJsonAsync($"/api/people/{IdOf(Carlos)}", Body("Carlos Care", "agent", "customer-service", "public-relations")),
            "only an admin or a manager of 'public-relations'");
        await RefusedAsync(await maria.PostAsJsonAsync("/api/people", new
        {
            email = "new@example.test",
            password = "a long enough password",
            name = "New",
            role = "agent",
            teams = new[] { new { team = "it", lead = false } }
        }), "only an admin or a manager of 'it'");
        // Maria cannot seat herself in public-relations to read its conversations.
        await RefusedAsync(await maria.PutAsJsonAsync($"/api/people/{IdOf(Maria)}", new
        {
            name = "Maria Manager",
            role = "manager",
            teams = new[] { new { team = "customer-service", lead = true }, new { team = "marketing", lead = true }, new { team = "public-relations", lead = false } },
        }), "a manager cannot change their own team seats or channels");
        Assert.DoesNotContain("public-relations", (await admin.GetFromJsonAsync<JsonElement>($"/api/people/{IdOf(Maria)}")).GetProperty("teams").ToString(), StringComparison.Ordinal);
        Assert.Equal("Priya PR", (await admin.GetFromJsonAsync<JsonElement>($"/api/people/{priya}")).GetProperty("name").GetString());
        Assert.True((await admin.GetFromJsonAsync<JsonElement>($"/api/people/{priya}")).GetProperty("active").GetBoolean());
        // An admin may do all of it.
        Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync($"/api/people/{IdOf(Carlos)}", Body("Carlos Care", "agent", "customer-service", "public-relations"))).StatusCode);
    }

    [Fact]
    public async Task Bad_input_gets_a_reason_and_changes_nothing()
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync("sqlite"));
        using var admin = await server.AdminClientAsync();
        var before = await admin.GetStringAsync("/api/people");

        async Task BadAsync(HttpResponseMessage r, HttpStatusCode status, string reason)
        {
            Assert.Equal(status, r.StatusCode);
            Assert.Contains(reason, await r.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        await BadAsync(await admin.PostAsJsonAsync("/api/people", new { email = "x@example.test", name = "X", role = "agent", password = "a long enough password", teams = new[] { new { team = "sales", lead = false } } }),
            HttpStatusCode.BadRequest, "teams[0].team: unknown team 'sales'");
        await BadAsync(await admin.PostAsJsonAsync("/api/people", new { email = "not an email", name = "X", role = "agent", password = "a long enough password" }),
            HttpStatusCode.BadRequest, "email: a valid email address");
        await BadAsync(await admin.PostAsJsonAsync("/api/people", new { email = "y@example.test", name = "Y", role = "agent", password = "short" }),
            HttpStatusCode.BadRequest, "password: at least 12 characters");
        await BadAsync(await admin.PostAsJsonAsync("/api/people", new { email = Carlos, name = "C", role = "agent", password = "a long enough password" }),
            HttpStatusCode.Conflict, "already has an account");
        await BadAsync(await admin.PostAsync("/api/people", Json("{\"email\": ")), HttpStatusCode.BadRequest, "");
        await BadAsync(await admin.PostAsync("/api/people", Json("null")), HttpStatusCode.BadRequest, "expected a JSON body");
        await BadAsync(await admin.PutAsJsonAsync("/api/people/999999", new { name = "N", role = "agent" }), HttpStatusCode.NotFound, "no person 999999");
        // Hostile: thousands of channels, markup in the name, a role that does not exist.
        await BadAsync(await admin.PostAsJsonAsync("/api/people", new
        {
            email = "z@example.test",
            name = "<script>alert(1)</script>\u0000",
            role = "root",
            password = "a long enough password",
            channels = Enumerable.Range(0, 5000).Select(i => "c" + i).ToArray(),
        }), HttpStatusCode.BadRequest, "channels: at most 20");
        Assert.Equal(before, await admin.GetStringAsync("/api/people"));
    }
}
