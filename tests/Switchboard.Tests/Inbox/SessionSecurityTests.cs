using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Switchboard.Demo;
using Switchboard.Tests.Channels.Connectors;
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

    private static void AssertSecurityHeaders(HttpResponseMessage r, string what)
    {
        string Header(string name) =>
            r.Headers.TryGetValues(name, out var values) ? values.Single() : throw new Xunit.Sdk.XunitException($"{what} ({(int)r.StatusCode}) has no {name} header");
        Assert.Equal("nosniff", Header("X-Content-Type-Options"));
        Assert.Equal("no-referrer", Header("Referrer-Policy"));
        Assert.Equal("DENY", Header("X-Frame-Options"));
        // These servers speak plain HTTP: HSTS is for HTTPS responses only (TrustedProxiesTests covers it behind a proxy).
        Assert.False(r.Headers.Contains("Strict-Transport-Security"), $"{what} ({(int)r.StatusCode}) sent HSTS over plain HTTP");
        var csp = Header("Content-Security-Policy");
        Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Security_headers_are_on_every_response()
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync("sqlite"));
        using var http = Browser(server);
        foreach (var path in new[] { "/login", "/healthz", "/api/conversations", "/inbox/all" })
        {
            AssertSecurityHeaders(await http.GetAsync(path), "GET " + path);
        }
    }

    /// <summary>
    /// Not only pages: every kind of response a browser (or an attacker steering one) can get — errors produced by
    /// routing, authentication, anti-forgery and model binding, redirects, static files, webhooks, a server error.
    /// </summary>
    [Fact]
    public async Task Security_headers_are_on_every_kind_of_response()
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync("sqlite"));
        using var http = Browser(server);
        using var admin = await InboxFixture.TokenClientAsync(server, InboxFixture.Admin);
        using var agent = await InboxFixture.TokenClientAsync(server, InboxFixture.Carlos);
        using var carlosSession = await InboxFixture.SignInAsync(server, InboxFixture.Carlos);
        var json = "application/json";

        async Task Check(string what, Task<HttpResponseMessage> send, HttpStatusCode expected, string? contentType = null)
        {
            using var r = await send;
            Assert.True(r.StatusCode == expected, $"{what}: expected {(int)expected}, got {(int)r.StatusCode}");
            if (contentType is not null)
                Assert.Equal(contentType, r.Content.Headers.ContentType?.MediaType);
            AssertSecurityHeaders(r, what);
        }

        await Check("a page that does not exist", http.GetAsync("/no-such-page"), HttpStatusCode.NotFound);
        await Check("an API path that does not exist", admin.GetAsync("/api/no-such-thing"), HttpStatusCode.NotFound);
        await Check("an API 400 (malformed JSON)", admin.PostAsync("/api/channels", new StringContent("{not json", System.Text.Encoding.UTF8, json)), HttpStatusCode.BadRequest);
        await Check("an API 400 (ProblemDetails)", admin.PostAsync("/api/channels", new StringContent("""{"kind":"myspace","name":"x"}""", System.Text.Encoding.UTF8, json)),
            HttpStatusCode.BadRequest, "application/problem+json");
        await Check("an API 404 (ProblemDetails)", admin.GetAsync("/api/channels/999999"), HttpStatusCode.NotFound, "application/problem+json");
        await Check("an API 401", http.GetAsync("/api/conversations"), HttpStatusCode.Unauthorized);
        using var wrongToken = server.Client("sbt_wrong");
        await Check("an API 401 (bad token)", wrongToken.GetAsync("/api/conversations"), HttpStatusCode.Unauthorized);
        await Check("an API 403 (ProblemDetails)", agent.PostAsync("/api/channels", new StringContent("{}", System.Text.Encoding.UTF8, json)), HttpStatusCode.Forbidden);
        await Check("a page 403", carlosSession.Http.GetAsync("/audit"), HttpStatusCode.Forbidden);
        await Check("a page redirecting to sign-in", http.GetAsync("/inbox/all"), HttpStatusCode.Redirect);
        await Check("a form POST redirect", TryLoginAsync(http, InboxFixture.Carlos, "wrong"), HttpStatusCode.Redirect);
        await Check("a form POST without its anti-forgery token", http.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["email"] = InboxFixture.Carlos,
            ["password"] = "x",
        })), HttpStatusCode.BadRequest);
        await Check("a form POST to a path that takes GET only", http.PostAsync("/healthz", new FormUrlEncodedContent([])), HttpStatusCode.MethodNotAllowed);

        using var css = await http.GetAsync("/app.css");
        await Check("a static file", Task.FromResult(css), HttpStatusCode.OK, "text/css");
        using var conditional = new HttpRequestMessage(HttpMethod.Get, "/app.css");
        conditional.Headers.IfNoneMatch.Add(css.Headers.ETag ?? throw new Xunit.Sdk.XunitException("/app.css has no ETag"));
        await Check("a static file not modified", http.SendAsync(conditional), HttpStatusCode.NotModified);

        await Check("a webhook for an unknown account", http.PostAsync("/hooks/slack/999999", new StringContent("{}", System.Text.Encoding.UTF8, json)), HttpStatusCode.NotFound);
        await Check("a Meta handshake for an unknown account", http.GetAsync("/hooks/meta/999999?hub.mode=subscribe"), HttpStatusCode.NotFound);
        await Check("the health check", http.GetAsync("/healthz"), HttpStatusCode.OK, json);
        await Check("the OpenAPI document", http.GetAsync("/openapi/v1.json"), HttpStatusCode.OK, json);

        // A server error: the table the endpoint reads is gone (a failed migration, a restored backup of the wrong age).
        await using (var conn = await server.Db.OpenAsync())
        {
            await Dapper.SqlMapper.ExecuteAsync(conn, "ALTER TABLE channel_accounts RENAME TO channel_accounts_gone");
        }

        var logs = new CapturedLogs();
        server.Services.GetRequiredService<ILoggerFactory>().AddProvider(logs);
        await Check("a server error", admin.GetAsync("/api/channels/1"), HttpStatusCode.InternalServerError);
        // Answering it must not hide it: the exception is still logged as an error.
        Assert.Contains(logs.Lines, l => l.StartsWith("Error ", StringComparison.Ordinal) && l.Contains("no such table: channel_accounts", StringComparison.Ordinal));
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
