using System.Net;
using System.Text.RegularExpressions;
using Switchboard.Demo;
using Switchboard.Tests.Infrastructure;
using Xunit;

namespace Switchboard.Tests.Channels;

public sealed partial class ChannelsPageTests
{
    private const string Secret = "page-SECRET-e41f0b";

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex TokenPattern();

    private static string Token(string html) => WebUtility.HtmlDecode(TokenPattern().Match(html).Groups[1].Value);

    private static async Task<HttpClient> SignInAsync(RunningServer server, string email)
    {
        var client = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = true }) { BaseAddress = server.Address };
        var login = await client.GetStringAsync("/login");
        var r = await client.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["email"] = email,
            ["password"] = DemoWorkspace.Password,
            ["__RequestVerificationToken"] = Token(login),
        }));
        Assert.DoesNotContain("/login", r.RequestMessage!.RequestUri!.AbsolutePath, StringComparison.Ordinal);
        return client;
    }

    [Fact]
    public async Task A_manager_adds_an_account_from_the_page_and_the_secret_is_never_shown_again()
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync("sqlite"));
        await DemoWorkspace.SeedAsync(server.Db, TimeProvider.System);
        using var manager = await SignInAsync(server, "maria@demo.switchboard.local");

        var form = await manager.GetStringAsync("/channels?new=mastodon");
        Assert.Contains("name=\"secret.access_token\"", form, StringComparison.Ordinal);
        Assert.Contains("type=\"password\"", form, StringComparison.Ordinal);
        var saved = await manager.PostAsync("/channels/save", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = Token(form),
            ["kind"] = "mastodon",
            ["name"] = "Brand",
            ["enabled"] = "true",
            ["setting.instance"] = "https://mastodon.example",
            ["setting.timelines"] = "notifications",
            ["secret.access_token"] = Secret,
        }));
        Assert.Contains("saved=1", saved.RequestMessage!.RequestUri!.Query, StringComparison.Ordinal);
        var list = await saved.Content.ReadAsStringAsync();
        Assert.Contains("Brand", list, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, list, StringComparison.Ordinal);
        var id = Regex.Match(list, @"/channels\?edit=(\d+)").Groups[1].Value;
        var edit = WebUtility.HtmlDecode(await manager.GetStringAsync($"/channels?edit={id}"));
        Assert.Contains("set — leave empty to keep", edit, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, edit, StringComparison.Ordinal);

        // A bad form comes back with the reason; without the antiforgery token the post is refused.
        var bad = await manager.PostAsync("/channels/save", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = Token(form),
            ["kind"] = "rss",
            ["name"] = "x",
            ["setting.url"] = "gopher://old.example",
        }));
        Assert.Contains("url must be an absolute", WebUtility.HtmlDecode(await bad.Content.ReadAsStringAsync()), StringComparison.Ordinal);
        var forged = await manager.PostAsync("/channels/save", new FormUrlEncodedContent(new Dictionary<string, string> { ["kind"] = "rss", ["name"] = "y" }));
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);

        // An agent sees the list and health but no forms.
        using var agent = await SignInAsync(server, "carlos@demo.switchboard.local");
        var agentPage = await agent.GetStringAsync("/channels?new=rss");
        Assert.Contains("Brand", agentPage, StringComparison.Ordinal);
        Assert.DoesNotContain("/channels/save", agentPage, StringComparison.Ordinal);
    }
}
