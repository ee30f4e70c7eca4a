using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Switchboard.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Switchboard.Tests.Browser;

/// <summary>
/// A manager adds a person from /people in Debian's chromium: a wrong language code is refused with the field named
/// and the typed form kept; fixed, the person appears in the table and in the team's skills matrix; then edited, then deactivated.
/// </summary>
public class PeopleJourneyTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_manager_adds_a_person_fixes_a_refused_field_sees_the_skills_matrix_change_and_deactivates_them()
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync("sqlite"));
        using var admin = await server.AdminClientAsync(); // seeds the demo people
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await Chromium.LaunchAsync(playwright);
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 1000 } });
        var errors = new List<string>();
        page.Console += (_, m) => { if (m.Type == "error") { errors.Add(m.Text); } };
        await page.SignInAsync(server.Address, "maria@demo.switchboard.local");

        await page.ClickAsync("a.nav-link[href='/people']");
        await page.WaitForSelectorAsync("#people-table");
        var technical = page.Locator("#skills-matrix tr[data-team=customer-service] td").Nth(6); // Technical column
        var before = (await technical.InnerTextAsync()).Trim();
        Assert.Equal("1 / 1", before); // Carlos

        await page.ClickAsync("#new-person");
        // Maria manages customer-service and marketing: seats elsewhere are not hers to give.
        Assert.True(await page.IsDisabledAsync("input[name=team][value=public-relations]"));
        Assert.False(await page.IsDisabledAsync("input[name=team][value=customer-service]"));
        await page.FillAsync("#person-email", "nadia@example.test");
        await page.FillAsync("#person-name", "Nadia Night");
        await page.CheckAsync("input[name=team][value=customer-service]");
        await page.CheckAsync("input[name=skill][value=Technical]");
        await page.FillAsync("#person-languages", "en, arabic");
        await page.FillAsync("#person-capacity", "4");
        await page.FillAsync("#person-password", "a long enough password");
        await page.ClickAsync("#save-person");
        await page.WaitForSelectorAsync("#people-error");
        Assert.Contains("languages[1]: 'arabic'", await page.InnerTextAsync("#people-error"), StringComparison.Ordinal);
        // What was typed is still there to fix.
        Assert.Equal("Nadia Night", await page.InputValueAsync("#person-name"));
        Assert.True(await page.IsCheckedAsync("input[name=skill][value=Technical]"));

        await page.FillAsync("#person-languages", "en, ar");
        await page.FillAsync("#person-password", "a long enough password");
        await page.ClickAsync("#save-person");
        await page.WaitForSelectorAsync("#people-saved");
        var row = page.Locator("#people-table tr[data-person]", new PageLocatorOptions { HasText = "nadia@example.test" });
        Assert.Contains("Customer Service", await row.InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal("2 / 2", (await technical.InnerTextAsync()).Trim());

        await row.Locator("a", new LocatorLocatorOptions { HasText = "Edit" }).ClickAsync();
        await page.WaitForSelectorAsync("#person-form");
        await page.FillAsync("#person-capacity", "2");
        await page.ClickAsync("#save-person");
        await page.WaitForSelectorAsync("#people-saved");
        Assert.Contains("0 / 2", await row.InnerTextAsync(), StringComparison.Ordinal);

        // Nadia leaves: deactivated after ticking the box that spells out what happens; the matrix no longer counts her.
        await row.Locator("a", new LocatorLocatorOptions { HasText = "Edit" }).ClickAsync();
        await page.WaitForSelectorAsync("#deactivate-person");
        await page.CheckAsync("#confirm-deactivate");
        await page.ClickAsync("#deactivate-person");
        await page.WaitForSelectorAsync("#people-saved >> text=deactivated");
        Assert.Equal("deactivated", await row.GetAttributeAsync("class"));
        Assert.Equal("1 / 1", (await technical.InnerTextAsync()).Trim());
        await row.Locator("a", new LocatorLocatorOptions { HasText = "Edit" }).ClickAsync();
        await page.WaitForSelectorAsync("#reactivate-person");

        var people = await admin.GetFromJsonAsync<JsonElement>("/api/people");
        var nadia = people.EnumerateArray().Single(p => p.GetProperty("email").GetString() == "nadia@example.test");
        Assert.Equal(["en", "ar"], nadia.GetProperty("languages").EnumerateArray().Select(l => l.GetString()));
        Assert.Equal(2, nadia.GetProperty("capacity").GetInt32());
        Assert.False(nadia.GetProperty("active").GetBoolean());

        // Carlos also sits in public-relations (an admin put him there): Maria changes his capacity, and the seat she
        // may not touch is kept as it was.
        var carlos = people.EnumerateArray().Single(p => p.GetProperty("email").GetString() == "carlos@demo.switchboard.local").GetProperty("id").GetInt64();
        (await admin.PutAsJsonAsync($"/api/people/{carlos}", new
        {
            name = "Carlos Care",
            role = "agent",
            teams = new[] { new { team = "customer-service", lead = false }, new { team = "public-relations", lead = true } },
            skills = new[] { "Communicating", "Technical" },
            languages = new[] { "en", "es", "pt" },
            capacity = 8,
        })).EnsureSuccessStatusCode();
        await page.GotoAsync(new Uri(server.Address, $"/people?edit={carlos}").ToString());
        await page.WaitForSelectorAsync("#person-form");
        Assert.True(await page.IsCheckedAsync("input[type=checkbox][name=team][value=public-relations]"));
        await page.FillAsync("#person-capacity", "9");
        await page.ClickAsync("#save-person");
        await page.WaitForSelectorAsync("#people-saved");
        var after = await admin.GetFromJsonAsync<JsonElement>($"/api/people/{carlos}");
        Assert.Equal(9, after.GetProperty("capacity").GetInt32());
        Assert.Equal(["customer-service:False", "public-relations:True"],
            after.GetProperty("teams").EnumerateArray().Select(t => $"{t.GetProperty("team").GetString()}:{t.GetProperty("lead").GetBoolean()}").Order());
        var shot = Path.Combine(Path.GetTempPath(), "switchboard-people.png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = shot, FullPage = true });
        output.WriteLine("screenshot: " + shot);
        Assert.Empty(errors);
    }
}
