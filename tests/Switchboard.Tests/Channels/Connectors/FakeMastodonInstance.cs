using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Switchboard.Tests.Channels.Connectors;

/// <summary>
/// A Mastodon instance: REST notifications paged with limit/min_id/max_id and a Link header, and the streaming API
/// over SSE and WebSocket, either a scripted story (<see cref="StreamAsync"/>, <see cref="WebSocketAsync"/>) or live
/// mentions created while the test runs (<see cref="LiveStreamAsync"/>). Notifications are the documented example
/// (../shared/fixtures/mastodon/streaming.md) with ids varied. Used by the connector's own tests (in process) and by
/// the ack-after-commit crash test (a real server process reading it on loopback); the outbound side (posting
/// statuses) is <see cref="Outbound.FakeMastodon"/>.
/// </summary>
internal sealed class FakeMastodonInstance
{
    /// <summary>The access token the instance accepts (any other is answered 401).</summary>
    public const string Token = "mastodon-token-SECRET-4f2a9c";

    private readonly JsonObject _template;
    public readonly List<JsonObject> Notifications = [];
    public readonly List<string> Queries = [];

    /// <summary>The queries so far; the connector keeps paging while the test reads them.</summary>
    public string[] QueriesSoFar()
    {
        lock (Queries)
            return [.. Queries];
    }
    public int StreamConnections;
    public int WebSocketConnections;
    public Uri Base = null!;

    public FakeMastodonInstance(int initial = 90)
    {
        var line = File.ReadLines(Fixtures.Path("mastodon/streaming.md"))
            .First(l => l.StartsWith("data: {\"id\":\"68739215\",\"type\":\"mention\"", StringComparison.Ordinal));
        _template = JsonNode.Parse(line["data: ".Length..])!.AsObject();
        for (var i = 1; i <= initial; i++)
            Notifications.Add(Make(i));
    }

    public JsonObject Make(int i, string? content = null)
    {
        var n = _template.DeepClone().AsObject();
        n["id"] = i.ToString(CultureInfo.InvariantCulture);
        var status = n["status"]!.AsObject();
        status["id"] = (1000 + i).ToString(CultureInfo.InvariantCulture);
        status["content"] = content ?? $"<p>mention number {i} &amp; more</p>";
        status["created_at"] = new DateTimeOffset(2022, 8, 30, 23, 0, 0, TimeSpan.Zero).AddMinutes(i).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        // Mention 10 answers mention 1: it threads into the same conversation.
        status["in_reply_to_id"] = i == 10 ? "1001" : null;
        return n;
    }

    public IResult Page(HttpContext ctx)
    {
        lock (Queries)
            Queries.Add(ctx.Request.QueryString.Value ?? "");
        if (ctx.Request.Headers.Authorization != "Bearer " + Token)
            return Results.Json(new { error = "The access token is invalid" }, statusCode: 401);
        var limit = int.TryParse(ctx.Request.Query["limit"], out var l) ? Math.Clamp(l, 1, 40) : 20;
        List<JsonObject> snapshot;
        lock (Notifications)
            snapshot = [.. Notifications];
        static int Id(JsonObject n) => int.Parse(n["id"]!.GetValue<string>(), CultureInfo.InvariantCulture);
        IEnumerable<JsonObject> page = int.TryParse(ctx.Request.Query["min_id"], out var min)
            ? snapshot.Where(n => Id(n) > min).OrderBy(Id).Take(limit).OrderByDescending(Id)
            : int.TryParse(ctx.Request.Query["max_id"], out var max)
                ? snapshot.Where(n => Id(n) < max).OrderByDescending(Id).Take(limit)
                : snapshot.OrderByDescending(Id).Take(limit);
        var items = page.ToList();
        if (items.Count > 0)
        {
            var path = new Uri(Base, "api/v1/notifications").AbsoluteUri + "?limit=" + limit + "&types[]=mention";
            ctx.Response.Headers.Link = $"<{path}&max_id={Id(items[^1])}>; rel=\"next\", <{path}&min_id={Id(items[0])}>; rel=\"prev\"";
        }
        return Results.Content(new JsonArray([.. items.Select(i => i.DeepClone())]).ToJsonString(), "application/json");
    }

    /// <summary>The first stream delivers two mentions, an edit and a delete, then drops; mention 93 arrives while disconnected.</summary>
    public async Task StreamAsync(HttpContext ctx)
    {
        if (ctx.Request.Headers.Authorization != "Bearer " + Token)
        {
            ctx.Response.StatusCode = 401;
            return;
        }
        var first = Interlocked.Increment(ref StreamConnections) == 1;
        ctx.Response.ContentType = "text/event-stream";
        await ctx.Response.WriteAsync(":)\n\n", ctx.RequestAborted);
        await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
        if (!first)
        {
            try
            {
                while (true)
                {
                    await Task.Delay(500, ctx.RequestAborted);
                    await ctx.Response.WriteAsync(":thump\n\n", ctx.RequestAborted);
                    await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
        foreach (var i in new[] { 91, 92 })
        {
            var n = Make(i);
            lock (Notifications)
                Notifications.Add(n);
            await ctx.Response.WriteAsync($"event: notification\ndata: {n.ToJsonString()}\n\n");
        }
        var edited = Make(5, "<p>edited <b>text</b></p>")["status"]!.ToJsonString();
        await ctx.Response.WriteAsync($"event: status.update\ndata: {edited}\n\n");
        await ctx.Response.WriteAsync("event: delete\ndata: 1006\n\n");
        await ctx.Response.WriteAsync("event: filters_changed\ndata: undefined\n\n");
        await ctx.Response.Body.FlushAsync();
        lock (Notifications)
            Notifications.Add(Make(93));
        // Returning ends the response: the stream drops.
    }

    private readonly Queue<JsonObject> _scheduled = new();
    private readonly List<Queue<JsonObject>> _subscribers = [];
    private int _publishEveryMs = 20;

    /// <summary>
    /// Mentions that do not exist yet: <see cref="LiveStreamAsync"/> creates them, in order, one every
    /// <paramref name="everyMs"/> while a stream is connected.
    /// </summary>
    public void Schedule(IEnumerable<JsonObject> later, int everyMs)
    {
        lock (Notifications)
        {
            foreach (var n in later)
                _scheduled.Enqueue(n);
            _publishEveryMs = everyMs;
        }
    }

    /// <summary>How many scheduled mentions have not been created yet.</summary>
    public int Unpublished
    {
        get
        {
            lock (Notifications)
                return _scheduled.Count;
        }
    }

    /// <summary>
    /// A live SSE stream of the mentions <see cref="Schedule"/>d: while a connection is open the next one is created
    /// at the given pace, in the REST API at once and on every connection subscribed at that moment (as the streaming
    /// server carries only what happens after a subscription, and carries it to every subscriber: a connection that
    /// is dying must not be the only one to hear of a mention). Between mentions, and once all are created, a
    /// heartbeat, as the real server's <c>:thump</c>. Runs until the client goes away.
    /// </summary>
    public async Task LiveStreamAsync(HttpContext ctx)
    {
        if (ctx.Request.Headers.Authorization != "Bearer " + Token)
        {
            ctx.Response.StatusCode = 401;
            return;
        }
        Interlocked.Increment(ref StreamConnections);
        var feed = new Queue<JsonObject>();
        lock (Notifications)
            _subscribers.Add(feed);
        try
        {
            // Subscribed before the headers go out: the connector's backfill, run once they arrive, and this stream
            // between them miss nothing (what both see is a duplicate, which ingest drops).
            ctx.Response.ContentType = "text/event-stream";
            await ctx.Response.WriteAsync(":)\n\n", ctx.RequestAborted);
            await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
            while (true)
            {
                int pause;
                lock (Notifications)
                    pause = _publishEveryMs;
                await Task.Delay(pause, ctx.RequestAborted);
                var events = new StringBuilder();
                lock (Notifications)
                {
                    if (_scheduled.TryDequeue(out var next))
                    {
                        Notifications.Add(next);
                        foreach (var s in _subscribers)
                            s.Enqueue(next);
                    }
                    while (feed.TryDequeue(out var n))
                        events.Append("event: notification\ndata: ").Append(n.ToJsonString()).Append("\n\n");
                }
                await ctx.Response.WriteAsync(events.Length > 0 ? events.ToString() : ":thump\n\n", ctx.RequestAborted);
                await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            // the client went away (a crashed server's connection is reset)
        }
        finally
        {
            lock (Notifications)
                _subscribers.Remove(feed);
        }
    }

    /// <summary>
    /// The WebSocket streaming endpoint: the same story as <see cref="StreamAsync"/>, in envelopes whose payload is
    /// a JSON string (decoded twice), preceded by hostile frames the connector must skip without dropping the stream.
    /// </summary>
    public async Task WebSocketAsync(HttpContext ctx)
    {
        if (!ctx.WebSockets.IsWebSocketRequest || ctx.Request.Query["stream"] != "user:notification")
        {
            ctx.Response.StatusCode = 400;
            return;
        }
        if (ctx.Request.Headers.Authorization != "Bearer " + Token)
        {
            ctx.Response.StatusCode = 401;
            return;
        }
        Interlocked.Increment(ref WebSocketConnections);
        var first = Interlocked.Increment(ref StreamConnections) == 1;
        using var socket = await ctx.WebSockets.AcceptWebSocketAsync();
        Task Send(string text) => socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, ctx.RequestAborted);
        static string Envelope(string name, string payload) =>
            new JsonObject { ["stream"] = new JsonArray("user:notification"), ["event"] = name, ["payload"] = payload }.ToJsonString();
        try
        {
            if (!first)
            {
                // Later connections stay open and quiet; the test ends them.
                await Task.Delay(Timeout.Infinite, ctx.RequestAborted);
                return;
            }
            await Send("not json at all");
            await Send("{\"stream\":[\"user:notification\"],\"payload\":\"{}\"}");
            await Send(Envelope("notification", "{\"id\":\"broken"));
            await Send("{\"error\":\"Error parsing\"}");
            await socket.SendAsync(new byte[] { 0, 1, 2, 3 }, WebSocketMessageType.Binary, true, ctx.RequestAborted);
            foreach (var i in new[] { 91, 92 })
            {
                var n = Make(i);
                lock (Notifications)
                    Notifications.Add(n);
                await Send(Envelope("notification", n.ToJsonString()));
            }
            await Send(Envelope("status.update", Make(5, "<p>edited <b>text</b></p>")["status"]!.ToJsonString()));
            await Send(Envelope("delete", "1006"));
            await Send(Envelope("filters_changed", "undefined"));
            lock (Notifications)
                Notifications.Add(Make(93));
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", ctx.RequestAborted);
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or IOException)
        {
            // the connector went away
        }
    }
}
