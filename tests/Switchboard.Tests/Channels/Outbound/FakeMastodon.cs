using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Switchboard.Tests.Channels.Outbound;

/// <summary>
/// A Mastodon instance in the shapes of its API documentation (../shared/fixtures/mastodon/statuses.md): statuses
/// with Idempotency-Key, verify_credentials, and a thread's context. Behaviours a test can switch on: rate limiting
/// with Retry-After, creating the status and then never answering (the "timeout after the request left" case), a 422.
/// </summary>
internal sealed class FakeMastodon : IAsyncDisposable
{
    public const string OurAccountId = "14715";

    private readonly ConcurrentDictionary<string, JsonObject> _byKey = new();
    private readonly List<JsonObject> _statuses = [];
    private int _nextId;

    public FakeNetwork Network { get; private set; } = null!;

    /// <summary>Answer the next N status posts with 429 and this Retry-After (seconds).</summary>
    public int RateLimitNext { get; set; }

    public int RetryAfterSeconds { get; set; } = 1;

    /// <summary>Create the status, then hold the answer until the client gives up.</summary>
    public bool HangAfterCreate { get; set; }

    /// <summary>Answer status posts with 422 and this error.</summary>
    public string? Reject { get; set; }

    /// <summary>Each status post waits this long before answering (widens race windows).</summary>
    public TimeSpan Delay { get; set; }

    public int Created
    {
        get
        {
            lock (_statuses)
                return _statuses.Count;
        }
    }

    public int Posts => Network.Count("POST", "/api/v1/statuses");

    public string Url => Network.Url;

    public static async Task<FakeMastodon> StartAsync()
    {
        var fake = new FakeMastodon();
        fake.Network = await FakeNetwork.StartAsync(app =>
        {
            app.MapPost("/api/v1/statuses", fake.PostStatusAsync);
            app.MapGet("/api/v1/accounts/verify_credentials", (HttpRequest r) =>
                Authorized(r) ? Results.Json(new { id = OurAccountId, username = "brand", acct = "brand" }) : Results.Json(new { error = "The access token is invalid" }, statusCode: 401));
            app.MapGet("/api/v1/statuses/{id}/context", (string id, HttpRequest r) =>
            {
                lock (fake._statuses)
                {
                    var descendants = new JsonArray([.. fake._statuses.Where(s => (string?)s["in_reply_to_id"] == id).Select(s => s.DeepClone())]);
                    return Results.Content(new JsonObject { ["ancestors"] = new JsonArray(), ["descendants"] = descendants }.ToJsonString(), "application/json");
                }
            });
        });
        return fake;
    }

    /// <summary>A status by someone else (or us) already in the thread, as if posted earlier.</summary>
    public JsonObject AddStatus(string inReplyTo, string text, string accountId)
    {
        var status = Status(inReplyTo, text, accountId);
        lock (_statuses)
            _statuses.Add(status);
        return status;
    }

    private static bool Authorized(HttpRequest r) => r.Headers.Authorization.ToString() == "Bearer token-123";

    private async Task<IResult> PostStatusAsync(HttpRequest request, CancellationToken ct)
    {
        if (!Authorized(request))
            return Results.Json(new { error = "The access token is invalid" }, statusCode: 401);
        if (Delay > TimeSpan.Zero)
            await Task.Delay(Delay, ct);
        if (RateLimitNext > 0)
        {
            RateLimitNext--;
            request.HttpContext.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return Results.Json(new { error = "Too many requests" }, statusCode: 429);
        }
        if (Reject is not null)
            return Results.Json(new { error = Reject }, statusCode: 422);
        var body = await JsonNode.ParseAsync(request.Body, cancellationToken: ct);
        var key = request.Headers["Idempotency-Key"].ToString();
        var text = (string?)body?["status"] ?? "";
        var inReplyTo = (string?)body?["in_reply_to_id"];
        JsonObject status;
        lock (_statuses)
        {
            if (key.Length > 0 && _byKey.TryGetValue(key, out var existing))
            {
                status = existing;
            }
            else
            {
                status = Status(inReplyTo, text, OurAccountId);
                _statuses.Add(status);
                if (key.Length > 0)
                    _byKey[key] = status;
            }
        }
        if (HangAfterCreate)
            await Task.Delay(Timeout.Infinite, ct);
        return Results.Content(status.ToJsonString(), "application/json");
    }

    private JsonObject Status(string? inReplyTo, string text, string accountId)
    {
        var id = "10318" + Interlocked.Increment(ref _nextId).ToString("D14", System.Globalization.CultureInfo.InvariantCulture);
        return new JsonObject
        {
            ["id"] = id,
            ["created_at"] = "2019-12-05T11:34:47.196Z",
            ["in_reply_to_id"] = inReplyTo,
            ["in_reply_to_account_id"] = "634458",
            ["visibility"] = "public",
            ["uri"] = $"https://mastodon.example/users/brand/statuses/{id}",
            ["url"] = $"https://mastodon.example/@brand/{id}",
            ["content"] = "<p>" + WebUtility.HtmlEncode(text).Replace("\n", "<br />", StringComparison.Ordinal) + "</p>",
            ["account"] = new JsonObject { ["id"] = accountId, ["username"] = accountId == OurAccountId ? "brand" : "someone" },
        };
    }

    public ValueTask DisposeAsync() => Network.DisposeAsync();

}
