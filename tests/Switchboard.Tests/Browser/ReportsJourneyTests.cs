using Microsoft.Playwright;
using Switchboard.Tests.Infrastructure;
using Xunit;
using static Switchboard.Tests.Sla.SlaTestSupport;

namespace Switchboard.Tests.Browser;

/// <summary>
/// The executive (the read-only analyst) opens Reports in Debian's chromium, narrows it to one team, follows a number
/// to the inbox list behind it and clears the filter; an agent has no Reports link.
/// </summary>
public class ReportsJourneyTests
{
    [Fact]
    public async Task The_analyst_reads_the_kpis_narrows_them_to_a_team_and_drills_down_to_the_same_conversations()
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync("sqlite"));
        using var admin = await server.AdminClientAsync();
        await ActivateAsync(admin, Yaml());
        var now = DateTimeOffset.UtcNow;
        Assert.True((await admin.PostAsync("/api/posts", Jsonl(Post("j1", "refund please", now), Post("j2", "refund again", now), Post("j3", "hello", now)))).IsSuccessStatusCode);

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await Chromium.LaunchAsync(playwright);
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 1000 } });
        var errors = new List<string>();
        page.Console += (_, m) => { if (m.Type == "error") { errors.Add(m.Text); } };
        await page.SignInAsync(server.Address, "erin@demo.switchboard.local");

        await page.ClickAsync("a.nav-link[href='/reports']");
        await page.WaitForSelectorAsync("#kpi-conversations");
        Assert.Equal("3", (await page.InnerTextAsync("#kpi-conversations .value")).Trim());
        Assert.Equal(2, await page.Locator("#by-team tbody tr").CountAsync());

        await page.SelectOptionAsync("#report-team", "customer-service");
        await page.ClickAsync("#report-apply");
        await page.WaitForURLAsync(u => u.Contains("team=customer-service", StringComparison.Ordinal));
        Assert.Equal("2", (await page.InnerTextAsync("#kpi-conversations .value")).Trim());
        Assert.Equal("/reports/conversations.csv", new Uri(server.Address, await page.GetAttributeAsync("#report-csv", "href")).AbsolutePath);

        await page.ClickAsync("#kpi-conversations");
        await page.WaitForSelectorAsync("#drill");
        Assert.Contains("started", await page.InnerTextAsync("#drill"), StringComparison.Ordinal);
        Assert.Equal(2, await page.Locator("#conversation-list [data-conversation]").CountAsync());
        await page.ClickAsync("#clear-drill");
        await page.WaitForSelectorAsync("#conversation-list");
        Assert.Equal(0, await page.Locator("#drill").CountAsync());
        Assert.Equal(3, await page.Locator("#conversation-list [data-conversation]").CountAsync());
        Assert.Empty(errors);

        // An agent has no Reports link, and the page itself is refused.
        var agent = await browser.NewPageAsync();
        await agent.SignInAsync(server.Address, "carlos@demo.switchboard.local");
        Assert.Equal(0, await agent.Locator("a.nav-link[href='/reports']").CountAsync());
        // Chromium shows a bodiless 403 as a navigation error, so the request is made with the page's own cookies.
        var refused = await agent.Context.APIRequest.GetAsync(new Uri(server.Address, "/reports").ToString(), new() { MaxRedirects = 0 });
        Assert.Equal(403, refused.Status);
    }
}
