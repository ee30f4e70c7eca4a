using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Switchboard.Tests.Channels.Connectors;

/// <summary>
/// A Jetstream endpoint on loopback: <c>/subscribe?wantedCollections=…&amp;cursor=…</c> replays the events from the
/// cursor (or from the start), in bursts of <paramref name="burst"/> events with <paramref name="pauseMs"/> between
/// them, then stays connected and quiet as the live stream does; with <paramref name="dropEvery"/> it drops the
/// connection (TCP reset, no close handshake) that often.
/// Every subscription's query string is added to <paramref name="queries"/>; <paramref name="subscribed"/>, when
/// given, runs with the cursor asked for before anything is sent (to check what the consumer had committed by then).
/// </summary>
internal static class FakeJetstream
{
    public static Task<FakeServer> ServeAsync(IReadOnlyList<(long TimeUs, string Json)> events, TimeSpan? dropEvery, List<string> queries,
        Func<long?, Task>? subscribed = null, int burst = 20, int pauseMs = 10) => FakeServer.StartAsync(app =>
        app.Map("/subscribe", async (HttpContext ctx) =>
        {
            if (!ctx.WebSockets.IsWebSocketRequest)
            {
                ctx.Response.StatusCode = 400;
                return;
            }
            lock (queries)
                queries.Add(ctx.Request.QueryString.Value ?? "");
            long? cursor = long.TryParse(ctx.Request.Query["cursor"], NumberStyles.Integer, CultureInfo.InvariantCulture, out var c) ? c : null;
            if (subscribed is not null)
                await subscribed(cursor);
            using var socket = await ctx.WebSockets.AcceptWebSocketAsync();
            var started = DateTime.UtcNow;
            var i = 0;
            while (i < events.Count && events[i].TimeUs < (cursor ?? 0))
                i++;
            try
            {
                for (; i < events.Count; i++)
                {
                    if (dropEvery is { } drop && DateTime.UtcNow - started > drop)
                    {
                        ctx.Abort();
                        return;
                    }
                    await socket.SendAsync(Encoding.UTF8.GetBytes(events[i].Json), WebSocketMessageType.Text, true, ctx.RequestAborted);
                    if (i % burst == 0)
                        await Task.Delay(pauseMs, ctx.RequestAborted);
                }
                // Caught up: stay connected and quiet, as the live stream does between events.
                await Task.Delay(Timeout.Infinite, ctx.RequestAborted);
            }
            catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or IOException)
            {
            }
        }));
}
