using System.Net;
using System.Text.RegularExpressions;
using Dapper;
using Switchboard.Demo;
using Switchboard.Tests.Infrastructure;
using Switchboard.Tests.Listening;
using Switchboard.Tests.Sla;
using Xunit;
using static Switchboard.Tests.Sla.SlaTestSupport;

namespace Switchboard.Tests.Routing;

public partial class RulesPageTests
{
    [Fact]
    public async Task A_manager_edits_rules_in_the_page_sees_path_errors_runs_a_what_if_saves_and_rolls_back()
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync("sqlite"));
        using var api = await server.AdminClientAsync();
        var v = await ActivateAsync(api, Yaml());
        using var browser = await TopicsTests.SignInAsync(server, DemoWorkspace.Agents[0].Email);
        var page = await browser.GetStringAsync("/rules");
        Assert.Contains($"#{v}", page, StringComparison.Ordinal);
        Assert.Contains("refunds", page, StringComparison.Ordinal);

        async Task<string> Post(string handler, Dictionary<string, string> fields)
        {
            var current = await browser.GetStringAsync("/rules");
            fields["_handler"] = handler;
            fields["__RequestVerificationToken"] = WebUtility.HtmlDecode(Token().Match(current).Groups[1].Value);
            var r = await browser.PostAsync("/rules", new FormUrlEncodedContent(fields));
            var body = await r.Content.ReadAsStringAsync();
            Assert.True(r.StatusCode == HttpStatusCode.OK, body);
            return body;
        }
        await using var conn = await server.Db.OpenAsync();
        long Versions() => conn.ExecuteScalar<long>("SELECT COUNT(*) FROM rule_versions");
        var count = Versions();

        // Invalid: an unknown team. The path is shown next to the editor and nothing is stored.
        var bad = Yaml().Replace("team: customer-service\n      priority", "team: nowhere\n      priority", StringComparison.Ordinal);
        var refused = await Post("rules-save", new() { ["Edit.Yaml"] = bad });
        Assert.Contains("rules-errors", refused, StringComparison.Ordinal);
        Assert.Contains("routing[0].actions.team", refused, StringComparison.Ordinal);
        Assert.Equal(count, Versions());

        // What-if with a draft sending refunds to marketing: the draft's team shows, nothing stored.
        var draft = Yaml().Replace("team: customer-service\n      priority", "team: marketing\n      priority", StringComparison.Ordinal);
        var whatIf = await Post("rules-whatif", new() { ["Probe.Yaml"] = draft, ["Probe.Text"] = "refund please", ["Probe.Channel"] = "mastodon" });
        Assert.Matches("id=\"whatif-team\">marketing<", whatIf);
        Assert.Equal(count, Versions());

        // The same draft replayed over the stored week: a stored refund would move, shown next to what happened.
        Assert.True((await api.PostAsync("/api/posts", Jsonl(SlaTestSupport.Post("page-r1", "refund please", DateTimeOffset.UtcNow.AddMinutes(-5))))).IsSuccessStatusCode);
        var replay = await Post("rules-whatif", new() { ["Probe.Yaml"] = draft, ["Probe.Replay"] = "7" });
        Assert.Contains("id=\"replay-result\"", replay, StringComparison.Ordinal);
        Assert.Matches("id=\"replay-changed\">[1-9][0-9]*<", replay);
        Assert.Equal(count, Versions());

        // Save the draft: a new active version with a diff against its predecessor.
        var saved = await Post("rules-save", new() { ["Edit.Yaml"] = draft, ["Edit.Comment"] = "refunds to marketing" });
        Assert.Equal(count + 1, Versions());
        var newId = conn.ExecuteScalar<long>("SELECT id FROM rule_versions WHERE active = 1");
        Assert.NotEqual(v, newId);
        Assert.Contains("+       team: marketing", WebUtility.HtmlDecode(saved), StringComparison.Ordinal);
        Assert.Equal(1, conn.ExecuteScalar<long>("SELECT COUNT(*) FROM audit_log WHERE action = 'rules.create' AND entity_id = @id", new { id = newId.ToString(System.Globalization.CultureInfo.InvariantCulture) }));

        // Roll back to the previous version: a new version with its content becomes active.
        await Post($"rules-rollback-{v}", []);
        var active = conn.QuerySingle<(long Id, string Yaml)>("SELECT id, yaml FROM rule_versions WHERE active = 1");
        Assert.True(active.Id > newId);
        Assert.Equal(Yaml(), active.Yaml);
        Assert.Equal(1, conn.ExecuteScalar<long>("SELECT COUNT(*) FROM audit_log WHERE action = 'rules.rollback'"));

        // Export downloads the active YAML.
        Assert.Equal(Yaml(), await browser.GetStringAsync("/rules/export"));

        // A post without the antiforgery token is refused and stores nothing.
        var forged = await browser.PostAsync("/rules", new FormUrlEncodedContent(new Dictionary<string, string> { ["_handler"] = "rules-save", ["Edit.Yaml"] = draft }));
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.Equal(count + 2, Versions());
    }

    [Fact]
    public async Task Agents_get_403_on_the_rules_page_and_export()
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync("sqlite"));
        using var browser = await TopicsTests.SignInAsync(server, "carlos@demo.switchboard.local");
        Assert.Equal(HttpStatusCode.Forbidden, (await browser.GetAsync("/rules")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await browser.GetAsync("/rules/export")).StatusCode);
        Assert.DoesNotContain("href=\"/rules\"", await browser.GetStringAsync("/"), StringComparison.Ordinal);
    }

    [GeneratedRegex("<input[^>]*name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]+)\"")]
    private static partial Regex Token();
}
