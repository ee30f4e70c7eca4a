using System.Net;
using Switchboard.Demo;
using Switchboard.Tests.Infrastructure;
using Xunit;

namespace Switchboard.Tests.Inbox;

/// <summary>Sessions: cookie flags, rotation at sign-in, throttling, anti-forgery on cookie requests, headers.</summary>
public class SessionSecurityTests
{
    private static async Task<HttpResponseMessage> TryLoginAsync(HttpClient http, string email, string password, string? forwardedFor = null)
    {
        var token = await InboxFixture.LoginTokenAsync(http);
        return await http.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["email"] = email,
            ["password"] = password,
            ["__RequestVerificationToken"] = token,
        }));
    }

    private static HttpClient Browser(RunningServer server, CookieContainer? cookies = null) =>
        new(new HttpClientHandler { CookieContainer = cookies ?? new CookieContainer(), AllowAutoRedirect = false }) { BaseAddress = server.Address };

    [Fact]
    public async Task Session_cookie_is_httponly_samesite_and_replaced_at_sign_in()
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync("sqlite"));
        await DemoWorkspace.SeedAsync(server.Db, TimeProvider.System);
        var cookies = new CookieContainer();
        // A session id planted before sign-in (fixation) is not accepted and not kept.
        cookies.Add(server.Address, new Cookie("switchboard.session", "planted-by-attacker"));
        using var http = Browser(server, cookies);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/api/conversations")).StatusCode);

        var r = await TryLoginAsync(http, InboxFixture.Carlos, DemoWorkspace.Password);
        Assert.Equal(HttpStatusCode.Redirect, r.StatusCode);
        // The old session is expired and a new one issued in the same response.
        var setCookie = r.Headers.GetValues("Set-Cookie").Last(c => c.StartsWith("switchboard.session=", StringComparison.Ordinal) && !c.StartsWith("switchboard.session=;", StringComparison.Ordinal));
        Assert.Contains("httponly", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", setCookie, StringComparison.OrdinalIgnoreCase);
        // Plain HTTP here: Secure is set when the request is HTTPS (CookieSecurePolicy.SameAsRequest).
        Assert.DoesNotContain("planted-by-attacker", setCookie, StringComparison.Ordinal);
        var first = cookies.GetCookies(server.Address)["switchboard.session"]!.Value;
        Assert.NotEqual("planted-by-attacker", first);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/api/conversations")).StatusCode);

        // Signing in again issues another session value.
        await TryLoginAsync(http, InboxFixture.Carlos, DemoWorkspace.Password);
        Assert.NotEqual(first, cookies.GetCookies(server.Address)["switchboard.session"]!.Value);
    }

    [Fact]
    public async Task Repeated_failures_lock_the_account_with_retry_after_even_for_the_right_password()
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync("sqlite"));
        await DemoWorkspace.SeedAsync(server.Db, TimeProvider.System);
        using var http = Browser(server);
        for (var i = 0; i < 5; i++)
        {
            var bad = await TryLoginAsync(http, InboxFixture.Carlos, "wrong-" + i);
            Assert.Equal(HttpStatusCode.Redirect, bad.StatusCode);
            Assert.Contains("error=1", bad.Headers.Location!.ToString(), StringComparison.Ordinal);
        }

        var locked = await TryLoginAsync(http, InboxFixture.Carlos, DemoWorkspace.Password);
        Assert.Equal(HttpStatusCode.TooManyRequests, locked.StatusCode);
        var retry = locked.Headers.RetryAfter?.Delta;
        Assert.NotNull(retry);
        Assert.InRange(retry!.Value.TotalSeconds, 1, 15 * 60);

        // Another account from the same address is not locked by Carlos's failures.
        var other = await TryLoginAsync(http, InboxFixture.Ivan, DemoWorkspace.Password);
        Assert.Equal(HttpStatusCode.Redirect, other.StatusCode);
        Assert.DoesNotContain("error", other.Headers.Location!.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Many_failures_from_one_address_across_accounts_lock_the_address()
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync("sqlite"));
        await DemoWorkspace.SeedAsync(server.Db, TimeProvider.System);
        using var http = Browser(server);
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(HttpStatusCode.Redirect, (await TryLoginAsync(http, $"nobody{i}@example.com", "guess")).StatusCode);
        }

        var locked = await TryLoginAsync(http, InboxFixture.Hana, DemoWorkspace.Password);
        Assert.Equal(HttpStatusCode.TooManyRequests, locked.StatusCode);
        Assert.NotNull(locked.Headers.RetryAfter);
    }

    [Fact]
    public async Task Cookie_requests_that_change_state_need_the_antiforgery_token_but_bearer_requests_do_not()
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync("sqlite"));
        var ids = await InboxFixture.IngestAsync(server, ("p1", "my refund never arrived"));
        using var carlos = await InboxFixture.SignInAsync(server, InboxFixture.Carlos);
        var url = $"/api/inbox/conversations/{ids["p1"]}/resolve";
        var forged = await carlos.Http.PostAsync(url, new StringContent("{}", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.Contains("anti-forgery", await forged.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var formWithoutToken = await carlos.Http.PostAsync($"/inbox/conversations/{ids["p1"]}/resolve", new FormUrlEncodedContent([]));
        Assert.Equal(HttpStatusCode.BadRequest, formWithoutToken.StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await carlos.SendJsonAsync(HttpMethod.Post, url, new { })).StatusCode);
        using var bearer = await InboxFixture.TokenClientAsync(server, InboxFixture.Carlos);
        Assert.Equal(HttpStatusCode.OK, (await bearer.PostAsync($"/api/inbox/conversations/{ids["p1"]}/reopen", null)).StatusCode);
    }

    [Fact]
    public async Task Security_headers_are_on_every_response()
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync("sqlite"));
        using var http = Browser(server);
        foreach (var path in new[] { "/login", "/healthz", "/api/conversations", "/inbox/all" })
        {
            var r = await http.GetAsync(path);
            Assert.Equal("nosniff", r.Headers.GetValues("X-Content-Type-Options").Single());
            Assert.Equal("no-referrer", r.Headers.GetValues("Referrer-Policy").Single());
            Assert.StartsWith("max-age=", r.Headers.GetValues("Strict-Transport-Security").Single(), StringComparison.Ordinal);
            var csp = r.Headers.GetValues("Content-Security-Policy").Single();
            Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
            Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Analyst_reads_but_cannot_act_and_agents_cannot_open_the_audit_trail()
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync("sqlite"));
        var ids = await InboxFixture.IngestAsync(server, ("p1", "my refund never arrived"));
        using var erin = await InboxFixture.TokenClientAsync(server, InboxFixture.Erin);
        Assert.Equal(HttpStatusCode.OK, (await erin.GetAsync($"/api/conversations/{ids["p1"]}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await erin.PostAsync($"/api/inbox/conversations/{ids["p1"]}/resolve", null)).StatusCode);
        using var carlos = await InboxFixture.TokenClientAsync(server, InboxFixture.Carlos);
        Assert.Equal(HttpStatusCode.Forbidden, (await carlos.GetAsync("/api/audit")).StatusCode);
        using var maria = await InboxFixture.TokenClientAsync(server, InboxFixture.Maria);
        Assert.Equal(HttpStatusCode.OK, (await maria.GetAsync("/api/audit")).StatusCode);
        using var carlosSession = await InboxFixture.SignInAsync(server, InboxFixture.Carlos);
        Assert.Equal(HttpStatusCode.Forbidden, (await carlosSession.Http.GetAsync("/audit")).StatusCode);
    }
}
