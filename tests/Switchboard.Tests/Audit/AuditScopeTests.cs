using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Switchboard.Tests.Inbox;
using Switchboard.Tests.Infrastructure;
using Xunit;

namespace Switchboard.Tests.Audit;

/// <summary>
/// The audit trail holds what a team wrote about its conversations (notes, reply texts): a manager of another team
/// must not read them through the page, the JSON API or the CSV export, while workspace records stay visible to every
/// manager and the conversation's own team and admins still see everything.
/// </summary>
public class AuditScopeTests
{
    private const string NoteCanary = "note-canary-7731";
    private const string ReplyCanary = "reply-canary-4410";

    [Theory]
    [MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_manager_of_another_team_reads_the_workspace_records_but_not_the_conversation_records(string provider)
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync(provider));
        var conversation = (await InboxFixture.IngestAsync(server, ("p1", "my refund never arrived, order 123")))["p1"];
        var id = conversation.ToString(System.Globalization.CultureInfo.InvariantCulture);

        using (var carlos = await InboxFixture.SignInAsync(server, InboxFixture.Carlos))
        {
            var noted = await carlos.PostFormAsync($"/inbox/conversations/{id}/notes", ("text", "customer is upset " + NoteCanary), ("returnUrl", "/"));
            Assert.Equal(HttpStatusCode.Redirect, noted.StatusCode);
        }

        using (var carlosApi = await InboxFixture.TokenClientAsync(server, InboxFixture.Carlos))
        {
            var replied = await carlosApi.PostAsJsonAsync($"/api/conversations/{id}/replies", new { text = "Sorry about that, " + ReplyCanary });
            Assert.True(replied.IsSuccessStatusCode, await replied.Content.ReadAsStringAsync());
        }

        await using (var conn = await server.Db.OpenAsync())
        {
            // The trail really holds both texts and records about the conversation, so their absence below is the scope.
            var all = string.Join("\n", await conn.QueryAsync<string>("SELECT COALESCE(after_json, '') FROM audit_log"));
            Assert.Contains(NoteCanary, all, StringComparison.Ordinal);
            Assert.Contains(ReplyCanary, all, StringComparison.Ordinal);
            Assert.True(await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM audit_log WHERE entity = 'conversation' AND entity_id = @id", new { id }) > 0);
            Assert.True(await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM audit_log WHERE entity NOT IN ('conversation', 'message', 'reply', 'handover')") > 0);
            await conn.ExecuteAsync("UPDATE users SET role = 'manager' WHERE email = @email", new { email = InboxFixture.Ivan });
        }

        // Ivan manages IT, not customer service.
        var ivan = await ReadTrailAsync(server, InboxFixture.Ivan, id);
        foreach (var (reader, text) in ivan)
        {
            Assert.DoesNotContain(NoteCanary, text, StringComparison.Ordinal);
            Assert.DoesNotContain(ReplyCanary, text, StringComparison.Ordinal);
        }

        var ivanRecords = JsonDocument.Parse(ivan["api"]).RootElement.EnumerateArray().ToList();
        Assert.NotEmpty(ivanRecords);
        Assert.DoesNotContain(ivanRecords, r => r.GetProperty("entity").GetString() is "conversation" or "reply" or "message" or "handover");
        Assert.Equal("[]", ivan["api filtered"].Trim());

        // The conversation's own manager and an admin read everything.
        foreach (var email in new[] { InboxFixture.Maria, InboxFixture.Admin })
        {
            var trail = await ReadTrailAsync(server, email, id);
            foreach (var (reader, text) in trail)
            {
                Assert.True(text.Contains(NoteCanary, StringComparison.Ordinal), $"{email} {reader} lacks the note");
                Assert.True(text.Contains(ReplyCanary, StringComparison.Ordinal) || reader == "api filtered", $"{email} {reader} lacks the reply");
            }
        }
    }

    /// <summary>The trail as one user reads it: the JSON API (all, and filtered to the conversation), the CSV export and the page.</summary>
    private static async Task<Dictionary<string, string>> ReadTrailAsync(RunningServer server, string email, string conversationId)
    {
        using var api = await InboxFixture.TokenClientAsync(server, email);
        using var session = await InboxFixture.SignInAsync(server, email);
        var result = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["api"] = await ReadAsync(api, "/api/audit?limit=500"),
            ["api filtered"] = await ReadAsync(api, $"/api/audit?entity=conversation&entity_id={conversationId}"),
            ["csv"] = await ReadAsync(session.Http, "/audit/export.csv"),
            ["page"] = WebUtility.HtmlDecode(await ReadAsync(session.Http, "/audit")),
        };
        return result;
    }

    private static async Task<string> ReadAsync(HttpClient http, string url)
    {
        using var r = await http.GetAsync(url);
        var body = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == HttpStatusCode.OK, $"{url}: {(int)r.StatusCode} {body[..Math.Min(300, body.Length)]}");
        return body;
    }
}
