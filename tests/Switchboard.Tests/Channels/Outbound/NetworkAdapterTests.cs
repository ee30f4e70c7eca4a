using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Switchboard.Channels.Outbound;
using Switchboard.Posts;
using Xunit;

namespace Switchboard.Tests.Channels.Outbound;

/// <summary>Slack, Meta and Bluesky adapters through the sender, against fakes speaking each API's shapes.</summary>
public sealed class NetworkAdapterTests
{
    // Long enough for a normal exchange on a loaded CI machine (several requests per send), short enough that the
    // deliberately hung request times out quickly.
    private static readonly TimeSpan HangTimeout = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task Slack_replies_in_the_thread_and_reconciles_through_conversations_replies()
    {
        await using var h = await OutboundHarness.StartAsync("sqlite", HangTimeout);
        var posted = new List<JsonObject>();
        var hang = false;
        var rateLimited = 0;
        await using var slack = await FakeNetwork.StartAsync(app =>
        {
            app.MapPost("/api/chat.postMessage", async (HttpRequest r, HttpResponse resp, CancellationToken ct) =>
            {
                if (r.Headers.Authorization != "Bearer xoxb-test")
                    return Results.Json(new { ok = false, error = "invalid_auth" });
                if (rateLimited > 0)
                {
                    rateLimited--;
                    resp.Headers.RetryAfter = "7";
                    return Results.Json(new { ok = false, error = "ratelimited" }, statusCode: 429);
                }
                var body = (await JsonNode.ParseAsync(r.Body, cancellationToken: ct))!.AsObject();
                var ts = "1531430000.00" + (posted.Count + 10).ToString(System.Globalization.CultureInfo.InvariantCulture);
                body["ts"] = ts;
                lock (posted)
                    posted.Add(body);
                if (hang)
                    await Task.Delay(Timeout.Infinite, ct);
                return Results.Json(new { ok = true, channel = (string?)body["channel"], ts });
            });
            app.MapGet("/api/conversations.replies", (string channel, string ts) => Results.Content(new JsonObject
            {
                ["ok"] = true,
                ["messages"] = new JsonArray([
                    new JsonObject { ["type"] = "message", ["user"] = "U2CERLKJA", ["text"] = "VPN down?", ["ts"] = ts },
                    .. posted.Where(p => (string?)p["thread_ts"] == ts).Select(p => new JsonObject
                    {
                        ["type"] = "message", ["user"] = "UBOT", ["bot_id"] = "B1", ["ts"] = (string?)p["ts"],
                        ["text"] = ((string?)p["text"])!.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal),
                    }),
                ]),
            }.ToJsonString(), "application/json"));
        });
        var account = await h.AccountAsync("slack", new() { ["api_url"] = slack.Url + "/api", ["bot_user_id"] = "UBOT" },
            new() { ["bot_token"] = "xoxb-test", ["signing_secret"] = "s" });
        var sender = h.Sender(new SlackAdapter(h.Accounts, h.Http));
        var root = new Post("C024BE91L:1531420618.000100", "slack:t1dc2jh3j", "VPN down?", DateTimeOffset.UtcNow.AddMinutes(-3), new Author("U2CERLKJA"));
        var inThread = new Post("C024BE91L:1531420700.000200", "slack:t1dc2jh3j", "still down", DateTimeOffset.UtcNow.AddMinutes(-2), new Author("U3"), InReplyTo: root.Id);
        await h.Queue.IngestAsync(root);

        // 1. Sent into the root's thread (thread_ts is the conversation root even when answering a later message).
        var reply = await h.ReplyAsync(inThread, account, "Yes, IT is on it");
        Assert.Equal(SendResultKind.Sent, (await sender.SendAsync(reply, default)).Kind);
        Assert.Equal("C024BE91L", (string?)posted[0]["channel"]);
        Assert.Equal("1531420618.000100", (string?)posted[0]["thread_ts"]);
        Assert.Equal("C024BE91L:" + (string?)posted[0]["ts"], (await h.StateAsync(reply)).ExternalId);

        // 2. Rate limited: RetryAfter from the header.
        rateLimited = 1;
        var limited = await h.ReplyAsync(new Post("C024BE91L:1531420800.000300", "slack:t1dc2jh3j", "any news?", InReplyTo: root.Id), account, "Soon");
        Assert.Equal(SendResultKind.RetryLater, (await sender.SendAsync(limited, default)).Kind);
        var state = await h.StateAsync(limited);
        Assert.InRange(state.NextAttemptAt!.Value - DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), 5_000, 7_500);

        // 3. Timeout after Slack stored it: unknown, then found by the reconcile (text escaped by Slack), no re-post.
        hang = true;
        var unknown = await h.ReplyAsync(new Post("C024BE91L:1531420900.000400", "slack:t1dc2jh3j", "and now?", InReplyTo: root.Id), account, "Fixed <now> & tested");
        Assert.Equal(SendResultKind.Unknown, (await sender.SendAsync(unknown, default)).Kind);
        hang = false;
        var count = posted.Count;
        Assert.Equal(SendResultKind.Sent, (await sender.SendAsync(unknown, default)).Kind);
        Assert.Equal(count, posted.Count);
    }

    [Fact]
    public async Task Meta_replies_to_facebook_and_instagram_comments_and_reconciles()
    {
        await using var h = await OutboundHarness.StartAsync("sqlite");
        var comments = new Dictionary<string, List<(string Id, string Text, string From)>>();
        var refuse = false;
        await using var graph = await FakeNetwork.StartAsync(app =>
        {
            app.MapPost("/v21.0/{id}/{edge}", async (string id, string edge, HttpRequest r) =>
            {
                if (r.Headers.Authorization != "Bearer EAAB")
                    return Results.Json(new { error = new { message = "Invalid OAuth access token.", type = "OAuthException", code = 190 } }, statusCode: 400);
                if (refuse)
                    return Results.Json(new { error = new { message = "(#10) Permission denied", type = "OAuthException", code = 10 } }, statusCode: 403);
                var form = await r.ReadFormAsync();
                var newId = id + "_r" + (comments.GetValueOrDefault(id)?.Count ?? 0);
                var owner = edge == "comments" ? "1234567890" : "17841400000000000";
                comments.TryAdd(id, []);
                comments[id].Add((newId, form["message"].ToString(), owner));
                return Results.Json(new { id = newId });
            });
            app.MapGet("/v21.0/{id}/{edge}", (string id, string edge) => Results.Json(new
            {
                data = (comments.GetValueOrDefault(id) ?? []).Select(c => edge == "comments"
                    ? (object)new { id = c.Id, message = c.Text, from = new { id = c.From, name = "Acme" } }
                    : new { id = c.Id, text = c.Text, from = new { id = c.From, username = "acme" } }),
            }));
        });
        var account = await h.AccountAsync("meta", new() { ["graph_url"] = graph.Url + "/v21.0" }, new() { ["page_token"] = "EAAB", ["app_secret"] = "x", ["verify_token"] = "v" });
        var sender = h.Sender(new FacebookAdapter(h.Accounts, h.Http), new InstagramAdapter(h.Accounts, h.Http));

        var fb = await h.ReplyAsync(new Post("111_222", "facebook:1234567890", "Where is my refund?", InReplyTo: "1234567890_999"), account, "We sent it today");
        Assert.Equal(SendResultKind.Sent, (await sender.SendAsync(fb, default)).Kind);
        Assert.Equal("111_222_r0", (await h.StateAsync(fb)).ExternalId);
        Assert.Equal("message=We+sent+it+today", graph.Requests.Single(r => r.Method == "POST").Body);

        var ig = await h.ReplyAsync(new Post("17870000000000001", "instagram:17841400000000000", "It broke", InReplyTo: "17900000000000000"), account, "Sorry! DM us");
        Assert.Equal(SendResultKind.Sent, (await sender.SendAsync(ig, default)).Kind);
        Assert.Contains(graph.Requests, r => r.PathAndQuery == "/v21.0/17870000000000001/replies");

        // Reconcile of an unknown outcome: found on the edge → sent without a second POST.
        var posts = graph.Count("POST", "/");
        await using (var conn = await h.Db.OpenAsync())
            await Dapper.SqlMapper.ExecuteAsync(conn, "UPDATE replies SET status = 'unknown', external_id = NULL WHERE id = @fb", new { fb });
        Assert.Equal(SendResultKind.Sent, (await sender.SendAsync(fb, default)).Kind);
        Assert.Equal(posts, graph.Count("POST", "/"));
        Assert.Equal("111_222_r0", (await h.StateAsync(fb)).ExternalId);

        // A permission error is a failure with Meta's message.
        refuse = true;
        var denied = await h.ReplyAsync(new Post("111_333", "facebook:1234567890", "Hello?", InReplyTo: "1234567890_999"), account, "Hi");
        Assert.Equal(SendResultKind.Failed, (await sender.SendAsync(denied, default)).Kind);
        Assert.Contains("Permission denied", (await h.StateAsync(denied)).Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bluesky_replies_with_strong_refs_reuses_its_session_and_reconciles_by_record_key()
    {
        await using var h = await OutboundHarness.StartAsync("sqlite", HangTimeout);
        var records = new Dictionary<string, JsonObject>();
        var sessions = 0;
        var hang = false;
        const string did = "did:plc:brand";
        const string parent = "at://did:plc:jane/app.bsky.feed.post/3kabc2parent";
        const string root = "at://did:plc:joe/app.bsky.feed.post/3kabc1root";
        await using var pds = await FakeNetwork.StartAsync(app =>
        {
            app.MapPost("/xrpc/com.atproto.server.createSession", async (HttpRequest r) =>
            {
                var body = await JsonNode.ParseAsync(r.Body);
                if ((string?)body!["identifier"] != "brand.bsky.social" || (string?)body["password"] != "abcd-efgh-ijkl-mnop")
                    return Results.Json(new { error = "AuthenticationRequired", message = "Invalid identifier or password" }, statusCode: 401);
                Interlocked.Increment(ref sessions);
                return Results.Json(new { did, handle = "brand.bsky.social", accessJwt = "jwt-1", refreshJwt = "r" });
            });
            app.MapGet("/xrpc/app.bsky.feed.getPostThread", (string uri) => uri == parent
                ? Results.Json(new { thread = new { post = new { uri = parent, cid = "bafyparent", record = new { text = "bad service", reply = new { root = new { uri = root, cid = "bafyroot" }, parent = new { uri = root, cid = "bafyroot" } } } } } })
                : Results.Json(new { error = "NotFound", message = "Post not found" }, statusCode: 400));
            app.MapPost("/xrpc/com.atproto.repo.createRecord", async (HttpRequest r, CancellationToken ct) =>
            {
                if (r.Headers.Authorization != "Bearer jwt-1")
                    return Results.Json(new { error = "AuthMissing" }, statusCode: 401);
                var body = (await JsonNode.ParseAsync(r.Body, cancellationToken: ct))!.AsObject();
                var rkey = (string)body["rkey"]!;
                if (records.ContainsKey(rkey))
                    return Results.Json(new { error = "InvalidRequest", message = "Record already exists" }, statusCode: 400);
                records[rkey] = body;
                if (hang)
                    await Task.Delay(Timeout.Infinite, ct);
                return Results.Json(new { uri = $"at://{did}/app.bsky.feed.post/{rkey}", cid = "bafynew" });
            });
            app.MapGet("/xrpc/com.atproto.repo.getRecord", (string repo, string collection, string rkey) => records.TryGetValue(rkey, out var rec)
                ? Results.Json(new { uri = $"at://{repo}/{collection}/{rkey}", cid = "bafynew", value = rec["record"]!.DeepClone() })
                : Results.Json(new { error = "RecordNotFound", message = "Could not locate record" }, statusCode: 400));
        });
        var account = await h.AccountAsync("bluesky", new() { ["handle"] = "brand.bsky.social", ["service"] = pds.Url }, new() { ["app_password"] = "abcd-efgh-ijkl-mnop" });
        var adapter = new BlueskyAdapter(h.Accounts, h.Http, TimeProvider.System);
        var sender = h.Sender(adapter);

        var first = await h.ReplyAsync(new Post(parent, "bluesky", "bad service", InReplyTo: root), account, "We hear you, DM us");
        Assert.Equal(SendResultKind.Sent, (await sender.SendAsync(first, default)).Kind);
        var record = records.Values.Single()["record"]!;
        Assert.Equal(root, (string?)record["reply"]!["root"]!["uri"]);
        Assert.Equal("bafyroot", (string?)record["reply"]!["root"]!["cid"]);
        Assert.Equal(parent, (string?)record["reply"]!["parent"]!["uri"]);
        Assert.Equal("bafyparent", (string?)record["reply"]!["parent"]!["cid"]);
        Assert.StartsWith("at://did:plc:brand/app.bsky.feed.post/", (await h.StateAsync(first)).ExternalId, StringComparison.Ordinal);

        // Timeout after the PDS stored it → unknown → the reconcile finds the record by its key; nothing re-created.
        hang = true;
        var second = await h.ReplyAsync(new Post(parent, "bluesky", "bad service", InReplyTo: root), account, "Fixed now");
        Assert.Equal(SendResultKind.Unknown, (await sender.SendAsync(second, default)).Kind);
        hang = false;
        Assert.Equal(SendResultKind.Sent, (await sender.SendAsync(second, default)).Kind);
        Assert.Equal(2, records.Count);
        Assert.Equal(1, sessions); // the session was cached across sends and reconciles
    }
}
