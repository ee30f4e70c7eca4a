using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Switchboard.Auth;
using Switchboard.Channels.SafeHttp;
using Switchboard.Channels.Webhooks;
using Switchboard.Storage;
using Switchboard.Tests.Channels;
using Switchboard.Tests.Channels.Connectors;
using Switchboard.Tests.Inbox;
using Switchboard.Tests.Infrastructure;
using Xunit;

namespace Switchboard.Tests.Hosting;

/// <summary>
/// A canary secret never appears in logs nor on disk in the clear. Distinctive values go in everywhere a secret enters
/// (channel signing secrets and tokens through the API, the YAML import and an edit; an API token; passwords at sign-in),
/// the paths most likely to log them are driven (refused webhooks, failed and throttled sign-ins, bad bearer tokens and
/// session cookies, malformed requests, connectors that fail), and the server's whole output and every file under its
/// working folder — database, WAL and key ring included — are searched for each value, raw, in base64 and in hex.
/// </summary>
public sealed class SecretLoggingTests
{
    private static readonly TimeSpan LogWait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Canary_secrets_never_reach_the_server_output_nor_any_file_in_its_folder()
    {
        var canaries = new Canaries();
        // Debug, so our own debug lines are searched too: an operator who turns the level down must not see secrets.
        await using var server = await ServerProcess.StartWithEnvironmentAsync(new Dictionary<string, string> { ["Logging__LogLevel__Default"] = "Debug" });
        var responses = new ConcurrentQueue<string>();

        const string Admin = "admin@secrets.test";
        var adminPassword = canaries.Add("admin password");
        var created = await server.RunCliAsync("user", "create", "--email", Admin, "--role", "admin", "--password", adminPassword);
        var token = canaries.Known("api token", await server.RunCliAsync("token", "create", "--user", Admin));
        Assert.StartsWith("sbt_", token, StringComparison.Ordinal);
        canaries.AssertAbsent("the output of user create", created);

        using var api = Client(server, token);
        var slackSigning = canaries.Add("slack signing_secret");
        var slack = await CreateChannelAsync(api, "slack", "Acme Slack", new { }, new { signing_secret = slackSigning, bot_token = canaries.Add("slack bot_token", "xoxb-") });
        var metaVerify = canaries.Add("meta verify_token");
        var meta = await CreateChannelAsync(api, "meta", "Acme Page", new { },
            new { verify_token = metaVerify, app_secret = canaries.Add("meta app_secret"), page_token = canaries.Add("meta page_token", "EAAB") });
        var genericSecret = canaries.Add("generic secret");
        var generic = await CreateChannelAsync(api, "generic", "Forum hook", new { channel = "forum" }, new { secret = genericSecret });
        // Connectors that fail at once: a loopback instance (refused by the SSRF guard) and a name that never resolves.
        var refused = await CreateChannelAsync(api, "mastodon", "Mastodon refused", new { instance = "http://127.0.0.1:9" }, new { access_token = canaries.Add("mastodon token 1") });
        var unresolvable = await CreateChannelAsync(api, "mastodon", "Mastodon nowhere", new { instance = "https://mastodon.invalid" }, new { access_token = canaries.Add("mastodon token 2") });

        // A secret rotated through an edit; edits and creations refused with 400 must not echo what they were given.
        await ExpectAsync(api.PutAsync($"/api/channels/{slack}", Json(new { secrets = new { bot_token = canaries.Add("slack bot_token rotated", "xoxb-") } })), HttpStatusCode.OK, responses);
        await ExpectAsync(api.PutAsync($"/api/channels/{slack}", Json(new { secrets = new { not_a_secret = canaries.Add("unknown secret key") } })), HttpStatusCode.BadRequest, responses);
        await ExpectAsync(api.PostAsync("/api/channels", Json(new { kind = "myspace", name = "x", secrets = new { token = canaries.Add("unknown kind secret") } })), HttpStatusCode.BadRequest, responses);
        await ExpectAsync(api.PostAsync("/api/channels", new StringContent($"{{\"kind\":\"slack\",\"name\":\"x\",\"secrets\":{{\"signing_secret\":\"{canaries.Add("truncated json secret")}\"", Encoding.UTF8, "application/json")),
            HttpStatusCode.BadRequest, responses);

        // The YAML import, valid and broken: its output names secrets, never values.
        var yamlDir = Directory.CreateTempSubdirectory("switchboard-secrets-yaml-").FullName;
        var yaml = Path.Combine(yamlDir, "channels.yaml");
        await File.WriteAllTextAsync(yaml, $"channels:\n  - name: Imported hook\n    kind: generic\n    secrets:\n      secret: {canaries.Add("yaml secret")}\n");
        canaries.AssertAbsent("the output of channels import", await server.RunCliAsync("channels", "import", yaml));
        await File.WriteAllTextAsync(yaml, $"channels:\n  - name: Broken\n    kind: generic\n    secrets: {{ secret: {canaries.Add("broken yaml secret")}\n");
        var importError = await Assert.ThrowsAsync<InvalidOperationException>(() => server.RunCliAsync("channels", "import", yaml));
        Assert.Contains("channels.yaml:", importError.Message, StringComparison.Ordinal);
        canaries.AssertAbsent("the error of a broken channels import", importError.Message);
        canaries.AssertAbsent("the output of channels export", await server.RunCliAsync("channels", "export"));

        using var anonymous = Client(server, null);
        // Webhooks: wrong secret, missing and malformed signatures, stale timestamps, valid signatures on bad bodies.
        var slackBody = Encoding.UTF8.GetBytes("{\"type\":\"event_callback\",\"event\":{\"type\":\"message\",\"text\":\"hello\"}}");
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var stale = DateTimeOffset.UtcNow.AddHours(-1).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        await ExpectAsync(PostHookAsync(anonymous, $"/hooks/slack/{slack}", slackBody,
            (SlackSignature.TimestampHeader, now), (SlackSignature.SignatureHeader, SlackSignature.Sign("not-the-secret", now, slackBody))), HttpStatusCode.Unauthorized, responses);
        await ExpectAsync(PostHookAsync(anonymous, $"/hooks/slack/{slack}", slackBody,
            (SlackSignature.TimestampHeader, stale), (SlackSignature.SignatureHeader, SlackSignature.Sign(slackSigning, stale, slackBody))), HttpStatusCode.Unauthorized, responses);
        await ExpectAsync(PostHookAsync(anonymous, $"/hooks/slack/{slack}", slackBody,
            (SlackSignature.TimestampHeader, now), (SlackSignature.SignatureHeader, "v0=" + slackSigning)), HttpStatusCode.Unauthorized, responses);
        var notJson = "not json"u8.ToArray();
        await ExpectAsync(PostHookAsync(anonymous, $"/hooks/slack/{slack}", notJson,
            (SlackSignature.TimestampHeader, now), (SlackSignature.SignatureHeader, SlackSignature.Sign(slackSigning, now, notJson))), HttpStatusCode.BadRequest, responses);
        var challenge = "{\"type\":\"url_verification\",\"challenge\":\"abc123\"}"u8.ToArray();
        await ExpectAsync(PostHookAsync(anonymous, $"/hooks/slack/{slack}", challenge,
            (SlackSignature.TimestampHeader, now), (SlackSignature.SignatureHeader, SlackSignature.Sign(slackSigning, now, challenge))), HttpStatusCode.OK, responses);
        await ExpectAsync(PostHookAsync(anonymous, $"/hooks/meta/{meta}", slackBody, (HubSignature.Header, HubSignature.Sign("not-the-secret", slackBody))), HttpStatusCode.Unauthorized, responses);
        await ExpectAsync(PostHookAsync(anonymous, $"/hooks/meta/{meta}", slackBody), HttpStatusCode.Unauthorized, responses);
        // Meta's handshake carries the verify token in the query string: right token, wrong token, right token with a bad challenge.
        await ExpectAsync(anonymous.GetAsync($"/hooks/meta/{meta}?hub.mode=subscribe&hub.verify_token={metaVerify}&hub.challenge=1158201444"), HttpStatusCode.OK, responses);
        await ExpectAsync(anonymous.GetAsync($"/hooks/meta/{meta}?hub.mode=subscribe&hub.verify_token={canaries.Add("wrong verify_token")}&hub.challenge=1"), HttpStatusCode.Forbidden, responses);
        await ExpectAsync(anonymous.GetAsync($"/hooks/meta/{meta}?hub.mode=subscribe&hub.verify_token={metaVerify}&hub.challenge=%3Cscript%3E"), HttpStatusCode.Forbidden, responses);
        await ExpectAsync(PostHookAsync(anonymous, $"/hooks/generic/{generic}", slackBody,
            (GenericSignature.TimestampHeader, now), (GenericSignature.SignatureHeader, GenericSignature.Sign("not-the-secret", now, slackBody))), HttpStatusCode.Unauthorized, responses);
        var badPost = "{\"id\":1}"u8.ToArray();
        await ExpectAsync(PostHookAsync(anonymous, $"/hooks/generic/{generic}", badPost,
            (GenericSignature.TimestampHeader, now), (GenericSignature.SignatureHeader, GenericSignature.Sign(genericSecret, now, badPost))), HttpStatusCode.BadRequest, responses);

        // Sign-in: the right password, wrong canary passwords (known and unknown user), a form without its anti-forgery
        // token, and a throttled account.
        var cookies = new CookieContainer();
        using (var browser = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = server.Address })
        {
            Assert.Equal(HttpStatusCode.Redirect, (await LoginAsync(browser, Admin, adminPassword, responses)).StatusCode);
            Assert.Contains("error=1", (await LoginAsync(browser, Admin, canaries.Add("wrong password"), responses)).Headers.Location!.ToString(), StringComparison.Ordinal);
            var typo = canaries.Add("unknown user's password");
            for (var i = 0; i < 5; i++)
                Assert.Equal(HttpStatusCode.Redirect, (await LoginAsync(browser, "nobody@secrets.test", typo, responses)).StatusCode);
            Assert.Equal(HttpStatusCode.TooManyRequests, (await LoginAsync(browser, "nobody@secrets.test", canaries.Add("throttled password"), responses)).StatusCode);
            await ExpectAsync(browser.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["email"] = Admin,
                ["password"] = canaries.Add("password without anti-forgery"),
            })), HttpStatusCode.BadRequest, responses);
        }

        // Bearer tokens and session cookies that are wrong, unprefixed or oversized.
        foreach (var bad in new[] { "sbt_" + canaries.Add("wrong api token"), canaries.Add("unprefixed api token"), "sbt_" + canaries.Add("oversized api token") + new string('x', 300) })
        {
            using var c = Client(server, bad);
            await ExpectAsync(c.GetAsync("/api/conversations"), HttpStatusCode.Unauthorized, responses);
        }
        using (var forged = new HttpRequestMessage(HttpMethod.Get, "/api/conversations"))
        {
            forged.Headers.Add("Cookie", "switchboard.session=" + canaries.Add("forged session cookie"));
            await ExpectAsync(anonymous.SendAsync(forged), HttpStatusCode.Unauthorized, responses);
        }

        // A request Kestrel itself refuses (a header line without a colon), carrying a canary token.
        var raw = await RawRequestAsync(server.Address,
            $"GET /api/conversations HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer sbt_{canaries.Add("token in a malformed request")}\r\nthis line has no colon\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 400", raw, StringComparison.Ordinal);

        // Wait for what must be logged: the refusals, both connectors' failures, and a last refusal written after all
        // of the above (the console logger writes in order, so once it is there everything before it is too).
        await WaitForLogAsync(server, $"Webhook for slack account {slack} 'Acme Slack' (secrets: 2, redacted) refused: the signature does not match the body");
        // Failed and throttled sign-ins are logged with the account and address, never the password.
        await WaitForLogAsync(server, "Sign-in failed for nobody@secrets.test from 127.0.0.1");
        await WaitForLogAsync(server, "Sign-in refused for nobody@secrets.test from 127.0.0.1: too many failures");
        await WaitForLogAsync(server, $"Webhook for meta account {meta} 'Acme Page' (secrets: 3, redacted) refused: the signature header is missing");
        await WaitForLogAsync(server, $"Connector mastodon account {refused} 'Mastodon refused' (secrets: 1, redacted) failed");
        await WaitForLogAsync(server, $"Connector mastodon account {unresolvable} 'Mastodon nowhere' (secrets: 1, redacted) failed");
        await ExpectAsync(PostHookAsync(anonymous, $"/hooks/generic/{generic}", slackBody, (GenericSignature.SignatureHeader, "sha256=00")), HttpStatusCode.Unauthorized, responses);
        await WaitForLogAsync(server, $"Webhook for generic account {generic} 'Forum hook' (secrets: 1, redacted) refused: the timestamp header is missing");

        Assert.Contains("dbug: Switchboard.", server.Log, StringComparison.Ordinal);
        canaries.AssertAbsent("the server's stdout/stderr", server.Log);
        foreach (var body in responses)
            canaries.AssertAbsent("a response body", body);

        // Every file the server wrote. The account names are stored in the clear: finding them proves the search sees
        // the database's content (in the main file or still in the WAL), so a secret stored raw would be found too.
        var files = Directory.GetFiles(server.WorkDir, "*", SearchOption.AllDirectories);
        Assert.Contains(files, f => Path.GetFileName(f) == "switchboard.db");
        Assert.Contains(files, f => Path.GetDirectoryName(f)!.EndsWith("keys", StringComparison.Ordinal) && f.EndsWith(".xml", StringComparison.Ordinal));
        var everything = new List<byte>();
        foreach (var file in files)
        {
            var bytes = ReadShared(file);
            canaries.AssertAbsent(Path.GetRelativePath(server.WorkDir, file), bytes);
            everything.AddRange(bytes);
        }
        Assert.True(everything.ToArray().AsSpan().IndexOf("Mastodon nowhere"u8) >= 0, "the account names were not found in the data folder: the search cannot see the database");
    }

    [Fact]
    public async Task A_canary_token_that_the_upstream_refuses_with_401_is_not_logged()
    {
        var canaries = new Canaries();
        var token = canaries.Add("mastodon access_token");
        // A Mastodon instance that refuses the token and, like some APIs, echoes it back in its error body.
        var seen = new ConcurrentQueue<string>();
        using var upstream = new FakeHttpServer((path, headers) =>
        {
            seen.Enqueue(headers.TryGetValue("Authorization", out var auth) ? auth : "");
            return FakeResponse.Text(401, $"{{\"error\":\"The access token is invalid ({auth})\"}}", ("Content-Type", "application/json"),
                ("WWW-Authenticate", $"Bearer error=\"invalid_token\", token=\"{auth}\""));
        });
        var db = await TestDatabases.CreateAsync("sqlite");
        await using var server = await RunningServer.StartAsync(db, configure: s => s with
        {
            ConnectorHttp = new SafeHttpOptions { AllowLoopbackForTests = true, Timeout = TimeSpan.FromSeconds(10) },
            Args = ["--Logging:LogLevel:Default=Debug"],
        });
        // Every line written through the server's logging, structured values and exceptions included.
        var logs = new CapturedLogs();
        server.Services.GetRequiredService<ILoggerFactory>().AddProvider(logs);
        using var admin = server.Client(await AdminTokenAsync(db, canaries));

        var id = await CreateChannelAsync(admin, "mastodon", "Refusing instance", new { instance = upstream.Url("/").ToString(), streaming = "false" }, new { access_token = token });
        string health = "";
        var watch = Stopwatch.StartNew();
        while (!(seen.Contains("Bearer " + token) && health.Contains("(401)", StringComparison.Ordinal)) && watch.Elapsed < LogWait)
        {
            await Task.Delay(100);
            health = await admin.GetStringAsync($"/api/channels/{id}/health");
        }
        Assert.Contains("Bearer " + token, seen);
        Assert.Contains("the instance refused the access token (401)", health, StringComparison.Ordinal);
        await WaitForAsync(() => logs.All.Contains($"Connector mastodon account {id} 'Refusing instance' (secrets: 1, redacted) failed", StringComparison.Ordinal),
            "the connector's failure to be logged");

        Assert.Contains(logs.Lines, l => l.StartsWith("Debug Switchboard.", StringComparison.Ordinal));
        canaries.AssertAbsent("the server's log", logs.All);
        canaries.AssertAbsent("the account's health", health);
        canaries.AssertAbsent("the account list", await admin.GetStringAsync("/api/channels"));
        var folder = Path.GetDirectoryName(db.Display["sqlite:".Length..])!;
        foreach (var file in Directory.GetFiles(folder, "*", SearchOption.AllDirectories))
            canaries.AssertAbsent(Path.GetFileName(file), ReadShared(file));
    }

    /// <summary>One admin (with a canary password) and a token: the demo workspace's dozen users would cost seconds of password hashing.</summary>
    private static async Task<string> AdminTokenAsync(Database db, Canaries canaries)
    {
        const string Email = "admin@secrets.test";
        Assert.Equal(0, await UserCommand.CreateAsync(db, Email, null, "admin", canaries.Add("admin password"), TextWriter.Null, TextWriter.Null, CancellationToken.None));
        await using var conn = await db.OpenAsync();
        return canaries.Known("api token", await ApiTokens.CreateAsync(conn, (await Users.FindAsync(conn, Email))!.Id, "test", TimeProvider.System));
    }

    private static StringContent Json(object value) => new(JsonSerializer.Serialize(value), Encoding.UTF8, "application/json");

    private static HttpClient Client(ServerProcess server, string? bearer)
    {
        var c = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(30) };
        if (bearer is not null)
            c.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Bearer " + bearer);
        return c;
    }

    private static async Task<long> CreateChannelAsync(HttpClient api, string kind, string name, object settings, object secrets)
    {
        var r = await api.PostAsync("/api/channels", Json(new { kind, name, settings, secrets }));
        var body = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == HttpStatusCode.Created, $"creating {name}: {(int)r.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("id").GetInt64();
    }

    private static async Task ExpectAsync(Task<HttpResponseMessage> send, HttpStatusCode expected, ConcurrentQueue<string> bodies)
    {
        using var r = await send;
        var body = await r.Content.ReadAsStringAsync();
        bodies.Enqueue(body);
        Assert.True(r.StatusCode == expected, $"{r.RequestMessage?.Method} {r.RequestMessage?.RequestUri?.AbsolutePath}: expected {(int)expected}, got {(int)r.StatusCode} {body}");
    }

    private static Task<HttpResponseMessage> PostHookAsync(HttpClient http, string path, byte[] body, params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        foreach (var (name, value) in headers)
            request.Headers.TryAddWithoutValidation(name, value);
        return http.SendAsync(request);
    }

    private static async Task<HttpResponseMessage> LoginAsync(HttpClient browser, string email, string password, ConcurrentQueue<string> bodies)
    {
        var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["email"] = email,
            ["password"] = password,
            ["__RequestVerificationToken"] = await InboxFixture.LoginTokenAsync(browser),
        });
        var r = await browser.PostAsync("/account/login", form);
        bodies.Enqueue(await r.Content.ReadAsStringAsync());
        bodies.Enqueue(r.Headers.Location?.ToString() ?? "");
        return r;
    }

    private static async Task<string> RawRequestAsync(Uri server, string request)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(server.Host, server.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        using var reader = new StreamReader(stream, Encoding.ASCII);
        return await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(10));
    }

    private static Task WaitForLogAsync(ServerProcess server, string line) =>
        WaitForAsync(() => server.Log.Contains(line, StringComparison.Ordinal), $"the log line \"{line}\"", () => server.Log);

    private static async Task WaitForAsync(Func<bool> condition, string what, Func<string>? context = null)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            if (watch.Elapsed > LogWait)
                Assert.Fail($"timed out after {LogWait.TotalSeconds:0} s waiting for {what}" + (context is null ? "" : "\n" + context()));
            await Task.Delay(50);
        }
    }

    /// <summary>Reads a file another process (or this one) has open, e.g. a live SQLite database and its WAL.</summary>
    private static byte[] ReadShared(string path)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var copy = new MemoryStream();
        f.CopyTo(copy);
        return copy.ToArray();
    }

    /// <summary>
    /// Unique secret values for one test and the forms they could leak in: raw, base64 and base64url (at every
    /// alignment inside a longer encoded text) and hex; raw also as UTF-16 in files.
    /// </summary>
    private sealed class Canaries
    {
        private readonly string _run = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        private readonly List<(string Name, string Value)> _all = [];

        /// <summary>A new canary, unique to this test run, after <paramref name="prefix"/> (e.g. "xoxb-" for a Slack bot token).</summary>
        public string Add(string name, string prefix = "") =>
            Known(name, $"{prefix}cnry{_run}q{_all.Count:D2}Z{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}");

        /// <summary>A secret the test did not choose (an API token the server generated).</summary>
        public string Known(string name, string value)
        {
            _all.Add((name, value));
            return value;
        }

        private IEnumerable<(string Name, string Form)> Forms()
        {
            foreach (var (name, value) in _all)
            {
                var bytes = Encoding.UTF8.GetBytes(value);
                yield return (name, value);
                yield return (name + " (hex)", Convert.ToHexStringLower(bytes));
                yield return (name + " (HEX)", Convert.ToHexString(bytes));
                for (var shift = 0; shift < 3; shift++)
                {
                    // Encoded after `shift` other bytes: the characters that depend on the value alone.
                    var b64 = Convert.ToBase64String([.. new byte[shift], .. bytes]);
                    var core = b64[4..^4];
                    yield return (name + " (base64)", core);
                    yield return (name + " (base64url)", core.Replace('+', '-').Replace('/', '_'));
                }
            }
        }

        public void AssertAbsent(string where, string text)
        {
            Assert.NotEmpty(_all);
            foreach (var (name, form) in Forms())
                Assert.False(text.Contains(form, StringComparison.Ordinal), $"the {name} appears in {where}: ...{Around(text, form)}...");
        }

        public void AssertAbsent(string where, byte[] bytes)
        {
            foreach (var (name, form) in Forms())
            {
                Assert.False(bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(form)) >= 0, $"the {name} appears in {where}");
                Assert.False(bytes.AsSpan().IndexOf(Encoding.Unicode.GetBytes(form)) >= 0, $"the {name} appears in {where} (UTF-16)");
            }
        }

        private static string Around(string text, string form)
        {
            var i = text.IndexOf(form, StringComparison.Ordinal);
            return text[Math.Max(0, i - 200)..Math.Min(text.Length, i + form.Length + 50)];
        }
    }
}
