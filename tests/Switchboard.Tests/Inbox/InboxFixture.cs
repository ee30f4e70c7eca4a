using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Dapper;
using Switchboard.Auth;
using Switchboard.Demo;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Inbox;

/// <summary>A signed-in browser-like client: session cookie plus the page's anti-forgery token.</summary>
internal sealed class SessionClient(HttpClient http, CookieContainer cookies, string token) : IDisposable
{
    public HttpClient Http { get; } = http;
    public CookieContainer Cookies { get; } = cookies;
    public string Token { get; } = token;

    public Task<HttpResponseMessage> PostFormAsync(string url, params (string Name, string Value)[] fields) =>
        Http.PostAsync(url, new FormUrlEncodedContent([.. fields.Select(f => new KeyValuePair<string, string>(f.Name, f.Value)),
            new KeyValuePair<string, string>("__RequestVerificationToken", Token)]));

    public Task<HttpResponseMessage> SendJsonAsync(HttpMethod method, string url, object? body)
    {
        var req = new HttpRequestMessage(method, url)
        {
            Content = body is null ? null : new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json"),
        };
        req.Headers.Add("RequestVerificationToken", Token);
        return Http.SendAsync(req);
    }

    public void Dispose() => Http.Dispose();
}

/// <summary>Seeds demo users and a few routed conversations, and signs users in.</summary>
internal static partial class InboxFixture
{
    public const string Admin = "admin@demo.switchboard.local";
    public const string Carlos = "carlos@demo.switchboard.local";   // agent, customer-service
    public const string Ivan = "ivan@demo.switchboard.local";       // agent, it
    public const string Erin = "erin@demo.switchboard.local";       // analyst, no team
    public const string Maria = "maria@demo.switchboard.local";     // manager, customer-service + marketing
    public const string Hana = "hana@demo.switchboard.local";       // agent, human-resources

    public static string Post(string id, string text, string? handle = null, string created = "2026-11-22T10:00:00Z") =>
        JsonSerializer.Serialize(new { id, channel = "mastodon", text, created_at = created, author = new { id = "u" + id, handle = handle ?? "user" + id, name = "Name " + id } });

    /// <summary>
    /// Ingests posts as the admin and returns conversation ids by post id. Nobody is on shift: every user is marked
    /// unavailable first, so the conversations wait unassigned in their team's holding queue whatever the hour the
    /// suite runs (the default workspace's office calendar would otherwise put agents on shift on weekdays 08–18 UTC
    /// and routing would assign them). Tests assign by hand from there.
    /// </summary>
    public static async Task<Dictionary<string, long>> IngestAsync(RunningServer server, params (string Id, string Text)[] posts)
    {
        using var admin = await server.AdminClientAsync();
        await using (var off = await server.Db.OpenAsync())
        {
            await off.ExecuteAsync("UPDATE users SET available = 0");
        }

        var body = string.Join('\n', posts.Select((p, i) => Post(p.Id, p.Text, created: $"2026-11-22T10:{i:00}:00Z")));
        var r = await admin.PostAsync("/api/posts", new StringContent(body, Encoding.UTF8, "application/x-ndjson"));
        r.EnsureSuccessStatusCode();
        await using var conn = await server.Db.OpenAsync();
        var map = new Dictionary<string, long>();
        foreach (var (id, _) in posts)
        {
            map[id] = await conn.ExecuteScalarAsync<long>("SELECT conversation_id FROM messages WHERE external_id = @id", new { id });
        }

        return map;
    }

    public static async Task<long> UserIdAsync(RunningServer server, string email)
    {
        await using var conn = await server.Db.OpenAsync();
        return (await Users.FindAsync(conn, email))!.Id;
    }

    public static async Task<HttpClient> TokenClientAsync(RunningServer server, string email)
    {
        await DemoWorkspace.SeedAsync(server.Db, TimeProvider.System);
        await using var conn = await server.Db.OpenAsync();
        var user = await Users.FindAsync(conn, email);
        return server.Client(await ApiTokens.CreateAsync(conn, user!.Id, "test", TimeProvider.System));
    }

    public static async Task<string> LoginTokenAsync(HttpClient http)
    {
        var html = await http.GetStringAsync("/login");
        return TokenPattern().Match(html).Groups[1].Value;
    }

    /// <summary>Signs in through the login form like a browser and picks up an anti-forgery token from the inbox page.</summary>
    public static async Task<SessionClient> SignInAsync(RunningServer server, string email, string password = DemoWorkspace.Password)
    {
        await DemoWorkspace.SeedAsync(server.Db, TimeProvider.System);
        var cookies = new CookieContainer();
        var http = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = server.Address };
        var loginToken = await LoginTokenAsync(http);
        var r = await http.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["email"] = email,
            ["password"] = password,
            ["__RequestVerificationToken"] = loginToken,
        }));
        if (r.StatusCode != HttpStatusCode.Redirect || r.Headers.Location?.ToString().Contains("error", StringComparison.Ordinal) == true)
        {
            throw new InvalidOperationException($"sign-in as {email} failed: {(int)r.StatusCode} {r.Headers.Location}");
        }

        var page = await http.GetStringAsync("/inbox/all");
        return new SessionClient(http, cookies, TokenPattern().Match(page).Groups[1].Value);
    }

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage r)
    {
        var text = await r.Content.ReadAsStringAsync();
        return JsonSerializer.Deserialize<JsonElement>(text);
    }

    public static async Task<T> GetJsonAsync<T>(HttpClient c, string url) => (await c.GetFromJsonAsync<T>(url))!;

    [GeneratedRegex("<input[^>]*name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]+)\"")]
    private static partial Regex TokenPattern();
}
