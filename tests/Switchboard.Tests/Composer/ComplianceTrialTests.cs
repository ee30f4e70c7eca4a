using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Switchboard.Tests.Infrastructure;
using Switchboard.Tests.Listening;
using Xunit;

namespace Switchboard.Tests.Composer;

/// <summary>
/// An approver writing a rule tries it on a sentence before saving: the page's "Try" button and the API's draft check
/// run the unsaved YAML in memory, show the outcome, the findings and the draft's own examples, and store nothing.
/// </summary>
public partial class ComplianceTrialTests
{
    const string Draft = "rules:\n  - id: no-free\n    kind: banned_phrases\n    phrases: [free]\nexamples:\n  - text: it is free\n    expect: block\n  - text: it costs 5\n    expect: review\n";

    [Fact]
    public async Task An_approver_tries_a_draft_on_a_text_through_the_api_and_nothing_is_stored()
    {
        await using var kit = await ComposerKit.StartAsync("sqlite");
        using var lena = await kit.ClientAsync(ComposerKit.Email("lena")); // approver
        using var carlos = await kit.ClientAsync(ComposerKit.Email("carlos"));
        var versions = await kit.ScalarAsync<long>("SELECT COUNT(*) FROM compliance_rule_sets");

        var tried = await lena.PostAsJsonAsync("/api/compliance/check", new { text = "shipping is free today", yaml = Draft });
        Assert.Equal(HttpStatusCode.OK, tried.StatusCode);
        var body = await tried.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("block", body.GetProperty("outcome").GetString());
        var finding = body.GetProperty("findings").EnumerateArray().Single();
        Assert.Equal("no-free", finding.GetProperty("rule").GetString());
        Assert.Equal("free", finding.GetProperty("text").GetString());
        Assert.Equal(12, finding.GetProperty("start").GetInt32());
        // The draft's second example is wrong (it passes, it was declared review): reported, not hidden.
        var examples = body.GetProperty("examples").EnumerateArray().ToList();
        Assert.Equal([true, false], examples.Select(e => e.GetProperty("ok").GetBoolean()));

        // The active rules are untouched: the same text passes them (the default set has no rule about "free").
        var active = await (await carlos.PostAsJsonAsync("/api/compliance/check", new { text = "shipping is free today" })).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("pass", active.GetProperty("outcome").GetString());
        Assert.Equal(versions, await kit.ScalarAsync<long>("SELECT COUNT(*) FROM compliance_rule_sets"));

        // Agents may not try drafts; a draft that does not load says where; oversized text is refused.
        Assert.Equal(HttpStatusCode.Forbidden, (await carlos.PostAsJsonAsync("/api/compliance/check", new { text = "x", yaml = Draft })).StatusCode);
        var broken = await lena.PostAsJsonAsync("/api/compliance/check", new { text = "x", yaml = "rules:\n  - id: x\n    kind: nope\n" });
        Assert.Equal(HttpStatusCode.BadRequest, broken.StatusCode);
        Assert.Contains("line 3", await broken.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, (await lena.PostAsJsonAsync("/api/compliance/check", new { text = new string('x', 30_000), yaml = Draft })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await lena.PostAsJsonAsync("/api/compliance/check", new { text = "x", yaml = new string('a', 2_000_000) })).StatusCode);
    }

    [Fact]
    public async Task The_compliance_page_tries_the_draft_in_the_editor_and_keeps_it_there()
    {
        await using var kit = await ComposerKit.StartAsync("sqlite");
        using var browser = await TopicsTests.SignInAsync(kit.Server, ComposerKit.Email("lena"));
        var page = await browser.GetStringAsync("/compliance");
        var versions = await kit.ScalarAsync<long>("SELECT COUNT(*) FROM compliance_rule_sets");

        async Task<string> TryAsync(string yaml, string sample)
        {
            var fields = new Dictionary<string, string>
            {
                ["_handler"] = "compliance-try",
                ["__RequestVerificationToken"] = WebUtility.HtmlDecode(Token().Match(page).Groups[1].Value),
                ["yaml"] = yaml,
                ["sample"] = sample,
                ["comment"] = "draft comment",
            };
            var r = await browser.PostAsync("/compliance", new FormUrlEncodedContent(fields));
            var html = await r.Content.ReadAsStringAsync();
            Assert.True(r.StatusCode == HttpStatusCode.OK, html);
            return html;
        }

        var html = await TryAsync(Draft, "shipping is free today");
        Assert.Contains("data-outcome=\"block\"", html, StringComparison.Ordinal);
        Assert.Contains(">free</mark>", html, StringComparison.Ordinal);
        Assert.Contains("1 of 2 examples behave as declared", html, StringComparison.Ordinal);
        // The draft stays in the editor (HTML-encoded), with its comment, so the approver can go on editing it.
        Assert.Contains("phrases: [free]", WebUtility.HtmlDecode(html), StringComparison.Ordinal);
        Assert.Contains("value=\"draft comment\"", html, StringComparison.Ordinal);

        var broken = await TryAsync("rules:\n  - id: x\n    kind: nope\n", "anything");
        Assert.Contains("The draft does not load", broken, StringComparison.Ordinal);
        Assert.Contains("line 3", broken, StringComparison.Ordinal);
        // An oversized sample is refused as such, not reported as a broken draft.
        var oversized = await TryAsync(Draft, new string('x', 30_000));
        Assert.Contains("Not tried: the sample text has 30000 characters", oversized, StringComparison.Ordinal);
        Assert.DoesNotContain("The draft does not load", oversized, StringComparison.Ordinal);
        // Markup in the sample is shown as text.
        var hostile = await TryAsync(Draft, "<script>alert('free')</script>");
        Assert.DoesNotContain("<script>alert", hostile, StringComparison.Ordinal);
        Assert.Equal(versions, await kit.ScalarAsync<long>("SELECT COUNT(*) FROM compliance_rule_sets"));

        // An agent reads the rules in force, in words, but gets no editor and no trial.
        using var carlos = await TopicsTests.SignInAsync(kit.Server, ComposerKit.Email("carlos"));
        var readOnly = await carlos.GetStringAsync("/compliance");
        Assert.Contains("Compliance approvers and admins change them", readOnly, StringComparison.Ordinal);
        foreach (var rule in Switchboard.Compliance.DefaultRuleSet.RuleSet.Rules)
        {
            Assert.Contains($"data-rule=\"{rule.Id}\"", readOnly, StringComparison.Ordinal);
        }

        Assert.Contains("the words guarantee*", readOnly, StringComparison.Ordinal);
        Assert.DoesNotContain("compliance-yaml", readOnly, StringComparison.Ordinal);
        Assert.DoesNotContain("compliance-try", readOnly, StringComparison.Ordinal);
    }

    [GeneratedRegex("<input[^>]*name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]+)\"")]
    private static partial Regex Token();
}
