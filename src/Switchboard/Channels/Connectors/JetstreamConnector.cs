using System.Buffers;
using System.Globalization;
using System.Net.WebSockets;
using System.Threading.Channels;
using Switchboard.Channels.Accounts;
using Switchboard.Channels.Bluesky;
using Switchboard.Channels.SafeHttp;
using Switchboard.Ingest;

namespace Switchboard.Channels.Connectors;

/// <summary>
/// Consumes a Bluesky Jetstream WebSocket (<c>wantedCollections=app.bsky.feed.post</c>, optional wantedDids and a
/// local keyword filter). One task reads frames and parses them; this loop drains what has arrived in batches: new
/// posts go to the ingest queue, edits and deletes are applied after the posts before them are committed, and the
/// batch's highest <c>time_us</c> is saved as the cursor only once everything in the batch is committed. On reconnect
/// it resumes a few seconds before that cursor (<see cref="JetstreamCursor"/>); the replayed events are duplicates the
/// (channel, at:// URI) key absorbs.
/// </summary>
internal sealed class JetstreamConnector(ConnectorContext context) : ConnectorRunner
{
    public const string Channel = "bluesky";
    private const int MaxMessageBytes = 1 << 20;
    private const int MaxBatch = 500;

    public override async Task RunAsync(ChannelAccount account, CancellationToken ct)
    {
        if (!Uri.TryCreate(account.Setting("endpoint"), UriKind.Absolute, out var endpoint) || endpoint.Scheme is not ("ws" or "wss"))
            throw new ConnectorException("the account has no valid ws:// or wss:// endpoint");
        if (SafeConnect.CheckUrl(endpoint) is { } refusal)
            throw new ConnectorException($"endpoint refused: {refusal}");
        var keywords = ChannelAccountRules.List(account.Settings, "keywords");
        var dids = ChannelAccountRules.List(account.Settings, "dids").ToHashSet(StringComparer.Ordinal);

        var saved = await context.Health.CursorAsync(account.Id, ct);
        long? committed = long.TryParse(saved, NumberStyles.Integer, CultureInfo.InvariantCulture, out var c) ? c : null;
        var url = JetstreamCursor.SubscribeUrl(endpoint, JetstreamCursor.Resume(committed), dids);

        using var handler = SafeConnect.CreateHandler(context.Http);
        using var invoker = new HttpMessageInvoker(handler);
        using var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = TimeSpan.FromSeconds(20);
        try
        {
            await socket.ConnectAsync(url, invoker, ct);
        }
        catch (WebSocketException ex)
        {
            throw new ConnectorException($"could not connect to {endpoint.Host}: {Reason(ex)}");
        }

        var events = System.Threading.Channels.Channel.CreateBounded<JetstreamEvent>(new BoundedChannelOptions(10_000)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait, // back-pressure: a slow database slows the socket, never memory
        });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var reader = ReadAsync(socket, events.Writer, stop.Token);
        try
        {
            await ProcessAsync(account, events.Reader, keywords, dids, committed, ct);
        }
        finally
        {
            await stop.CancelAsync();
        }
        // The reader's outcome decides: a clean close returns (reconnect soon), an error throws (backoff).
        await reader;
    }

    private async Task ProcessAsync(ChannelAccount account, ChannelReader<JetstreamEvent> events, IReadOnlyList<string> keywords,
        HashSet<string> dids, long? committed, CancellationToken ct)
    {
        var batch = new List<JetstreamEvent>(MaxBatch);
        var pending = new List<Task<IngestOutcome>>();
        var posts = new List<Posts.Post>();
        while (await events.WaitToReadAsync(ct))
        {
            batch.Clear();
            while (batch.Count < MaxBatch && events.TryRead(out var e))
                batch.Add(e);
            var delivered = 0;
            var received = 0;
            pending.Clear();
            posts.Clear();
            foreach (var e in batch)
            {
                if (dids.Count > 0 && !dids.Contains(e.Did))
                    continue;
                switch (e.Kind)
                {
                    case JetstreamEventKind.PostCreated when KeywordFilter.Keeps(e.Post!.Text, keywords):
                        var post = e.Post.ToPost();
                        posts.Add(post);
                        pending.Add(context.Enqueue(post, ct));
                        received++;
                        break;
                    case JetstreamEventKind.PostUpdated:
                        delivered += await FlushAsync(account.Id, pending, posts, ct);
                        // An edit that now matches the keywords but whose original was filtered out stays out: only stored posts change.
                        await context.ApplyEditAsync("bluesky", Channel, e.Post!.Uri, e.Post.Text, ct);
                        break;
                    case JetstreamEventKind.PostDeleted:
                        delivered += await FlushAsync(account.Id, pending, posts, ct);
                        await context.ApplyDeleteAsync("bluesky", Channel, e.AtUri!, ct);
                        break;
                }
            }
            delivered += await FlushAsync(account.Id, pending, posts, ct);
            var advanced = JetstreamCursor.Advance(committed, batch);
            if (batch.Count > 0)
            {
                committed = advanced;
                var lag = committed is { } us ? context.Time.GetUtcNow() - DateTimeOffset.FromUnixTimeMilliseconds(us / 1000) : (TimeSpan?)null;
                await context.Health.RecordSuccessAsync(account.Id, delivered,
                    committed?.ToString(CultureInfo.InvariantCulture), lag is { } l && l > TimeSpan.Zero ? l : TimeSpan.Zero, ct);
                context.Faults?.Cross(FaultPoint.AfterAck, received);
            }
        }
    }

    private async Task<int> FlushAsync(long accountId, List<Task<IngestOutcome>> pending, List<Posts.Post> posts, CancellationToken ct)
    {
        if (pending.Count == 0)
            return 0;
        var outcomes = await Task.WhenAll(pending);
        await context.StampAsync(accountId, posts, ct);
        pending.Clear();
        posts.Clear();
        return outcomes.Count(o => o == IngestOutcome.Stored);
    }

    /// <summary>Reads whole text messages, parses them, and completes the channel when the socket closes (with the error, if any).</summary>
    private async Task ReadAsync(ClientWebSocket socket, ChannelWriter<JetstreamEvent> writer, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(MaxMessageBytes);
        var log = context.Logger("Jetstream");
        Exception? failure = null;
        try
        {
            var idle = context.Options.StreamIdleTimeout;
            while (socket.State == WebSocketState.Open)
            {
                var length = 0;
                ValueWebSocketReceiveResult result;
                using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct))
                {
                    timeout.CancelAfter(idle);
                    do
                    {
                        if (length == MaxMessageBytes)
                            throw new ConnectorException($"a Jetstream message is larger than {MaxMessageBytes} bytes");
                        try
                        {
                            result = await socket.ReceiveAsync(buffer.AsMemory(length, MaxMessageBytes - length), timeout.Token);
                        }
                        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                        {
                            throw new ConnectorException($"no message for {idle.TotalSeconds:0} s: reconnecting");
                        }
                        length += result.Count;
                    }
                    while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);
                }
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    if (socket.State == WebSocketState.CloseReceived)
                        await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, ct);
                    break;
                }
                var parsed = JetstreamParser.Parse(buffer.AsSpan(0, length));
                if (!parsed.Ok)
                {
                    // One bad event must not stop the stream; it is skipped and noted.
                    log.LogDebug("Skipped a Jetstream event: {Error}", parsed.Error);
                    continue;
                }
                await writer.WriteAsync(parsed.Event!, ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (WebSocketException ex)
        {
            // A dropped connection (reset, no close handshake) is what streams do; the host reconnects.
            failure = ex.WebSocketErrorCode == WebSocketError.ConnectionClosedPrematurely ? null : new ConnectorException($"stream failed: {Reason(ex)}");
        }
        catch (Exception ex) when (ex is ConnectorException or IOException)
        {
            failure = ex;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            writer.TryComplete();
        }
        if (failure is not null)
            throw failure;
    }

    private static string Reason(WebSocketException ex) => ex.InnerException is { } inner ? $"{ex.Message} ({inner.Message})" : ex.Message;
}
