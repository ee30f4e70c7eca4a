using System.Net;
using System.Text;
using Dapper;
using Switchboard.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Switchboard.Tests.Inbox;

/// <summary>
/// Ids that arrive outside the route path — in the query string, a form or a JSON body — generated from the route
/// table like <see cref="RouteTableSecurityTests"/> (which covers ids in the path). Every endpoint binding an id-like
/// value there must either be attacked below with another team's ids, or be listed as naming workspace data; a new
/// endpoint with such a parameter fails the test until it is one or the other.
/// </summary>
public class IdInputRouteTableTests(ITestOutputHelper output)
{
    /// <summary>Ids of records that are not team data, with the reason (guarded by role policies instead).</summary>
    private static readonly Dictionary<string, string> WorkspaceData = new(StringComparer.Ordinal)
    {
        ["POST /api/dead-letters/retry query:id"] = "dead letters: admin only, and they failed before routing gave them a team",
        ["DELETE /api/dead-letters/ query:id"] = "dead letters: admin only",
        ["POST /channels/dead-letters/retry form:id"] = "dead letters: admin only",
        ["POST /channels/dead-letters/discard form:id"] = "dead letters: admin only",
        ["POST /api/conversations/{id:long}/handovers/ body:expertId"] = "the expert directory is the workspace's: asking an expert of another team is the feature (the conversation id is in the path)",
        ["POST /handover/ask/{conversationId:long} form:expert"] = "the expert directory is the workspace's (the conversation id is in the path)",
        ["POST /composer/compliance form:id"] = "compliance rule set versions are the workspace's; approvers and admins only",
        ["GET /compliance query:version"] = "compliance rule set versions are the workspace's",
        ["POST /api/rules/what-if body:authorId"] = "a network's author id typed into the simulation for author rules; nothing is looked up by it",
    };

    private sealed record Ids(long Conversation, long CannedOfTheTeam, long CannedForEveryone);

    /// <summary>
    /// One attack per id input: the request a user of another team sends with the victim team's ids, the statuses
    /// that count as a refusal, and for pages (which answer 200 with the error in the page) the text that shows the
    /// id was treated as unknown.
    /// </summary>
    private sealed record Attack(Func<SessionClient, Ids, Task<HttpResponseMessage>> Send, HttpStatusCode[] Refusals, Func<Ids, string>? Shows = null);

    private static readonly HttpStatusCode[] NotFoundOrForbidden = [HttpStatusCode.NotFound, HttpStatusCode.Forbidden];

    private static string N(long id) => id.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static readonly Dictionary<string, Attack> Attacks = new(StringComparer.Ordinal)
    {
        ["POST /api/compliance/check query:conversationId"] = new((c, i) =>
            c.SendJsonAsync(HttpMethod.Post, $"/api/compliance/check?conversationId={N(i.Conversation)}", new { text = "hello" }), NotFoundOrForbidden),
        ["POST /api/canned-replies/{cannedId:long}/render body:conversationId"] = new((c, i) =>
            c.SendJsonAsync(HttpMethod.Post, $"/api/canned-replies/{N(i.CannedForEveryone)}/render", new { conversationId = i.Conversation }), NotFoundOrForbidden),
        ["POST /api/rules/what-if body:conversationId"] = new((c, i) =>
            c.SendJsonAsync(HttpMethod.Post, "/api/rules/what-if", new { conversationId = i.Conversation }), NotFoundOrForbidden),
        // The rules page answers its what-if form in the page; the id must read as unknown there.
        ["POST /rules form:conversationId"] = new((c, i) =>
            c.PostFormAsync("/rules", ("_handler", "rules-whatif"), ("Probe.ConversationId", N(i.Conversation))),
            [HttpStatusCode.OK, HttpStatusCode.Forbidden], i => $"no conversation {N(i.Conversation)}"),
        // A bulk action answers per id; another team's id must come back as not found and nothing change.
        ["POST /api/inbox/bulk body:ids"] = new((c, i) =>
            c.SendJsonAsync(HttpMethod.Post, "/api/inbox/bulk", new { ids = new[] { i.Conversation }, action = "resolve" }),
            [HttpStatusCode.OK, HttpStatusCode.NotFound, HttpStatusCode.Forbidden], _ => "\"outcome\":\"NotFound\""),
        ["POST /inbox/bulk form:ids"] = new((c, i) =>
            c.PostFormAsync("/inbox/bulk", ("ids", N(i.Conversation)), ("action", "resolve"), ("returnUrl", "/inbox/all")),
            [HttpStatusCode.Redirect, HttpStatusCode.NotFound, HttpStatusCode.Forbidden]),
        ["GET /composer/events query:conversation"] = new((c, i) =>
            c.Http.GetAsync($"/composer/events?conversation={N(i.Conversation)}", HttpCompletionOption.ResponseHeadersRead), NotFoundOrForbidden),
        ["GET /composer/fragments/replies query:conversation"] = new((c, i) =>
            c.Http.GetAsync($"/composer/fragments/replies?conversation={N(i.Conversation)}"), NotFoundOrForbidden),
        // `selected` only marks a row of the caller's own list: the list answers, without the other team's row.
        ["GET /inbox/fragments/list query:selected"] = new((c, i) =>
            c.Http.GetAsync($"/inbox/fragments/list?queue=all&selected={N(i.Conversation)}"), [HttpStatusCode.OK, HttpStatusCode.NotFound, HttpStatusCode.Forbidden]),
        // The audit trail answers a filter with the records the caller may see: none about another team's
        // conversation. AuditScopeTests checks the answers are empty and that the team's notes and replies never show.
        ["GET /api/audit query:entity_id"] = new((c, i) =>
            c.Http.GetAsync($"/api/audit?entity=conversation&entity_id={N(i.Conversation)}"), [HttpStatusCode.OK, HttpStatusCode.Forbidden]),
        ["GET /audit/export.csv query:entity_id"] = new((c, i) =>
            c.Http.GetAsync($"/audit/export.csv?entity=conversation&entity_id={N(i.Conversation)}"), [HttpStatusCode.OK, HttpStatusCode.Forbidden]),
        ["GET /audit query:entity_id"] = new((c, i) =>
            c.Http.GetAsync($"/audit?entity=conversation&entity_id={N(i.Conversation)}"), [HttpStatusCode.OK, HttpStatusCode.Forbidden]),
        // Canned replies belong to a team (or to every team): another team's manager cannot delete one by id.
        ["POST /composer/canned form:id"] = new((c, i) =>
            c.PostFormAsync("/composer/canned", ("action", "delete"), ("id", N(i.CannedOfTheTeam))), [HttpStatusCode.Redirect, HttpStatusCode.NotFound, HttpStatusCode.Forbidden]),
    };

    /// <summary>What of the victim conversation must never reach the attacker: its text and its author.</summary>
    private static readonly string[] Secrets = ["refund never arrived", "Name p1", "userp1"];

    [Theory]
    [MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Every_id_in_a_query_form_or_body_refuses_a_user_of_another_team(string provider)
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync(provider));
        var conversation = (await InboxFixture.IngestAsync(server, ("p1", "my refund never arrived, order 123")))["p1"];
        Ids ids;
        await using (var conn = await server.Db.OpenAsync())
        {
            Assert.Equal("customer-service", await conn.ExecuteScalarAsync<string>("SELECT t.slug FROM conversations c JOIN teams t ON t.id = c.team_id WHERE c.id = @conversation", new { conversation }));
            const string insert = "INSERT INTO canned_replies (team_id, shortcut, title, body, created_at, updated_at) VALUES ({0}, @shortcut, 't', 'Hi {{{{author.name}}}}', 0, 0) RETURNING id";
            var team = await conn.ExecuteScalarAsync<long>(string.Format(System.Globalization.CultureInfo.InvariantCulture, insert, "(SELECT id FROM teams WHERE slug = 'customer-service')"), new { shortcut = "cs-only" });
            var everyone = await conn.ExecuteScalarAsync<long>(string.Format(System.Globalization.CultureInfo.InvariantCulture, insert, "NULL"), new { shortcut = "for-all" });
            ids = new Ids(conversation, team, everyone);
        }

        // Discovery: every id input of the route table is attacked below or named as workspace data, and every entry
        // of both lists still exists.
        var found = RouteTable.Routes(server).Where(e => !RouteTable.IsStaticAsset(e) && !RouteTable.IsSignedWebhook(e))
            .SelectMany(e => RouteTable.IdInputs(e, server.Services)).Select(i => i.ToString()).ToHashSet(StringComparer.Ordinal);
        var unlisted = found.Where(f => !Attacks.ContainsKey(f) && !WorkspaceData.ContainsKey(f)).Order(StringComparer.Ordinal).ToList();
        var stale = Attacks.Keys.Concat(WorkspaceData.Keys).Where(k => !found.Contains(k)).ToList();
        Assert.True(unlisted.Count == 0, "endpoints taking an id outside the path that no test attacks (add them to Attacks, or to WorkspaceData with the reason):\n" + string.Join("\n", unlisted));
        Assert.True(stale.Count == 0, "listed id inputs the route table no longer has:\n" + string.Join("\n", stale));

        // Ivan is in IT, not customer service. As an agent, then as a manager (who passes the manager-only policies
        // and so reaches the scope checks behind them).
        using var ivan = await InboxFixture.SignInAsync(server, InboxFixture.Ivan);
        var failures = new List<string>();
        foreach (var role in new[] { "agent", "manager" })
        {
            await using (var conn = await server.Db.OpenAsync())
            {
                await conn.ExecuteAsync("UPDATE users SET role = @role WHERE email = @email", new { role, email = InboxFixture.Ivan });
            }

            var before = await DbSnapshot.TakeAsync(server.Db);
            foreach (var (input, attack) in Attacks)
            {
                using var response = await attack.Send(ivan, ids);
                var body = response.Content.Headers.ContentType?.MediaType == "text/event-stream" ? "" : await response.Content.ReadAsStringAsync();
                output.WriteLine($"{role}: {input} → {(int)response.StatusCode} {response.Headers.Location}");
                if (!attack.Refusals.Contains(response.StatusCode))
                {
                    failures.Add($"{role}: {input} answered {(int)response.StatusCode}");
                }

                if (Secrets.FirstOrDefault(s => body.Contains(s, StringComparison.Ordinal)) is { } leaked)
                {
                    failures.Add($"{role}: {input} revealed \"{leaked}\"");
                }

                if (response.StatusCode == HttpStatusCode.OK && attack.Shows?.Invoke(ids) is { } shows && !body.Contains(shows, StringComparison.Ordinal))
                {
                    failures.Add($"{role}: {input} answered 200 without \"{shows}\": {body[..Math.Min(300, body.Length)]}");
                }
            }

            var diff = DbSnapshot.Diff(before, await DbSnapshot.TakeAsync(server.Db));
            if (diff.Length > 0)
            {
                failures.Add($"{role}: the attacks changed the database:\n{diff}");
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));

        // The control: the same ids work for the conversation's own team, so the refusals above are about scope.
        using var carlos = await InboxFixture.SignInAsync(server, InboxFixture.Carlos);
        Assert.Equal(HttpStatusCode.OK, (await Attacks["POST /api/compliance/check query:conversationId"].Send(carlos, ids)).StatusCode);
        var rendered = await Attacks["POST /api/canned-replies/{cannedId:long}/render body:conversationId"].Send(carlos, ids);
        Assert.Contains("Name p1", await rendered.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains("refund never arrived", await (await Attacks["GET /inbox/fragments/list query:selected"].Send(carlos, ids)).Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await Attacks["GET /composer/fragments/replies query:conversation"].Send(carlos, ids)).StatusCode);
        using var maria = await InboxFixture.SignInAsync(server, InboxFixture.Maria);
        Assert.Equal(HttpStatusCode.OK, (await Attacks["POST /api/rules/what-if body:conversationId"].Send(maria, ids)).StatusCode);
        var bulk = await Attacks["POST /api/inbox/bulk body:ids"].Send(carlos, ids);
        Assert.Contains("\"outcome\":\"Done\"", await bulk.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
