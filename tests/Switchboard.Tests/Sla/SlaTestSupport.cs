using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dapper;
using Switchboard.Storage;
using Xunit;

namespace Switchboard.Tests.Sla;

/// <summary>Configurations and helpers shared by the routing/SLA host tests.</summary>
internal static class SlaTestSupport
{
    /// <summary>
    /// A workspace on an always-open calendar: "refund" goes to customer-service with the given targets, everything
    /// else to marketing; the ladder notifies the team lead at once and a webhook later.
    /// </summary>
    public static string Yaml(string firstResponse = "1h", string warnBefore = "10m", string? webhook = null) => $"""
        version: 1
        defaults:
          team: marketing
          sla_policy: fast
        calendars:
          - name: always
            zone: UTC
            hours:
              daily: ["00:00-24:00"]
        ladders:
          - name: fast
            levels:
              - after: 0s
                notify: [team_lead]
              - after: 1h
                notify: ["role:manager"{(webhook is null ? "" : ", \"webhook:ops\"")}]
        sla_policies:
          - name: fast
            calendar: always
            first_response: {firstResponse}
            resolution: 1d
            warn_before: {warnBefore}
            ladder: fast
        teams:
          - name: customer-service
            calendar: always
            selector: least_loaded
          - name: marketing
            calendar: always
        {(webhook is null ? "" : $"webhooks:\n  ops: {webhook}\n")}routing:
          - name: refunds
            conditions:
              keywords: [refund]
            actions:
              team: customer-service
              priority: high
              labels: [billing]
              require_approval: true
        """;

    public static async Task<long> ActivateAsync(HttpClient api, string yaml)
    {
        var r = await api.PostAsync("/api/rules?comment=test", new StringContent(yaml, Encoding.UTF8, "text/yaml"));
        Assert.True(r.StatusCode == HttpStatusCode.Created, await r.Content.ReadAsStringAsync());
        return (await r.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
    }

    public static StringContent Jsonl(params string[] lines) => new(string.Join('\n', lines), Encoding.UTF8, "application/x-ndjson");

    public static string Post(string id, string text, DateTimeOffset created, string? reply = null, bool outgoing = false) =>
        JsonSerializer.Serialize(new
        {
            id,
            channel = "mastodon",
            text,
            created_at = created.ToString("O"),
            in_reply_to = reply,
            outgoing,
            author = outgoing ? null : new { id = "u" + id, handle = "user" + id },
        });

    public static async Task<long> ConversationOfAsync(Database db, string externalId)
    {
        await using var conn = await db.OpenAsync();
        return await conn.ExecuteScalarAsync<long>("SELECT conversation_id FROM messages WHERE external_id = @externalId", new { externalId });
    }

    /// <summary>Only <paramref name="email"/> can take work: everyone else marked unavailable.</summary>
    public static async Task OnlyAvailableAsync(Database db, string? email)
    {
        await using var conn = await db.OpenAsync();
        await conn.ExecuteAsync("UPDATE users SET available = CASE WHEN email = @email THEN 1 ELSE 0 END", new { email });
    }

    public static async Task<T> EventuallyAsync<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan timeout)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var v = await probe();
            if (done(v) || sw.Elapsed > timeout)
                return v;
            await Task.Delay(100);
        }
    }
}
