using System.Text;
using System.Text.Json;

namespace Switchboard.Channels.Mastodon;

internal enum MastodonStreamEventKind
{
    /// <summary>update: a new status.</summary>
    Update,
    /// <summary>status.update: an edit; replaces the stored text of the same id.</summary>
    StatusUpdate,
    /// <summary>delete: payload is the deleted status id.</summary>
    Delete,
    Notification,
    /// <summary>filters_changed, announcements, conversations…: nothing Switchboard stores.</summary>
    Other,
}

internal sealed record MastodonStreamEvent(
    MastodonStreamEventKind Kind,
    string EventName,
    IReadOnlyList<string> Streams,
    MastodonStatus? Status = null,
    MastodonNotification? Notification = null,
    string? DeletedId = null);

/// <summary>One server-sent event after framing: the <c>event:</c> name and the joined <c>data:</c> lines.</summary>
internal sealed record SseMessage(string? Event, string Data, string? Id);

/// <summary>
/// Server-sent events framing (HTML living standard §9.2): feed it lines as they arrive; a blank line dispatches the
/// message. Comment lines (":thump" heartbeats) are skipped; several data lines join with "\n". The data buffer is
/// capped so a hostile server cannot grow it without bound.
/// </summary>
internal sealed class SseFrameParser(int maxDataChars = 1_000_000)
{
    private readonly StringBuilder _data = new();
    private string? _event;
    private string? _id;
    private bool _hasData;
    private bool _overflow;

    /// <summary>The message completed by this line, if any. Lines arrive without their line terminator.</summary>
    public SseMessage? AcceptLine(string line)
    {
        if (line.Length == 0)
            return Dispatch();
        if (line[0] == ':')
            return null;
        var colon = line.IndexOf(':', StringComparison.Ordinal);
        var field = colon < 0 ? line : line[..colon];
        var value = colon < 0 ? "" : line[(colon + 1)..];
        if (value.StartsWith(' '))
            value = value[1..];
        switch (field)
        {
            case "event":
                _event = value;
                break;
            case "data":
                if (_data.Length + value.Length + 1 > maxDataChars)
                {
                    _overflow = true;
                    break;
                }
                if (_hasData)
                    _data.Append('\n');
                _data.Append(value);
                _hasData = true;
                break;
            case "id" when !value.Contains('\0', StringComparison.Ordinal):
                _id = value;
                break;
        }
        return null;
    }

    private SseMessage? Dispatch()
    {
        SseMessage? message = _hasData && !_overflow ? new SseMessage(_event, _data.ToString(), _id) : null;
        _data.Clear();
        _event = null;
        _hasData = false;
        _overflow = false;
        return message;
    }
}

/// <summary>Turns Mastodon streaming messages (SSE or WebSocket) into typed events.</summary>
internal static class MastodonStreaming
{
    /// <summary>An SSE message from <c>/api/v1/streaming/...</c>: the data is the payload itself (JSON, or an id for delete).</summary>
    public static MastodonResult<MastodonStreamEvent> FromSse(SseMessage message, IReadOnlyList<string>? streams = null) =>
        Decode(message.Event ?? "message", message.Data, streams ?? []);

    /// <summary>
    /// A WebSocket text message: <c>{"stream":["public"],"event":"update","payload":"{\"id\":…}"}</c>. The payload is
    /// a JSON document encoded as a JSON string, so it is decoded twice; for delete it is the bare id.
    /// </summary>
    public static MastodonResult<MastodonStreamEvent> FromWebSocket(ReadOnlySpan<byte> message)
    {
        var envelope = MastodonJson.Parse(message, ReadEnvelope);
        return envelope.Ok
            ? Decode(envelope.Value!.Event, envelope.Value.Payload, envelope.Value.Streams)
            : MastodonResult<MastodonStreamEvent>.Fail(envelope.Error!);
    }

    private sealed record Envelope(string Event, string? Payload, IReadOnlyList<string> Streams);

    private static Envelope ReadEnvelope(JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException("a streaming message must be a JSON object");
        if (e.TryGetProperty("error", out var error))
            throw new InvalidDataException("server error: " + (error.ValueKind == JsonValueKind.String ? error.GetString() : error.GetRawText()));
        var name = e.TryGetProperty("event", out var ev) && ev.ValueKind == JsonValueKind.String ? ev.GetString()! : throw new InvalidDataException("message without an event");
        string? payload = e.TryGetProperty("payload", out var p) ? p.ValueKind switch
        {
            JsonValueKind.String => p.GetString(),
            JsonValueKind.Null => null,
            _ => p.GetRawText(), // tolerate servers that embed the object directly
        } : null;
        var streams = e.TryGetProperty("stream", out var s) && s.ValueKind == JsonValueKind.Array
            ? s.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString()!).ToList()
            : [];
        return new Envelope(name, payload, streams);
    }

    private static MastodonResult<MastodonStreamEvent> Decode(string name, string? payload, IReadOnlyList<string> streams)
    {
        switch (name)
        {
            case "update" or "status.update":
                var status = MastodonJson.ParseStatus(Encoding.UTF8.GetBytes(payload ?? ""));
                return status.Ok
                    ? new(new MastodonStreamEvent(name == "update" ? MastodonStreamEventKind.Update : MastodonStreamEventKind.StatusUpdate, name, streams, Status: status.Value), null)
                    : MastodonResult<MastodonStreamEvent>.Fail($"{name}: {status.Error}");
            case "notification":
                var notification = MastodonJson.ParseNotification(Encoding.UTF8.GetBytes(payload ?? ""));
                return notification.Ok
                    ? new(new MastodonStreamEvent(MastodonStreamEventKind.Notification, name, streams, Notification: notification.Value), null)
                    : MastodonResult<MastodonStreamEvent>.Fail($"{name}: {notification.Error}");
            case "delete":
                var id = payload?.Trim().Trim('"');
                return string.IsNullOrEmpty(id) || id.Length > 64
                    ? MastodonResult<MastodonStreamEvent>.Fail("delete without a status id")
                    : new(new MastodonStreamEvent(MastodonStreamEventKind.Delete, name, streams, DeletedId: id), null);
            default:
                return new(new MastodonStreamEvent(MastodonStreamEventKind.Other, name, streams), null);
        }
    }
}
