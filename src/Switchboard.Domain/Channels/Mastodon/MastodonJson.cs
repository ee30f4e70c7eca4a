using System.Globalization;
using System.Text.Json;

namespace Switchboard.Channels.Mastodon;

/// <summary>Outcome of reading a Mastodon payload: exactly one of Value/Error is set.</summary>
internal readonly record struct MastodonResult<T>(T? Value, string? Error) where T : class
{
    public bool Ok => Value is not null;
    public static MastodonResult<T> Fail(string error) => new(null, error);
}

/// <summary>
/// Reads Mastodon REST entities (Status, Notification, arrays of them). Unknown fields are ignored, missing optional
/// ones are null; a missing id/account or a wrong JSON type is an error value, never an exception.
/// </summary>
internal static class MastodonJson
{
    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 64 };

    public static MastodonResult<MastodonStatus> ParseStatus(ReadOnlySpan<byte> json) => Parse(json, ReadStatus);

    public static MastodonResult<MastodonNotification> ParseNotification(ReadOnlySpan<byte> json) => Parse(json, ReadNotification);

    public static MastodonResult<List<MastodonStatus>> ParseStatuses(ReadOnlySpan<byte> json) => Parse(json, e => ReadArray(e, ReadStatus));

    public static MastodonResult<List<MastodonNotification>> ParseNotifications(ReadOnlySpan<byte> json) => Parse(json, e => ReadArray(e, ReadNotification));

    internal static MastodonResult<T> Parse<T>(ReadOnlySpan<byte> json, Func<JsonElement, T> read) where T : class
    {
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = Options.MaxDepth });
            using var document = JsonDocument.ParseValue(ref reader);
            return new MastodonResult<T>(read(document.RootElement), null);
        }
        catch (JsonException ex)
        {
            return MastodonResult<T>.Fail("invalid JSON: " + ex.Message);
        }
        catch (InvalidDataException ex)
        {
            return MastodonResult<T>.Fail(ex.Message);
        }
        catch (InvalidOperationException ex)
        {
            return MastodonResult<T>.Fail("invalid value: " + ex.Message);
        }
    }

    private static List<T> ReadArray<T>(JsonElement element, Func<JsonElement, T> read)
    {
        if (element.ValueKind != JsonValueKind.Array)
            throw new InvalidDataException("expected a JSON array");
        return element.EnumerateArray().Select(read).ToList();
    }

    internal static MastodonStatus ReadStatus(JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException("a status must be a JSON object");
        var id = Str(e, "id") ?? throw new InvalidDataException("status without an id");
        var account = e.TryGetProperty("account", out var a) && a.ValueKind == JsonValueKind.Object
            ? ReadAccount(a)
            : throw new InvalidDataException($"status {id} without an account");
        MastodonStatus? reblog = e.TryGetProperty("reblog", out var r) && r.ValueKind == JsonValueKind.Object ? ReadStatus(r) : null;
        return new MastodonStatus(
            id, Str(e, "uri"), Str(e, "url"), Date(e, "created_at"), Date(e, "edited_at"), Str(e, "in_reply_to_id"),
            Str(e, "language"), Str(e, "visibility") ?? "public", Str(e, "spoiler_text") ?? "", Str(e, "content") ?? "", account, reblog);
    }

    internal static MastodonNotification ReadNotification(JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException("a notification must be a JSON object");
        var id = Str(e, "id") ?? throw new InvalidDataException("notification without an id");
        var type = Str(e, "type") ?? throw new InvalidDataException($"notification {id} without a type");
        var account = e.TryGetProperty("account", out var a) && a.ValueKind == JsonValueKind.Object ? ReadAccount(a) : null;
        var status = e.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.Object ? ReadStatus(s) : null;
        return new MastodonNotification(id, type, Date(e, "created_at"), account, status);
    }

    private static MastodonAccount ReadAccount(JsonElement e)
    {
        var id = Str(e, "id") ?? throw new InvalidDataException("account without an id");
        long? followers = e.TryGetProperty("followers_count", out var f) && f.ValueKind == JsonValueKind.Number && f.TryGetInt64(out var n) ? n : null;
        var bot = e.TryGetProperty("bot", out var b) && b.ValueKind == JsonValueKind.True;
        return new MastodonAccount(id, Str(e, "username") ?? "", Str(e, "acct") ?? Str(e, "username") ?? "", Str(e, "display_name"), Str(e, "url"), followers, bot);
    }

    /// <summary>A string property; ids sent as numbers by some servers are accepted as their text.</summary>
    private static string? Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) ? v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Number => v.GetRawText(),
            _ => null,
        } : null;

    private static DateTimeOffset? Date(JsonElement e, string name) =>
        Str(e, name) is { } text && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var d) ? d : null;
}
