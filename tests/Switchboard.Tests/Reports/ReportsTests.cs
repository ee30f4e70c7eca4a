using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Dapper;
using Microsoft.Extensions.Time.Testing;
using Switchboard.Tests.Infrastructure;
using Xunit;
using static Switchboard.Tests.Sla.SlaTestSupport;

namespace Switchboard.Tests.Reports;

/// <summary>
/// KPIs from a real server on a manual clock: a reply time, a breach, a resolution and a reopening happen at known
/// minutes, and the report, its drill-down lists and its CSV must agree with them and with each other.
/// </summary>
public partial class ReportsTests
{
    // Monday 2 March 2026, 10:00 UTC: midnight of Tuesday 3 March on Kiritimati (UTC+14), which the zone case uses.
    static readonly DateTimeOffset T0 = new(2026, 3, 2, 10, 0, 0, TimeSpan.Zero);

    [Theory]
    [MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task The_report_counts_reply_times_breaches_and_resolutions_as_they_happened_and_its_links_list_the_same_conversations(string provider)
    {
        var clock = new FakeTimeProvider(T0);
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync(provider), configure: s => s with { Time = clock });
        using var admin = await server.AdminClientAsync();
        await ActivateAsync(admin, Yaml(firstResponse: "1h"));

        // Two refunds for customer service and a hello for marketing, all at 10:00.
        Assert.True((await admin.PostAsync("/api/posts", Jsonl(Post("r1", "refund please", T0), Post("r2", "refund now", T0), Post("r3", "hello there", T0)))).IsSuccessStatusCode);
        var (r1, r2, r3) = (await ConversationOfAsync(server.Db, "r1"), await ConversationOfAsync(server.Db, "r2"), await ConversationOfAsync(server.Db, "r3"));

        // r1 is answered after 20 minutes, r3 after 30; r2 never.
        clock.Advance(TimeSpan.FromMinutes(20));
        Assert.True((await admin.PostAsync("/api/posts", Jsonl(Post("r1-re", "on it", clock.GetUtcNow(), reply: "r1", outgoing: true)))).IsSuccessStatusCode);
        clock.Advance(TimeSpan.FromMinutes(10));
        Assert.True((await admin.PostAsync("/api/posts", Jsonl(Post("r3-re", "hi!", clock.GetUtcNow(), reply: "r3", outgoing: true)))).IsSuccessStatusCode);

        // From 11:00 r2's first response is breached (the scheduler fires it).
        clock.Advance(TimeSpan.FromMinutes(31));
        await using var conn = await server.Db.OpenAsync();
        // The scheduler sleeps on the manual clock: a sleep it computed just before the jump above ends only after
        // more manual time, so each probe moves the clock a whole minute (the times below are read from the clock).
        var breaches = await EventuallyAsync(() =>
        {
            clock.Advance(TimeSpan.FromMinutes(1));
            return conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM sla_effects WHERE kind = 'Breach'");
        }, n => n >= 1, TimeSpan.FromSeconds(30));
        Assert.True(breaches == 1, "timers: " + string.Join("; ", await conn.QueryAsync<string>("SELECT conversation_id || ' ' || due_at || ' ' || kind || ' ' || metric || ' ' || COALESCE(lease_until, 0) FROM sla_timers"))
            + " effects: " + string.Join("; ", await conn.QueryAsync<string>("SELECT conversation_id || ' ' || kind || ' ' || metric FROM sla_effects")) + " now " + clock.GetUtcNow().ToUnixTimeMilliseconds());

        // r1 is resolved from the inbox (met); r3 is resolved and reopened through the SLA API (in progress).
        var resolution = clock.GetUtcNow() - T0;
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/api/inbox/conversations/{r1}/resolve", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/api/conversations/{r3}/resolve", null)).StatusCode);
        Assert.NotNull(await conn.ExecuteScalarAsync<long?>("SELECT resolved_at FROM conversations WHERE id = @r3", new { r3 }));
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/api/conversations/{r3}/reopen", null)).StatusCode);
        Assert.Null(await conn.ExecuteScalarAsync<long?>("SELECT resolved_at FROM conversations WHERE id = @r3", new { r3 }));

        var report = await KpisAsync(admin, "from=2026-03-02&to=2026-03-02");
        var total = report.GetProperty("total");
        Assert.Equal(3, total.GetProperty("conversations").GetInt32());
        Assert.Equal(2, total.GetProperty("answered").GetInt32());
        var first = total.GetProperty("firstResponse");
        // Nearest rank over [20 min, 30 min]: the median is the first, the 90th percentile the second.
        Assert.Equal(20 * 60, first.GetProperty("medianSeconds").GetDouble());
        Assert.Equal(30 * 60, first.GetProperty("p90Seconds").GetDouble());
        Assert.Equal(1.0, first.GetProperty("shareWithinTarget").GetDouble());
        Assert.Equal((3, 1, 1, 1), (total.GetProperty("withSla").GetInt32(), total.GetProperty("breached").GetInt32(), total.GetProperty("met").GetInt32(), total.GetProperty("inProgress").GetInt32()));
        Assert.Equal(0.5, total.GetProperty("slaAttainment").GetDouble());
        Assert.Equal(1, report.GetProperty("breaches").GetProperty("firstResponse").GetInt32());
        Assert.Equal(1, total.GetProperty("resolved").GetInt32());
        Assert.Equal(resolution.TotalSeconds, total.GetProperty("resolution").GetProperty("medianSeconds").GetDouble());
        Assert.Equal((3, 2), (report.GetProperty("inboundMessages").GetInt64(), report.GetProperty("outboundMessages").GetInt64()));
        var teams = report.GetProperty("teams").EnumerateArray().ToDictionary(t => t.GetProperty("key").GetString()!, t => t.GetProperty("conversations").GetInt32());
        Assert.Equal(new Dictionary<string, int> { ["customer-service"] = 2, ["marketing"] = 1 }, teams);
        Assert.Equal(3, report.GetProperty("agents").EnumerateArray().Sum(a => a.GetProperty("conversations").GetInt32()));
        var escalatedInDb = await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM conversations WHERE escalation_level > 0");
        Assert.Equal(escalatedInDb, total.GetProperty("escalated").GetInt32());

        // Every number links to the list it counts: the same conversations, in the inbox.
        Assert.Equal([r1, r2, r3], await DrillAsync(admin, "from=2026-03-02&to=2026-03-02"));
        Assert.Equal([r2], await DrillAsync(admin, "from=2026-03-02&to=2026-03-02&breached=1"));
        Assert.Equal([r2], await DrillAsync(admin, "from=2026-03-02&to=2026-03-02&breached=first_response"));
        Assert.Empty(await DrillAsync(admin, "from=2026-03-02&to=2026-03-02&breached=resolution"));
        Assert.Equal([r1, r2], await DrillAsync(admin, "from=2026-03-02&to=2026-03-02&team=customer-service"));
        Assert.Equal((int)escalatedInDb, (await DrillAsync(admin, "from=2026-03-02&to=2026-03-02&escalated=1")).Count);
        Assert.Empty(await DrillAsync(admin, "from=2026-03-01&to=2026-03-01"));

        // The CSV is the same rows, one per conversation.
        var csv = await admin.GetStringAsync("/reports/conversations.csv?from=2026-03-02&to=2026-03-02");
        var lines = csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Length);
        var r2Row = lines.Single(l => l.StartsWith(r2 + ",", StringComparison.Ordinal)).Split(',');
        var header = lines[0].Split(',');
        Assert.Equal("yes", r2Row[Array.IndexOf(header, "breached_first_response")]);
        Assert.Equal("", r2Row[Array.IndexOf(header, "first_response_minutes")]);
        var r1Row = lines.Single(l => l.StartsWith(r1 + ",", StringComparison.Ordinal)).Split(',');
        Assert.Equal("20", r1Row[Array.IndexOf(header, "first_response_minutes")]);
        Assert.Equal(((int)resolution.TotalMinutes).ToString(System.Globalization.CultureInfo.InvariantCulture), r1Row[Array.IndexOf(header, "resolution_minutes")]);

        // The customer writes again on r1: reopened, it is no longer resolved, so no longer met.
        Assert.True((await admin.PostAsync("/api/posts", Jsonl(Post("r1-b", "still waiting", clock.GetUtcNow(), reply: "r1")))).IsSuccessStatusCode);
        Assert.Null(await conn.ExecuteScalarAsync<long?>("SELECT resolved_at FROM conversations WHERE id = @r1", new { r1 }));
        var after = (await KpisAsync(admin, "from=2026-03-02&to=2026-03-02")).GetProperty("total");
        Assert.Equal((0, 0, 1), (after.GetProperty("resolved").GetInt32(), after.GetProperty("met").GetInt32(), after.GetProperty("breached").GetInt32()));
        Assert.Equal(0.0, after.GetProperty("slaAttainment").GetDouble());

        // Days are the reader's: 10:00 UTC on 2 March is already 3 March on Kiritimati (UTC+14).
        var kiritimati = await KpisAsync(admin, "from=2026-03-02&to=2026-03-03&zone=Pacific/Kiritimati");
        var days = kiritimati.GetProperty("days").EnumerateArray().ToDictionary(d => d.GetProperty("key").GetString()!, d => d.GetProperty("conversations").GetInt32());
        Assert.Equal(new Dictionary<string, int> { ["2026-03-02"] = 0, ["2026-03-03"] = 3 }, days);
        Assert.Empty(await DrillAsync(admin, "from=2026-03-02&to=2026-03-02&zone=Pacific/Kiritimati"));

        // The day after is compared with this one: the arrows' baseline is the as many days right before.
        var nextDay = await KpisAsync(admin, "from=2026-03-03&to=2026-03-03");
        Assert.Equal(0, nextDay.GetProperty("total").GetProperty("conversations").GetInt32());
        var previous = nextDay.GetProperty("previous");
        Assert.Equal(("2026-03-02", "2026-03-02"), (previous.GetProperty("from").GetString(), previous.GetProperty("to").GetString()));
        Assert.Equal(3, previous.GetProperty("total").GetProperty("conversations").GetInt32());
        Assert.Equal(20 * 60, previous.GetProperty("total").GetProperty("firstResponse").GetProperty("medianSeconds").GetDouble());

        // A manager sees their teams only; the analyst (the executive) everything; an agent no report at all.
        await conn.ExecuteAsync("DELETE FROM team_members WHERE user_id = (SELECT id FROM users WHERE email = 'maria@demo.switchboard.local') AND team_id = (SELECT id FROM teams WHERE slug = 'marketing')");
        using var maria = await server.ClientForAsync("maria@demo.switchboard.local");
        // Her scope: customer service's conversations and any assigned to her (marketing's r3 may be).
        var hers = await conn.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM conversations c JOIN teams t ON t.id = c.team_id WHERE t.slug = 'customer-service' OR c.assignee_id = (SELECT id FROM users WHERE email = 'maria@demo.switchboard.local')");
        Assert.InRange(hers, 2, 3);
        Assert.Equal(hers, (await KpisAsync(maria, "from=2026-03-02&to=2026-03-02")).GetProperty("total").GetProperty("conversations").GetInt32());
        Assert.Equal(hers + 1, (await maria.GetStringAsync("/reports/conversations.csv?from=2026-03-02&to=2026-03-02")).Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Length);
        await conn.ExecuteAsync("UPDATE conversations SET assignee_id = NULL WHERE id = @r3", new { r3 });
        Assert.Equal(2, (await KpisAsync(maria, "from=2026-03-02&to=2026-03-02")).GetProperty("total").GetProperty("conversations").GetInt32());
        using var erin = await server.ClientForAsync("erin@demo.switchboard.local");
        Assert.Equal(3, (await KpisAsync(erin, "from=2026-03-02&to=2026-03-02")).GetProperty("total").GetProperty("conversations").GetInt32());
        using var carlos = await server.ClientForAsync("carlos@demo.switchboard.local");
        Assert.Equal(HttpStatusCode.Forbidden, (await carlos.GetAsync("/api/reports/kpis")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await carlos.GetAsync("/reports/conversations.csv")).StatusCode);

        // The page shows the same numbers and links to the lists.
        var page = await erin.GetStringAsync("/reports?from=2026-03-02&to=2026-03-02");
        Assert.Matches("id=\"kpi-conversations\" href=\"/inbox/all\\?from=2026-03-02&amp;to=2026-03-02\">\\s*<span class=\"value\">3</span>", page);
        // r1 was reopened above: of the outcomes known, none met and one breached.
        Assert.Matches("id=\"kpi-sla\"[^>]*>\\s*<span class=\"value\">0 %</span>", page);
    }

    [Theory]
    [InlineData("from=2026-3-2", "from must be a date")]
    [InlineData("to=yesterday", "to must be a date")]
    [InlineData("from=2026-03-05&to=2026-03-01", "is after to")]
    [InlineData("from=2025-01-01&to=2026-03-01", "at most 366 days")]
    [InlineData("zone=Mars/Olympus", "zone must be a time zone id")]
    [InlineData("zone=../../etc/passwd", "zone must be a time zone id")]
    [InlineData("team=no-such-team", "no team 'no-such-team'")]
    [InlineData("team=%27%20OR%201%3D1%20--", "no team")]
    [InlineData("response_target=0", "response_target must be")]
    [InlineData("response_target=-5", "response_target must be")]
    [InlineData("response_target=99999999999", "response_target must be")]
    [InlineData("response_target=1e3", "response_target must be")]
    public async Task A_malformed_filter_is_refused_with_its_reason_by_the_api_the_export_and_the_page(string query, string reason)
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync("sqlite"));
        using var admin = await server.AdminClientAsync();
        foreach (var path in new[] { "/api/reports/kpis?", "/reports/conversations.csv?" })
        {
            var r = await admin.GetAsync(path + query);
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
            Assert.Contains(reason, (await r.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        var page = await admin.GetAsync("/reports?" + query);
        Assert.Equal(HttpStatusCode.BadRequest, page.StatusCode);
        Assert.Contains(reason, WebUtility.HtmlDecode(await page.Content.ReadAsStringAsync()), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Oversized_and_hostile_filters_are_refused_and_a_hostile_drill_down_lists_nothing_wider()
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync("sqlite"));
        using var admin = await server.AdminClientAsync();
        // Long enough to be refused by our checks, short enough for Kestrel's 8 KB request line.
        var huge = new string('x', 4_000);
        foreach (var q in new[] { "zone=" + huge, "team=" + huge, "channel=" + huge, "from=" + huge })
        {
            Assert.Equal(HttpStatusCode.BadRequest, (await admin.GetAsync("/api/reports/kpis?" + q)).StatusCode);
        }

        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync("/api/posts", Jsonl(Post("h1", "hello", DateTimeOffset.UtcNow)))).StatusCode);
        // A drill-down the inbox cannot read is an error on the page, never a silently wider list.
        foreach (var q in new[] { "from=2026-02-30", "breached=maybe", "assignee=1;DROP TABLE users", "escalated=2", "channel=" + huge })
        {
            var r = await admin.GetAsync("/inbox/all?" + q);
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
            Assert.DoesNotContain("data-conversation=", await r.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // A channel is a value, not SQL: a quote in it matches no conversation.
        Assert.Empty(await DrillAsync(admin, "channel=mastodon%27%20OR%20%271%27%3D%271"));
        Assert.Single(await DrillAsync(admin, "channel=mastodon"));
        Assert.Equal(HttpStatusCode.Unauthorized, (await server.Client().GetAsync("/api/reports/kpis")).StatusCode);
    }

    static async Task<JsonElement> KpisAsync(HttpClient client, string query)
    {
        var r = await client.GetAsync("/api/reports/kpis?" + query);
        Assert.True(r.StatusCode == HttpStatusCode.OK, await r.Content.ReadAsStringAsync());
        return await r.Content.ReadFromJsonAsync<JsonElement>();
    }

    /// <summary>The conversation ids the inbox lists for a drill-down link, in id order.</summary>
    static async Task<List<long>> DrillAsync(HttpClient client, string query)
    {
        var r = await client.GetAsync("/inbox/all?" + query);
        var html = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == HttpStatusCode.OK, html);
        return [.. ConversationIds().Matches(html).Select(m => long.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).Distinct().Order()];
    }

    [GeneratedRegex("data-conversation=\"(\\d+)\"")]
    private static partial Regex ConversationIds();
}
