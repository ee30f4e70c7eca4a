using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Switchboard.Channels.Accounts;
using Switchboard.Channels.Mastodon;
using Switchboard.Channels.SafeHttp;
using Switchboard.Ingest;
using Switchboard.Posts;

namespace Switchboard.Channels.Connectors;

/// <summary>
/// Listens to one Mastodon account: mentions (notifications) and hashtag/public timelines. Each run first backfills
/// every timeline over REST from the last id it committed (pages forward with <c>min_id</c>, following the Link
/// header's rel="prev"), then follows the streaming API (Server-Sent Events, or the WebSocket endpoint with <c>transport: websocket</c>) until the stream drops; the next run
/// backfills the gap. Once the stream is open it backfills again before reading a single event: a stream only carries
/// what happens after it subscribed, so a status created between the first backfill and the subscription would
/// otherwise be skipped for good once a later streamed id moved the cursor past it. Ids are saved only after the
/// statuses they cover are committed. Edits and deletes from the stream are applied to stored messages. HTML is
/// turned into text by the Domain sanitizer.
/// </summary>
internal sealed class MastodonConnector(ConnectorContext context) : ConnectorRunner
{
    public const int PageLimit = 40;
    private const int MaxPagesPerBackfill = 50;
    private const int MaxBodyBytes = 4 * 1024 * 1024;
    private const int MaxLineChars = 1 << 20;

    private readonly SemaphoreSlim _commit = new(1, 1);

    public override async Task RunAsync(ChannelAccount account, CancellationToken ct)
    {
        var instance = Instance(account);
        var token = account.Secret("access_token") ?? throw new ConnectorException("the account has no access_token secret");
        var timelines = Timelines(account);
        var keywords = ChannelAccountRules.List(account.Settings, "keywords");
        var channel = Channel(instance);
        using var http = new HttpClient(SafeConnect.CreateHandler(context.Http)) { Timeout = Timeout.InfiniteTimeSpan };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        http.DefaultRequestHeaders.UserAgent.ParseAdd("Switchboard/1.0");
        var cursor = ReadCursor(await context.Health.CursorAsync(account.Id, ct));

        if (!ChannelAccountRules.Bool(account.Settings, "streaming", true))
        {
            // REST polling only: each poll is a backfill from the last committed id.
            var interval = TimeSpan.FromSeconds(Math.Max(1, ChannelAccountRules.Int(account.Settings, "poll_interval_seconds", 60)));
            while (true)
            {
                foreach (var t in timelines)
                    await BackfillAsync(account, http, instance, channel, t, keywords, cursor, ct);
                await Task.Delay(interval, context.Time, ct);
            }
        }

        foreach (var t in timelines)
            await BackfillAsync(account, http, instance, channel, t, keywords, cursor, ct);

        var streamBase = StreamingBase(account, instance);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var streams = timelines.Select(t => StreamAsync(account, http, instance, streamBase, channel, t, keywords, cursor, stop.Token)).ToList();
        // The first stream to end ends the run: the host reconnects and the backfill closes whatever gap the drop left.
        var first = await Task.WhenAny(streams);
        await stop.CancelAsync();
        foreach (var other in streams.Where(t => t != first))
        {
            try
            {
                await other;
            }
            catch (Exception ex) when (ex is OperationCanceledException or ConnectorException or HttpRequestException or IOException)
            {
                // stopped because the first one ended; its outcome is the run's
            }
        }
        await first;
    }

    /// <summary>Pages forward from the last committed id until the timeline is exhausted (or from the newest page on the first run).</summary>
    internal async Task BackfillAsync(ChannelAccount account, HttpClient http, Uri instance, string channel, string timeline,
        IReadOnlyList<string> keywords, Dictionary<string, string> cursor, CancellationToken ct)
    {
        cursor.TryGetValue(timeline, out var last);
        var path = MastodonApi.TimelinePath(timeline, minId: last, limit: PageLimit);
        for (var page = 0; page < MaxPagesPerBackfill && path is not null; page++)
        {
            using var response = await http.GetAsync(new Uri(instance, path), HttpCompletionOption.ResponseHeadersRead, ct);
            EnsureOk(response);
            var body = await ReadBoundedAsync(response.Content, ct);
            var (posts, maxId, count) = timeline == "notifications" ? Mentions(body, channel) : Statuses(body, channel, keywords, timeline);
            if (count == 0)
                break;
            await CommitAsync(account, timeline, posts, maxId, cursor, ct);
            if (last is null || count < PageLimit)
                break; // first run: start from the newest page, do not walk the whole history
            var (_, prev) = MastodonApi.ParseLinkHeader(response.Headers.TryGetValues("Link", out var link) ? string.Join(", ", link) : null);
            path = prev is not null && prev.Authority == instance.Authority ? prev.PathAndQuery : MastodonApi.TimelinePath(timeline, minId: maxId, limit: PageLimit);
        }
    }

    private async Task StreamAsync(ChannelAccount account, HttpClient http, Uri instance, Uri streamBase, string channel, string timeline,
        IReadOnlyList<string> keywords, Dictionary<string, string> cursor, CancellationToken ct)
    {
        // Runs once the stream is subscribed and before its first event is read (events wait in the socket): closes the
        // gap between the backfill above and the subscription. What it fetches and the stream repeats is a duplicate.
        Task Opened(CancellationToken c) => BackfillAsync(account, http, instance, channel, timeline, keywords, cursor, c);
        var (stream, tag) = timeline switch
        {
            "notifications" => ("user:notification", null),
            "public" => ("public", null),
            "public:local" => ("public:local", null),
            _ => ("hashtag", timeline[4..]),
        };
        var events = account.Setting("transport") == "websocket"
            ? WebSocketEventsAsync(streamBase, stream, tag, account.Secret("access_token")!, Opened, ct)
            : SseEventsAsync(http, streamBase, stream, tag, Opened, ct);
        await foreach (var decoded in events)
        {
            if (!decoded.Ok)
            {
                context.Logger("Mastodon").LogDebug("Skipped a streaming event: {Error}", decoded.Error);
                continue;
            }
            var e = decoded.Value!;
            switch (e.Kind)
            {
                case MastodonStreamEventKind.Update when timeline != "notifications":
                    var (posts, maxId, _) = Keep([e.Status!], channel, keywords, timeline);
                    await CommitAsync(account, timeline, posts, maxId, cursor, ct);
                    break;
                case MastodonStreamEventKind.Notification when timeline == "notifications" && e.Notification!.Type == "mention" && e.Notification.Status is not null:
                    await CommitAsync(account, timeline, [e.Notification.Status.ToPost(channel)], e.Notification.Id, cursor, ct);
                    break;
                case MastodonStreamEventKind.StatusUpdate:
                    await context.ApplyEditAsync("mastodon", channel, e.Status!.Id, e.Status.Text, ct);
                    break;
                case MastodonStreamEventKind.Delete:
                    await context.ApplyDeleteAsync("mastodon", channel, e.DeletedId!, ct);
                    break;
            }
        }
    }

    /// <summary>Server-sent events from <c>/api/v1/streaming/…</c>; ends when the server closes the response.</summary>
    private async IAsyncEnumerable<MastodonResult<MastodonStreamEvent>> SseEventsAsync(HttpClient http, Uri streamBase,
        string stream, string? tag, Func<CancellationToken, Task> opened, [EnumeratorCancellation] CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(streamBase, MastodonApi.StreamingPath(stream, tag)));
        request.Headers.Accept.ParseAdd("text/event-stream");
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        EnsureOk(response);
        await opened(ct);
        await using var body = await response.Content.ReadAsStreamAsync(ct);
        using var reader = new StreamReader(body, Encoding.UTF8);
        var frames = new SseFrameParser();
        var lines = new LineReader(reader, MaxLineChars);
        while (true)
        {
            string? line;
            using (var idle = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                // SSE carries ":thump" heartbeats, so silence longer than the idle timeout means a dead connection.
                idle.CancelAfter(context.Options.StreamIdleTimeout);
                try
                {
                    line = await lines.ReadLineAsync(idle.Token);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    throw new ConnectorException($"no event or heartbeat for {context.Options.StreamIdleTimeout.TotalSeconds:0} s: reconnecting");
                }
            }
            if (line is null)
                yield break; // the server closed the stream
            if (frames.AcceptLine(line) is { } message)
                yield return MastodonStreaming.FromSse(message);
        }
    }

    /// <summary>
    /// The WebSocket streaming API (<c>/api/v1/streaming?stream=…</c>): each text message is an envelope whose payload
    /// is a JSON string holding the JSON status or notification (decoded twice by the Domain). The server sends no
    /// heartbeat messages, only WebSocket pings, so a dead connection is found by our own keep-alive pings going
    /// unanswered rather than by message silence (a quiet hashtag may say nothing for hours).
    /// </summary>
    private async IAsyncEnumerable<MastodonResult<MastodonStreamEvent>> WebSocketEventsAsync(Uri streamBase, string stream,
        string? tag, string token, Func<CancellationToken, Task> opened, [EnumeratorCancellation] CancellationToken ct)
    {
        var url = new UriBuilder(new Uri(streamBase, MastodonApi.WebSocketPath(stream, tag)))
        {
            Scheme = streamBase.Scheme == Uri.UriSchemeHttps ? "wss" : "ws",
        }.Uri;
        using var handler = SafeConnect.CreateHandler(context.Http);
        using var invoker = new HttpMessageInvoker(handler);
        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", "Bearer " + token);
        socket.Options.SetRequestHeader("User-Agent", "Switchboard/1.0");
        socket.Options.KeepAliveInterval = TimeSpan.FromSeconds(20);
        socket.Options.KeepAliveTimeout = context.Options.StreamIdleTimeout;
        try
        {
            await socket.ConnectAsync(url, invoker, ct);
        }
        catch (WebSocketException ex)
        {
            throw new ConnectorException(socket.HttpStatusCode switch
            {
                HttpStatusCode.Unauthorized => "the instance refused the access token (401): create a new one",
                HttpStatusCode.Forbidden => "the access token lacks a scope (403): it needs read:notifications and read:statuses",
                // The transport's message says why (an SSRF refusal names the address and the rule); the code alone says "Faulted".
                0 => $"could not open the streaming WebSocket on {url.Host}: {ex.InnerException?.Message ?? ex.WebSocketErrorCode.ToString()}",
                var code => $"the streaming WebSocket was refused: HTTP {(int)code}",
            });
        }

        await opened(ct);
        var messages = new MessageReader(socket, MaxLineChars);
        while (true)
        {
            switch (await messages.ReceiveAsync(ct))
            {
                case WebSocketMessageType.Close:
                    yield break; // closed by the server (cleanly or not): the next run backfills the gap
                case WebSocketMessageType.Text:
                    yield return MastodonStreaming.FromWebSocket(messages.Message);
                    break;
                default:
                    yield return MastodonResult<MastodonStreamEvent>.Fail("a binary WebSocket message (Mastodon sends text)");
                    break;
            }
        }
    }

    /// <summary>Whole WebSocket messages, the buffer growing up to a cap; a connection that drops reads as a close.</summary>
    private sealed class MessageReader(ClientWebSocket socket, int maxBytes)
    {
        private byte[] _buffer = new byte[16 * 1024];
        private int _count;

        public ReadOnlySpan<byte> Message => _buffer.AsSpan(0, _count);

        public async Task<WebSocketMessageType> ReceiveAsync(CancellationToken ct)
        {
            _count = 0;
            while (true)
            {
                if (_count == _buffer.Length)
                {
                    if (_buffer.Length >= maxBytes)
                        throw new ConnectorException($"a streaming message larger than {maxBytes} bytes");
                    Array.Resize(ref _buffer, Math.Min(maxBytes, _buffer.Length * 2));
                }
                ValueWebSocketReceiveResult r;
                try
                {
                    r = await socket.ReceiveAsync(_buffer.AsMemory(_count), ct);
                }
                catch (WebSocketException ex) when (ex.WebSocketErrorCode == WebSocketError.ConnectionClosedPrematurely)
                {
                    return WebSocketMessageType.Close;
                }
                catch (WebSocketException ex)
                {
                    throw new ConnectorException("the streaming WebSocket failed: " + ex.WebSocketErrorCode);
                }
                _count += r.Count;
                if (r.MessageType == WebSocketMessageType.Close || r.EndOfMessage)
                    return r.MessageType;
            }
        }
    }

    /// <summary>Ingests, waits for the commit, and only then moves the timeline's cursor and saves it.</summary>
    private async Task CommitAsync(ChannelAccount account, string timeline, IReadOnlyList<Post> posts, string? maxId,
        Dictionary<string, string> cursor, CancellationToken ct)
    {
        var delivered = await context.IngestAsync(account.Id, posts, ct);
        await _commit.WaitAsync(ct);
        try
        {
            if (maxId is not null && (!cursor.TryGetValue(timeline, out var old) || CompareIds(maxId, old) > 0))
                cursor[timeline] = maxId;
            var newest = posts.Select(p => p.CreatedAt).Max();
            var now = context.Time.GetUtcNow();
            await context.Health.RecordSuccessAsync(account.Id, delivered, JsonSerializer.Serialize(cursor),
                newest is { } n && n <= now ? now - n : null, ct);
            context.Faults?.Cross(FaultPoint.AfterAck, posts.Count);
        }
        finally
        {
            _commit.Release();
        }
    }

    private static (List<Post> Posts, string? MaxId, int Count) Mentions(byte[] body, string channel)
    {
        var parsed = MastodonJson.ParseNotifications(body);
        if (!parsed.Ok)
            throw new ConnectorException("unreadable notifications page: " + parsed.Error);
        var list = parsed.Value!;
        var posts = list.Where(n => n.Type == "mention" && n.Status is not null).Select(n => n.Status!.ToPost(channel)).ToList();
        return (posts, MaxId(list.Select(n => n.Id)), list.Count);
    }

    private static (List<Post> Posts, string? MaxId, int Count) Statuses(byte[] body, string channel, IReadOnlyList<string> keywords, string timeline)
    {
        var parsed = MastodonJson.ParseStatuses(body);
        if (!parsed.Ok)
            throw new ConnectorException($"unreadable {timeline} page: " + parsed.Error);
        var (posts, maxId, _) = Keep(parsed.Value!, channel, keywords, timeline);
        return (posts, maxId, parsed.Value!.Count);
    }

    /// <summary>Hashtag and public timelines are filtered by the keywords (when set); the cursor moves past skipped statuses too.</summary>
    private static (List<Post>, string?, int) Keep(IReadOnlyList<MastodonStatus> statuses, string channel, IReadOnlyList<string> keywords, string timeline)
    {
        var posts = statuses.Select(s => s.ToPost(channel)).Where(p => KeywordFilter.Keeps(p.Text, keywords)).ToList();
        return (posts, MaxId(statuses.Select(s => s.Id)), statuses.Count);
    }

    private static string? MaxId(IEnumerable<string> ids) => ids.Aggregate((string?)null, (max, id) => max is null || CompareIds(id, max) > 0 ? id : max);

    /// <summary>Mastodon ids are decimal strings that sort numerically: longer is larger, then digit by digit.</summary>
    internal static int CompareIds(string a, string b) =>
        a.Length != b.Length ? a.Length.CompareTo(b.Length) : string.CompareOrdinal(a, b);

    private static void EnsureOk(HttpResponseMessage response)
    {
        if (response.IsSuccessStatusCode)
            return;
        var status = (int)response.StatusCode;
        var reason = response.StatusCode switch
        {
            HttpStatusCode.Unauthorized => "the instance refused the access token (401): create a new one",
            HttpStatusCode.Forbidden => "the access token lacks a scope (403): it needs read:notifications and read:statuses",
            HttpStatusCode.TooManyRequests => "rate limited (429)" + (response.Headers.RetryAfter?.Delta is { } d ? $", retry after {d.TotalSeconds:0} s" : ""),
            _ when status is >= 300 and < 400 => $"HTTP {status}: redirects are not followed (check the instance URL)",
            _ => $"HTTP {status} {response.ReasonPhrase}",
        };
        throw new ConnectorException(reason);
    }

    private static async Task<byte[]> ReadBoundedAsync(HttpContent content, CancellationToken ct)
    {
        await using var stream = await content.ReadAsStreamAsync(ct);
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int n;
        while ((n = await stream.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + n > MaxBodyBytes)
                throw new ConnectorException($"a page larger than {MaxBodyBytes} bytes");
            buffer.Write(chunk, 0, n);
        }
        return buffer.ToArray();
    }

    internal static Uri Instance(ChannelAccount account)
    {
        if (!Uri.TryCreate(account.Setting("instance"), UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
            throw new ConnectorException("the account has no valid instance URL");
        if (SafeConnect.CheckUrl(url) is { } refusal)
            throw new ConnectorException($"instance refused: {refusal}");
        return new Uri(url.GetLeftPart(UriPartial.Authority) + "/");
    }

    /// <summary>
    /// Where the stream is read: the instance, or the streaming URL when the instance streams from another host. It
    /// passes the same URL gate as the instance (scheme, credentials, localhost names) before any connection is made.
    /// </summary>
    internal static Uri StreamingBase(ChannelAccount account, Uri instance)
    {
        if (!Uri.TryCreate(account.Setting("streaming_url"), UriKind.Absolute, out var url))
            return instance;
        if (url.Scheme is not ("http" or "https"))
            throw new ConnectorException("streaming URL refused: it must be an http or https URL");
        if (SafeConnect.CheckUrl(url) is { } refusal)
            throw new ConnectorException($"streaming URL refused: {refusal}");
        return url;
    }

    internal static IReadOnlyList<string> Timelines(ChannelAccount account)
    {
        var list = ChannelAccountRules.List(account.Settings, "timelines").Where(ChannelAccountRules.IsTimeline).Distinct().ToList();
        return list.Count == 0 ? ["notifications"] : list;
    }

    /// <summary>Status ids are local to an instance, so the channel names it.</summary>
    internal static string Channel(Uri instance) => Posts.Channels.Normalize("mastodon:" + instance.Authority);

    internal static Dictionary<string, string> ReadCursor(string? json)
    {
        if (string.IsNullOrEmpty(json))
            return [];
        try
        {
            return JsonSerializer.Deserialize<Dictionary<string, string>>(json) ?? [];
        }
        catch (JsonException)
        {
            return [];
        }
    }

    /// <summary>Lines of a text stream (\n, \r\n or \r), each capped so a server cannot grow one without bound.</summary>
    private sealed class LineReader(StreamReader reader, int maxChars)
    {
        private readonly char[] _buffer = new char[8192];
        private readonly StringBuilder _line = new();
        private int _pos;
        private int _len;
        private bool _skipLf;

        public async Task<string?> ReadLineAsync(CancellationToken ct)
        {
            while (true)
            {
                if (_pos == _len)
                {
                    _len = await reader.ReadAsync(_buffer.AsMemory(), ct);
                    _pos = 0;
                    if (_len == 0)
                        return null;
                }
                while (_pos < _len)
                {
                    var ch = _buffer[_pos++];
                    if (_skipLf)
                    {
                        _skipLf = false;
                        if (ch == '\n')
                            continue;
                    }
                    if (ch is '\n' or '\r')
                    {
                        _skipLf = ch == '\r';
                        var line = _line.ToString();
                        _line.Clear();
                        return line;
                    }
                    if (_line.Length >= maxChars)
                        throw new ConnectorException($"a streaming line longer than {maxChars} characters");
                    _line.Append(ch);
                }
            }
        }
    }
}
