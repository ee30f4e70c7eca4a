using System.Globalization;
using System.Net;
using System.Text;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Channels.Accounts;
using Switchboard.Channels.Webhooks;
using Switchboard.Tests.Channels.Webhooks;
using Switchboard.Tests.Infrastructure;
using Xunit;

namespace Switchboard.Tests.Channels;

/// <summary>
/// The webhook endpoints against the real server: what a verified delivery stores, and the negative matrix, where
/// every refused request must leave the database exactly as it was.
/// </summary>
public sealed class WebhookTests : IAsyncLifetime
{
    private const string SlackSecret = "8f742231b10e8888abcd99yyyzzz85a5";
    private const string MetaSecret = "It's a Secret to Everybody";
    private const string GenericSecret = "generic-secret-0123";

    private RunningServer _server = null!;
    private HttpClient _client = null!;
    private long _slack, _meta, _generic, _disabled, _noSecret;

    public async Task InitializeAsync()
    {
        _server = await RunningServer.StartAsync(await TestDatabases.CreateAsync("sqlite"));
        _client = _server.Client();
        var store = _server.Services.GetRequiredService<ChannelAccountStore>();
        await using var conn = await _server.Db.OpenAsync();
        _slack = await store.CreateAsync(conn, null, "slack", "Acme Slack", new Dictionary<string, string> { ["bot_user_id"] = "UBOT" },
            new Dictionary<string, string> { ["signing_secret"] = SlackSecret, ["bot_token"] = "xoxb-1" }, null);
        _meta = await store.CreateAsync(conn, null, "meta", "Acme Page", new Dictionary<string, string>(),
            new Dictionary<string, string> { ["app_secret"] = MetaSecret, ["verify_token"] = "verify-me", ["page_token"] = "EAAB" }, null);
        _generic = await store.CreateAsync(conn, null, "generic", "Forum", new Dictionary<string, string> { ["channel"] = "forum" },
            new Dictionary<string, string> { ["secret"] = GenericSecret }, null);
        _noSecret = await store.CreateAsync(conn, null, "slack", "No secret", new Dictionary<string, string>(), new Dictionary<string, string>(), null);
        _disabled = await store.CreateAsync(conn, null, "slack", "Disabled", new Dictionary<string, string>(),
            new Dictionary<string, string> { ["signing_secret"] = SlackSecret }, null);
        await store.UpdateAsync(conn, null, _disabled, "Disabled", false, new Dictionary<string, string>(), null, null);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    private static string Now() => DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);

    private static string SlackMessage(string ts, string text, string? threadTs = null, string user = "U2CERLKJA", string? botId = null) =>
        "{\"token\":\"x\",\"team_id\":\"T1DC2JH3J\",\"api_app_id\":\"A1\",\"type\":\"event_callback\",\"event_id\":\"Ev" + ts.Replace(".", "", StringComparison.Ordinal)
        + "\",\"event_time\":1531420618,\"event\":{\"type\":\"message\",\"channel\":\"C024BE91L\",\"user\":\"" + user + "\",\"text\":\"" + text + "\",\"ts\":\"" + ts + "\""
        + (threadTs is null ? "" : ",\"thread_ts\":\"" + threadTs + "\"") + (botId is null ? "" : ",\"bot_id\":\"" + botId + "\"") + "}}";

    private async Task<HttpResponseMessage> PostSlackAsync(long account, string body, string? timestamp = null, Func<string, string>? tamperSignature = null,
        IDictionary<string, string>? extraHeaders = null, byte[]? rawBody = null)
    {
        var bytes = rawBody ?? Encoding.UTF8.GetBytes(body);
        var ts = timestamp ?? Now();
        var signature = SlackSignature.Sign(SlackSecret, ts, Encoding.UTF8.GetBytes(body));
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/hooks/slack/{account}") { Content = new ByteArrayContent(bytes) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.TryAddWithoutValidation(SlackSignature.TimestampHeader, ts);
        var sig = tamperSignature is null ? signature : tamperSignature(signature);
        if (sig.Length > 0)
            request.Headers.TryAddWithoutValidation(SlackSignature.SignatureHeader, sig);
        foreach (var (k, v) in extraHeaders ?? new Dictionary<string, string>())
            request.Headers.TryAddWithoutValidation(k, v);
        return await _client.SendAsync(request);
    }

    private async Task<HttpResponseMessage> PostMetaAsync(long account, string body, Func<string, string>? tamper = null, byte[]? raw = null)
    {
        var signature = HubSignature.Sign(MetaSecret, Encoding.UTF8.GetBytes(body));
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/hooks/meta/{account}") { Content = new ByteArrayContent(raw ?? Encoding.UTF8.GetBytes(body)) };
        request.Content.Headers.ContentType = new("application/json");
        var sig = tamper is null ? signature : tamper(signature);
        if (sig.Length > 0)
            request.Headers.TryAddWithoutValidation(HubSignature.Header, sig);
        return await _client.SendAsync(request);
    }

    private async Task<HttpResponseMessage> PostGenericAsync(long account, string body, string? timestamp = null)
    {
        var ts = timestamp ?? Now();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/hooks/generic/{account}") { Content = new StringContent(body, Encoding.UTF8, "application/x-ndjson") };
        request.Headers.TryAddWithoutValidation(GenericSignature.TimestampHeader, ts);
        request.Headers.TryAddWithoutValidation(GenericSignature.SignatureHeader, GenericSignature.Sign(GenericSecret, ts, Encoding.UTF8.GetBytes(body)));
        return await _client.SendAsync(request);
    }

    /// <summary>Signs <paramref name="body"/> byte for byte as its provider would, so only its content can be refused.</summary>
    private async Task<HttpResponseMessage> PostSignedBytesAsync(string provider, byte[] body)
    {
        var (kind, account, secret) = provider switch
        {
            "slack" => (WebhookProvider.Slack, _slack, SlackSecret),
            "meta" => (WebhookProvider.Meta, _meta, MetaSecret),
            _ => (WebhookProvider.Generic, _generic, GenericSecret),
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/hooks/{provider}/{account}") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new(WebhookSigning.ContentType(kind));
        WebhookSigning.Sign(request, kind, secret, Now(), body);
        return await _client.SendAsync(request);
    }

    /// <summary>Everything a delivery could write: rows of every table it touches, and the health counters.</summary>
    private async Task<string> SnapshotAsync()
    {
        await using var conn = await _server.Db.OpenAsync();
        var counts = new List<string>();
        foreach (var table in new[] { "messages", "conversations", "authors", "audit_log" })
            counts.Add(table + "=" + await conn.ExecuteScalarAsync<long>($"SELECT COUNT(*) FROM {table}"));
        counts.Add("health=" + string.Join(',', await conn.QueryAsync<string>(
            // The connector host creates an all-zero health row for each enabled account on its own schedule; only
            // counters a delivery could move are compared.
            "SELECT account_id || ':' || deliveries || ':' || errors || ':' || COALESCE(last_delivery_at, 0) FROM channel_health " +
            "WHERE deliveries > 0 OR errors > 0 OR last_delivery_at IS NOT NULL ORDER BY account_id")));
        return string.Join(' ', counts);
    }

    private async Task<long> CountAsync(string sql, object? args = null)
    {
        await using var conn = await _server.Db.OpenAsync();
        return await conn.ExecuteScalarAsync<long>(sql, args);
    }

    [Fact]
    public async Task Slack_url_verification_echoes_the_challenge()
    {
        using var response = await PostSlackAsync(_slack, """{"token":"x","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}""");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Slack_messages_are_stored_threaded_marked_with_the_account_and_retries_absorbed()
    {
        using (var first = await PostSlackAsync(_slack, SlackMessage("1531420618.000100", "Is the VPN down?")))
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        using (var reply = await PostSlackAsync(_slack, SlackMessage("1531420700.000200", "Same here", threadTs: "1531420618.000100")))
            Assert.Equal(HttpStatusCode.OK, reply.StatusCode);
        using (var retry = await PostSlackAsync(_slack, SlackMessage("1531420700.000200", "Same here", threadTs: "1531420618.000100"),
            extraHeaders: new Dictionary<string, string> { ["X-Slack-Retry-Num"] = "1", ["X-Slack-Retry-Reason"] = "http_timeout" }))
        {
            Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
            Assert.Contains("\"duplicates\":1", await retry.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.Equal(2, await CountAsync("SELECT COUNT(*) FROM messages WHERE channel = 'slack:t1dc2jh3j'"));
        Assert.Equal(1, await CountAsync("SELECT COUNT(*) FROM conversations WHERE channel = 'slack:t1dc2jh3j' AND message_count = 2 AND account_id = @a", new { a = _slack }));
        Assert.Equal(2, await CountAsync("SELECT COUNT(*) FROM messages WHERE account_id = @a", new { a = _slack }));
        Assert.Equal(1, await CountAsync("SELECT COUNT(*) FROM messages WHERE external_id = 'C024BE91L:1531420700.000200' AND in_reply_to = 'C024BE91L:1531420618.000100'"));
        Assert.Equal(3, await CountAsync("SELECT deliveries FROM channel_health WHERE account_id = @a", new { a = _slack }));
    }

    [Fact]
    public async Task Slack_bot_and_own_messages_are_acknowledged_but_not_stored()
    {
        using (var bot = await PostSlackAsync(_slack, SlackMessage("1531420800.000100", "Deploy finished", botId: "B123")))
            Assert.Equal(HttpStatusCode.OK, bot.StatusCode);
        using (var own = await PostSlackAsync(_slack, SlackMessage("1531420900.000100", "Our answer", user: "UBOT")))
            Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        Assert.Equal(0, await CountAsync("SELECT COUNT(*) FROM messages"));
    }

    public static IEnumerable<object[]> SlackNegativeCases() =>
    [
        ["missing signature"], ["wrong prefix"], ["uppercase hex"], ["truncated signature"], ["signature of another body"],
        ["body changed by one byte"], ["stale timestamp"], ["future timestamp"], ["malformed timestamp"], ["empty secret"],
        ["unknown account"], ["disabled account"], ["account of another kind"], ["oversized body"], ["invalid JSON"],
    ];

    [Theory]
    [MemberData(nameof(SlackNegativeCases))]
    public async Task Slack_negative_matrix_is_refused_with_nothing_stored(string kase)
    {
        var before = await SnapshotAsync();
        var body = SlackMessage("1531421000.000100", "hello");
        var old = DateTimeOffset.UtcNow.AddMinutes(-10).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var future = DateTimeOffset.UtcNow.AddMinutes(10).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var changed = Encoding.UTF8.GetBytes(body.Replace("hello", "hellp", StringComparison.Ordinal));
        var huge = "{\"type\":\"event_callback\",\"pad\":\"" + new string('a', SlackWebhook.MaxBodyBytes) + "\"}";
        using var response = kase switch
        {
            "missing signature" => await PostSlackAsync(_slack, body, tamperSignature: _ => ""),
            "wrong prefix" => await PostSlackAsync(_slack, body, tamperSignature: s => "v1=" + s[3..]),
            "uppercase hex" => await PostSlackAsync(_slack, body, tamperSignature: s => "v0=" + s[3..].ToUpperInvariant()),
            "truncated signature" => await PostSlackAsync(_slack, body, tamperSignature: s => s[..^2]),
            "signature of another body" => await PostSlackAsync(_slack, body, tamperSignature: _ => SlackSignature.Sign(SlackSecret, Now(), "{}"u8)),
            "body changed by one byte" => await PostSlackAsync(_slack, body, rawBody: changed),
            "stale timestamp" => await PostSlackAsync(_slack, body, timestamp: old),
            "future timestamp" => await PostSlackAsync(_slack, body, timestamp: future),
            "malformed timestamp" => await PostSlackAsync(_slack, body, timestamp: "1e9"),
            "empty secret" => await PostSlackAsync(_noSecret, body),
            "unknown account" => await PostSlackAsync(987654, body),
            "disabled account" => await PostSlackAsync(_disabled, body),
            "account of another kind" => await PostSlackAsync(_meta, body),
            "oversized body" => await PostSlackAsync(_slack, huge),
            "invalid JSON" => await PostSlackAsync(_slack, "{\"type\":\"event_callback\",\"event\":{"),
            _ => throw new ArgumentOutOfRangeException(nameof(kase)),
        };

        Assert.True(response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.NotFound or HttpStatusCode.RequestEntityTooLarge or HttpStatusCode.BadRequest,
            $"{kase}: {(int)response.StatusCode}");
        Assert.Contains("application/problem+json", response.Content.Headers.ContentType?.ToString() ?? "", StringComparison.Ordinal);
        Assert.Equal(before, await SnapshotAsync());
    }

    private const string FacebookComment = """
        {"object":"page","entry":[{"id":"1234567890","time":1700000000,"changes":[{"field":"feed","value":{
          "item":"comment","verb":"add","comment_id":"111_222","post_id":"1234567890_999","parent_id":"1234567890_999",
          "message":"Where is my refund?","created_time":1700000000,"from":{"id":"555","name":"Jane Doe"}}}]}]}
        """;

    private const string InstagramComment = """
        {"object":"instagram","entry":[{"id":"17841400000000000","time":1700000000,"changes":[{"field":"comments","value":{
          "id":"17870000000000001","text":"Love it, but it broke","from":{"id":"999","username":"jane"},"media":{"id":"17900000000000000"}}}]}]}
        """;

    [Fact]
    public async Task Meta_verification_echoes_the_challenge_only_for_the_right_token()
    {
        using var ok = await _client.GetAsync($"/hooks/meta/{_meta}?hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=1158201444");
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal("1158201444", await ok.Content.ReadAsStringAsync());
        using var wrong = await _client.GetAsync($"/hooks/meta/{_meta}?hub.mode=subscribe&hub.verify_token=guess&hub.challenge=1158201444");
        Assert.Equal(HttpStatusCode.Forbidden, wrong.StatusCode);
        using var unknown = await _client.GetAsync("/hooks/meta/987654?hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=1");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task Meta_comments_are_stored_threaded_under_their_parent()
    {
        using (var fb = await PostMetaAsync(_meta, FacebookComment))
            Assert.Equal(HttpStatusCode.OK, fb.StatusCode);
        using (var again = await PostMetaAsync(_meta, FacebookComment))
            Assert.Contains("\"duplicates\":1", await again.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using (var ig = await PostMetaAsync(_meta, InstagramComment))
            Assert.Equal(HttpStatusCode.OK, ig.StatusCode);

        Assert.Equal(1, await CountAsync("SELECT COUNT(*) FROM messages WHERE channel = 'facebook:1234567890' AND external_id = '111_222' AND in_reply_to = '1234567890_999' AND account_id = @a", new { a = _meta }));
        Assert.Equal(1, await CountAsync("SELECT COUNT(*) FROM messages WHERE channel = 'instagram:17841400000000000' AND in_reply_to = '17900000000000000'"));
        Assert.Equal(2, await CountAsync("SELECT COUNT(*) FROM conversations WHERE account_id = @a", new { a = _meta }));
    }

    public static IEnumerable<object[]> MetaNegativeCases() =>
        [["missing signature"], ["sha1 prefix"], ["uppercase hex"], ["body changed by one byte"], ["re-serialized JSON"], ["empty secret"], ["invalid JSON"], ["oversized body"]];

    [Theory]
    [MemberData(nameof(MetaNegativeCases))]
    public async Task Meta_negative_matrix_is_refused_with_nothing_stored(string kase)
    {
        await using (var conn = await _server.Db.OpenAsync())
        {
            var store = _server.Services.GetRequiredService<ChannelAccountStore>();
            await store.CreateAsync(conn, null, "meta", "Meta no secret " + kase, new Dictionary<string, string>(), new Dictionary<string, string> { ["verify_token"] = "v" }, null);
        }
        var noSecret = await CountAsync("SELECT MAX(id) FROM channel_accounts");
        var before = await SnapshotAsync();
        var reserialized = FacebookComment.Replace("\n", "", StringComparison.Ordinal).Replace("  ", "", StringComparison.Ordinal);
        using var response = kase switch
        {
            "missing signature" => await PostMetaAsync(_meta, FacebookComment, _ => ""),
            "sha1 prefix" => await PostMetaAsync(_meta, FacebookComment, s => "sha1=" + s[7..]),
            "uppercase hex" => await PostMetaAsync(_meta, FacebookComment, s => "sha256=" + s[7..].ToUpperInvariant()),
            "body changed by one byte" => await PostMetaAsync(_meta, FacebookComment, raw: Encoding.UTF8.GetBytes(FacebookComment.Replace("refund", "refunD", StringComparison.Ordinal))),
            "re-serialized JSON" => await PostMetaAsync(_meta, FacebookComment, raw: Encoding.UTF8.GetBytes(reserialized)),
            "empty secret" => await PostMetaAsync(noSecret, FacebookComment),
            "invalid JSON" => await PostMetaAsync(_meta, "{\"object\":\"page\",\"entry\":["),
            "oversized body" => await PostMetaAsync(_meta, "{\"pad\":\"" + new string('x', MetaWebhook.MaxBodyBytes) + "\"}"),
            _ => throw new ArgumentOutOfRangeException(nameof(kase)),
        };

        Assert.True(response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.BadRequest or HttpStatusCode.RequestEntityTooLarge, $"{kase}: {(int)response.StatusCode}");
        Assert.Equal(before, await SnapshotAsync());
    }

    /// <summary>
    /// A correctly signed body that is not UTF-8 (JSON must be) is refused the same way by every provider: 400 with a
    /// reason and nothing stored — also when the bad bytes sit in a field no reader looks at. Slack used to answer 200
    /// ("ignored") to it, so the sender never learnt its delivery was broken.
    /// </summary>
    [Theory]
    [InlineData("slack", "in the text")]
    [InlineData("slack", "in a field nobody reads")]
    [InlineData("meta", "in the text")]
    [InlineData("meta", "in a field nobody reads")]
    [InlineData("generic", "in the text")]
    [InlineData("generic", "in a field nobody reads")]
    public async Task A_signed_body_that_is_not_valid_utf8_is_refused_with_a_reason_by_every_provider(string provider, string where)
    {
        var before = await SnapshotAsync();
        var valid = provider switch
        {
            "slack" => SlackMessage("1531421100.000100", "BADTEXT"),
            "meta" => FacebookComment.Replace("Where is my refund?", "BADTEXT", StringComparison.Ordinal),
            _ => """{"id":"u-1","channel":"forum","text":"BADTEXT","author":{"handle":"mia"}}""",
        };
        // A lone continuation byte, an overlong '/', an encoded surrogate and a truncated emoji.
        byte[] invalid = [0xC3, 0x28, 0x20, 0xC0, 0xAF, 0x20, 0xED, 0xA0, 0x80, 0x20, 0xF0, 0x9F, 0x98];
        var bytes = where == "in the text"
            ? Splice(valid, "BADTEXT", invalid)
            : Splice(valid[..^1] + ",\"unread\":\"NOTE\"}", "NOTE", invalid);
        Assert.False(System.Text.Unicode.Utf8.IsValid(bytes));

        using var response = await PostSignedBytesAsync(provider, bytes);

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{provider}, {where}: {(int)response.StatusCode} {text}");
        Assert.Contains("application/problem+json", response.Content.Headers.ContentType?.ToString() ?? "", StringComparison.Ordinal);
        Assert.Contains("the body is not valid UTF-8", text, StringComparison.Ordinal);
        Assert.Equal(before, await SnapshotAsync());

        // The valid twin of the same body is stored: what is refused is the encoding, not the delivery.
        using var twin = await PostSignedBytesAsync(provider, Encoding.UTF8.GetBytes(where == "in the text" ? valid : valid[..^1] + ",\"unread\":\"note\"}"));
        Assert.Equal(HttpStatusCode.OK, twin.StatusCode);
        Assert.Equal(1, await CountAsync("SELECT COUNT(*) FROM messages"));
    }

    /// <summary>
    /// Valid UTF-8 whose JSON escapes a lone surrogate ("\ud83d") cannot be read as text either: every provider refuses
    /// it with the same reason. Slack acknowledged it (200, "ignored") while Meta refused it.
    /// </summary>
    [Theory]
    [InlineData("slack")]
    [InlineData("meta")]
    [InlineData("generic")]
    public async Task A_signed_body_with_an_escaped_lone_surrogate_is_refused_with_a_reason_by_every_provider(string provider)
    {
        var before = await SnapshotAsync();
        var valid = provider switch
        {
            "slack" => SlackMessage("1531421100.000100", "BADTEXT"),
            "meta" => FacebookComment.Replace("Where is my refund?", "BADTEXT", StringComparison.Ordinal),
            _ => """{"id":"u-1","channel":"forum","text":"BADTEXT","author":{"handle":"mia"}}""",
        };

        using var response = await PostSignedBytesAsync(provider, Encoding.UTF8.GetBytes(valid.Replace("BADTEXT", "broken \\ud83d here", StringComparison.Ordinal)));

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{provider}: {(int)response.StatusCode} {text}");
        Assert.Contains("application/problem+json", response.Content.Headers.ContentType?.ToString() ?? "", StringComparison.Ordinal);
        Assert.Contains("surrogate", text, StringComparison.Ordinal);
        Assert.Equal(before, await SnapshotAsync());
    }

    private static byte[] Splice(string body, string marker, byte[] bytes)
    {
        var at = body.IndexOf(marker, StringComparison.Ordinal);
        return [.. Encoding.UTF8.GetBytes(body[..at]), .. bytes, .. Encoding.UTF8.GetBytes(body[(at + marker.Length)..])];
    }

    [Fact]
    public async Task Generic_webhook_stores_signed_jsonl_in_its_configured_channel()
    {
        var body = """
            {"id":"t-1","channel":"slack:elsewhere","text":"The forum login page is broken","author":{"handle":"mia"}}
            {"id":"t-2","channel":"forum","text":"Me too","in_reply_to":"t-1"}
            """;
        using var response = await PostGenericAsync(_generic, body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, await CountAsync("SELECT COUNT(*) FROM messages WHERE channel = 'forum' AND account_id = @a", new { a = _generic }));
        Assert.Equal(1, await CountAsync("SELECT COUNT(*) FROM conversations WHERE channel = 'forum' AND message_count = 2"));
    }

    [Theory]
    [InlineData("stale timestamp")]
    [InlineData("invalid JSON line")]
    [InlineData("no posts")]
    [InlineData("wrong secret")]
    public async Task Generic_webhook_refuses_bad_deliveries_with_nothing_stored(string kase)
    {
        var before = await SnapshotAsync();
        var good = """{"id":"g-1","channel":"forum","text":"fine"}""";
        using var response = kase switch
        {
            "stale timestamp" => await PostGenericAsync(_generic, good, DateTimeOffset.UtcNow.AddMinutes(-10).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)),
            "invalid JSON line" => await PostGenericAsync(_generic, good + "\n{\"id\":\"g-2\",\"channel\":\"forum\",\"text\":"),
            "no posts" => await PostGenericAsync(_generic, "\n\n"),
            "wrong secret" => await PostGenericAsync(_slack, good),
            _ => throw new ArgumentOutOfRangeException(nameof(kase)),
        };
        Assert.True(response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.BadRequest or HttpStatusCode.NotFound, $"{kase}: {(int)response.StatusCode}");
        Assert.Equal(before, await SnapshotAsync());
    }
}
