using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Switchboard.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Switchboard.Tests.Inbox;

/// <summary>
/// Cross-site request forgery, generated from the route table like <see cref="RouteTableSecurityTests"/>: every
/// endpoint that takes POST, PUT, PATCH or DELETE — API, form or page, the day it is added — refuses a request that
/// rides on the session cookie without the anti-forgery token, or that a browser marks as coming from another site,
/// and such a request changes no row of any table.
/// </summary>
public class CsrfRouteTableTests(ITestOutputHelper output)
{
    private static readonly string[] Unsafe = ["POST", "PUT", "PATCH", "DELETE"];

    /// <summary>One forged request: what it adds to a signed-in admin's cookie, and the refusal it must get.</summary>
    private sealed record Forgery(string Name, bool Token, string? Header, string? Value, HttpStatusCode Expected, string Reason);

    private static readonly Forgery[] Forgeries =
    [
        new("no token", false, null, null, HttpStatusCode.BadRequest, "anti-forgery"),
        // A made-up API token next to the cookie does not turn the cookie request into a token request.
        new("an invalid bearer token and no anti-forgery token", false, "Authorization", "Bearer sbt_made_up", HttpStatusCode.BadRequest, "anti-forgery"),
        // The token alone is not enough when the browser says the page was on another site: a sibling subdomain is
        // "same-site" and gets the Lax cookie sent.
        new("the token but Sec-Fetch-Site: cross-site", true, "Sec-Fetch-Site", "cross-site", HttpStatusCode.Forbidden, "cross-site"),
        new("the token but Sec-Fetch-Site: same-site", true, "Sec-Fetch-Site", "same-site", HttpStatusCode.Forbidden, "cross-site"),
        new("the token but a foreign Origin", true, "Origin", "http://attacker.example", HttpStatusCode.Forbidden, "cross-site"),
        new("the token but Origin: null", true, "Origin", "null", HttpStatusCode.Forbidden, "cross-site"),
    ];

    [Fact]
    public async Task Every_state_changing_endpoint_refuses_a_forged_cookie_request_and_changes_nothing()
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync("sqlite"));
        var ids = await InboxFixture.IngestAsync(server, ("p1", "my refund never arrived, order 123"));
        // The admin passes every role policy, so what refuses the requests below is the forgery check, not a role.
        using var admin = await InboxFixture.SignInAsync(server, InboxFixture.Admin);
        var before = await DbSnapshot.TakeAsync(server.Db);
        var endpoints = 0;
        var failures = new List<string>();
        foreach (var e in RouteTable.Routes(server))
        {
            if (RouteTable.IsStaticAsset(e) || RouteTable.IsSignedWebhook(e))
            {
                continue;
            }

            var methods = RouteTable.Methods(e).Where(m => Unsafe.Contains(m)).ToList();
            if (methods.Count > 0)
            {
                endpoints++;
            }

            foreach (var method in methods)
            {
                // Real ids, so that a request which got through would find something to change.
                var url = FillRoute(e.RoutePattern, ids["p1"]);
                foreach (var f in Forgeries)
                {
                    using var request = Forge(e, method, url, f, admin.Token);
                    using var response = await admin.Http.SendAsync(request);
                    var body = await response.Content.ReadAsStringAsync();
                    output.WriteLine($"{method} {url} with {f.Name} → {(int)response.StatusCode}");
                    if (response.StatusCode != f.Expected || !body.Contains(f.Reason, StringComparison.Ordinal))
                    {
                        failures.Add($"{method} {url} with {f.Name}: {(int)response.StatusCode} {body[..Math.Min(200, body.Length)]}");
                    }
                }
            }
        }

        var after = await DbSnapshot.TakeAsync(server.Db);
        Assert.True(endpoints >= 60, $"only {endpoints} state-changing endpoints found: is the route table read correctly?");
        Assert.True(failures.Count == 0, $"{failures.Count} forged requests not refused:\n" + string.Join("\n", failures));
        Assert.True(DbSnapshot.Diff(before, after).Length == 0, "forged requests changed the database:\n" + DbSnapshot.Diff(before, after));

        // The controls: the same session with its token from this origin is accepted, and so is an API token
        // without any anti-forgery token (a cross-site page cannot attach an Authorization header).
        using var sameOrigin = new HttpRequestMessage(HttpMethod.Post, $"/api/inbox/conversations/{ids["p1"]}/resolve")
        {
            Content = new StringContent("{}", Encoding.UTF8, "application/json"),
        };
        sameOrigin.Headers.Add("RequestVerificationToken", admin.Token);
        sameOrigin.Headers.Add("Sec-Fetch-Site", "same-origin");
        sameOrigin.Headers.Add("Origin", server.Address.GetLeftPart(UriPartial.Authority));
        Assert.Equal(HttpStatusCode.OK, (await admin.Http.SendAsync(sameOrigin)).StatusCode);
        using var bearer = await InboxFixture.TokenClientAsync(server, InboxFixture.Admin);
        using var reopen = new HttpRequestMessage(HttpMethod.Post, $"/api/inbox/conversations/{ids["p1"]}/reopen");
        reopen.Headers.Add("Sec-Fetch-Site", "cross-site");
        Assert.Equal(HttpStatusCode.OK, (await bearer.SendAsync(reopen)).StatusCode);
    }

    private static HttpRequestMessage Forge(RouteEndpoint e, string method, string url, Forgery f, string token)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), url);
        var json = e.Metadata.GetMetadata<IAcceptsMetadata>()?.ContentTypes.Any(t => t.Contains("json", StringComparison.Ordinal)) == true;
        if (json)
        {
            request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
        }
        else
        {
            List<KeyValuePair<string, string>> fields = [new("returnUrl", "/")];
            if (f.Token)
            {
                fields.Add(new("__RequestVerificationToken", token));
            }

            request.Content = new FormUrlEncodedContent(fields);
        }

        if (f.Token)
        {
            request.Headers.Add("RequestVerificationToken", token);
        }

        if (f.Header == "Authorization")
        {
            request.Headers.Authorization = AuthenticationHeaderValue.Parse(f.Value!);
        }
        else if (f.Header is not null)
        {
            request.Headers.TryAddWithoutValidation(f.Header, f.Value);
        }

        return request;
    }

    private static string FillRoute(RoutePattern pattern, long id) =>
        "/" + string.Join('/', pattern.PathSegments.Select(s => string.Concat(s.Parts.Select(p => p switch
        {
            RoutePatternLiteralPart l => l.Content,
            RoutePatternSeparatorPart sep => sep.Content,
            RoutePatternParameterPart { Name: "Queue" } => "all",
            RoutePatternParameterPart q when q.ParameterPolicies.Any(c => c.Content is "long" or "int") => id.ToString(System.Globalization.CultureInfo.InvariantCulture),
            RoutePatternParameterPart => "customer-service",
            _ => "",
        }))));
}
