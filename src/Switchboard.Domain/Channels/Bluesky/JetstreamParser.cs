using System.Globalization;
using System.Text.Json;

namespace Switchboard.Channels.Bluesky;

/// <summary>
/// Parses Jetstream JSON events (one WebSocket text message each) with <see cref="Utf8JsonReader"/>. The fast path
/// matters: the full firehose is about 2,000 events/s and most are likes/follows, so the collection is read before the
/// record and records of other collections are skipped without allocating. Malformed input is an error value, never
/// an exception.
/// </summary>
internal static class JetstreamParser
{
    public const string PostCollection = "app.bsky.feed.post";
    private const int MaxTextLength = 64 * 1024; // Bluesky limits posts to 300 graphemes; anything this big is hostile

    private static readonly JsonReaderOptions Options = new() { MaxDepth = 64, CommentHandling = JsonCommentHandling.Disallow };

    public static JetstreamParseResult Parse(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, Options);
        try
        {
            return ParseEvent(ref reader);
        }
        catch (JsonException ex)
        {
            return new(null, "invalid JSON: " + ex.Message, reader.BytesConsumed);
        }
        catch (InvalidOperationException ex)
        {
            // Thrown by Get* on a token of the wrong type or on invalid UTF-8 inside a string.
            return new(null, "invalid event: " + ex.Message, reader.BytesConsumed);
        }
        catch (FormatException ex)
        {
            return new(null, "invalid value: " + ex.Message, reader.BytesConsumed);
        }
    }

    private static JetstreamParseResult ParseEvent(ref Utf8JsonReader reader)
    {
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            return Fail(ref reader, "an event must be a JSON object");
        string? did = null, kind = null;
        long timeUs = -1;
        Commit commit = default;
        bool hasCommit = false;
        string? handle = null, status = null;
        bool? active = null;
        while (Next(ref reader) == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("did"u8))
                did = ReadString(ref reader);
            else if (reader.ValueTextEquals("time_us"u8))
            {
                reader.Read();
                timeUs = reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var t) ? t : -1;
            }
            else if (reader.ValueTextEquals("kind"u8))
                kind = ReadString(ref reader);
            else if (reader.ValueTextEquals("commit"u8))
            {
                hasCommit = true;
                commit = ReadCommit(ref reader);
            }
            else if (reader.ValueTextEquals("identity"u8) || reader.ValueTextEquals("account"u8))
                ReadIdentityOrAccount(ref reader, ref handle, ref active, ref status);
            else
                SkipValue(ref reader);
        }
        if (reader.TokenType != JsonTokenType.EndObject || reader.CurrentDepth != 0)
            return Fail(ref reader, "unexpected token");
        if (reader.Read())
            return Fail(ref reader, "trailing data after the event");
        if (did is null || !did.StartsWith("did:", StringComparison.Ordinal))
            return Fail(ref reader, "missing or invalid \"did\"");
        if (timeUs <= 0)
            return Fail(ref reader, "missing or invalid \"time_us\"");

        switch (kind)
        {
            case "identity":
                return new(new JetstreamEvent(JetstreamEventKind.Identity, did, timeUs, Handle: handle), null);
            case "account":
                return new(new JetstreamEvent(JetstreamEventKind.Account, did, timeUs, Active: active, Status: status), null);
            case "commit" when hasCommit:
                return CommitEvent(ref reader, did, timeUs, commit);
            case "commit":
                return Fail(ref reader, "commit event without a \"commit\" object");
            default:
                return new(new JetstreamEvent(JetstreamEventKind.Ignored, did, timeUs), null);
        }
    }

    private static JetstreamParseResult CommitEvent(ref Utf8JsonReader reader, string did, long timeUs, Commit c)
    {
        if (c.Collection != PostCollection)
            return new(new JetstreamEvent(JetstreamEventKind.Ignored, did, timeUs, c.Collection, c.Rkey, c.Cid), null);
        if (string.IsNullOrEmpty(c.Rkey) || c.Operation is null)
            return Fail(ref reader, "post commit without rkey or operation");
        var uri = $"at://{did}/{PostCollection}/{c.Rkey}";
        switch (c.Operation)
        {
            case "delete":
                return new(new JetstreamEvent(JetstreamEventKind.PostDeleted, did, timeUs, c.Collection, c.Rkey), null);
            case "create" or "update":
                if (!c.HasRecord)
                    return Fail(ref reader, "post create/update without a record");
                var post = new BlueskyPost(uri, did, c.Rkey, c.Text ?? "", c.CreatedAt, c.Langs ?? [], c.ReplyRoot, c.ReplyParent, c.Cid, c.ReplyRootCid);
                var kind = c.Operation == "create" ? JetstreamEventKind.PostCreated : JetstreamEventKind.PostUpdated;
                return new(new JetstreamEvent(kind, did, timeUs, c.Collection, c.Rkey, c.Cid, post), null);
            default:
                return Fail(ref reader, $"unknown commit operation '{c.Operation}'");
        }
    }

    private struct Commit
    {
        public string? Operation, Collection, Rkey, Cid, Text, ReplyRoot, ReplyParent, ReplyRootCid;
        public DateTimeOffset? CreatedAt;
        public List<string>? Langs;
        public bool HasRecord;
    }

    private static Commit ReadCommit(ref Utf8JsonReader reader)
    {
        var c = default(Commit);
        if (Next(ref reader) != JsonTokenType.StartObject)
            throw new JsonException("\"commit\" must be an object");
        while (Next(ref reader) == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("operation"u8))
                c.Operation = ReadString(ref reader);
            else if (reader.ValueTextEquals("collection"u8))
                c.Collection = ReadString(ref reader);
            else if (reader.ValueTextEquals("rkey"u8))
                c.Rkey = ReadString(ref reader);
            else if (reader.ValueTextEquals("cid"u8))
                c.Cid = ReadString(ref reader);
            else if (reader.ValueTextEquals("record"u8))
            {
                // Jetstream writes the collection before the record; when it is not a post the record is skipped
                // unread (the fast path). A record seen before its collection is read in case it turns out to be a post.
                if (c.Collection is not null && c.Collection != PostCollection)
                    SkipValue(ref reader);
                else
                    ReadPostRecord(ref reader, ref c);
            }
            else
                SkipValue(ref reader);
        }
        return c;
    }

    private static void ReadPostRecord(ref Utf8JsonReader reader, ref Commit c)
    {
        if (Next(ref reader) != JsonTokenType.StartObject)
            throw new JsonException("\"record\" must be an object");
        c.HasRecord = true;
        while (Next(ref reader) == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("text"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.String)
                    throw new JsonException("\"text\" must be a string");
                if (reader.ValueSpan.Length > MaxTextLength * 6)
                    throw new JsonException("\"text\" is too long");
                c.Text = reader.GetString();
            }
            else if (reader.ValueTextEquals("createdAt"u8))
            {
                var text = ReadString(ref reader);
                c.CreatedAt = DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at) ? at : null;
            }
            else if (reader.ValueTextEquals("langs"u8))
            {
                if (Next(ref reader) != JsonTokenType.StartArray)
                {
                    reader.Skip();
                    continue;
                }
                c.Langs = [];
                while (Next(ref reader) != JsonTokenType.EndArray)
                {
                    if (reader.TokenType == JsonTokenType.String && c.Langs.Count < 8)
                        c.Langs.Add(reader.GetString()!);
                    else
                        reader.Skip();
                }
            }
            else if (reader.ValueTextEquals("reply"u8))
                ReadReply(ref reader, ref c);
            else
                SkipValue(ref reader);
        }
    }

    private static void ReadReply(ref Utf8JsonReader reader, ref Commit c)
    {
        if (Next(ref reader) != JsonTokenType.StartObject)
        {
            reader.Skip();
            return;
        }
        while (Next(ref reader) == JsonTokenType.PropertyName)
        {
            bool root = reader.ValueTextEquals("root"u8), parent = reader.ValueTextEquals("parent"u8);
            if (!root && !parent)
            {
                SkipValue(ref reader);
                continue;
            }
            string? uri = null, cid = null;
            if (Next(ref reader) != JsonTokenType.StartObject)
            {
                reader.Skip();
                continue;
            }
            while (Next(ref reader) == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("uri"u8))
                    uri = ReadString(ref reader);
                else if (reader.ValueTextEquals("cid"u8))
                    cid = ReadString(ref reader);
                else
                    SkipValue(ref reader);
            }
            if (uri is not null && !uri.StartsWith("at://", StringComparison.Ordinal))
                uri = null; // a reply reference must be an at:// URI; anything else is not threaded
            if (root)
            {
                c.ReplyRoot = uri;
                c.ReplyRootCid = uri is null ? null : cid;
            }
            else
                c.ReplyParent = uri;
        }
    }

    private static void ReadIdentityOrAccount(ref Utf8JsonReader reader, ref string? handle, ref bool? active, ref string? status)
    {
        if (Next(ref reader) != JsonTokenType.StartObject)
        {
            reader.Skip();
            return;
        }
        while (Next(ref reader) == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("handle"u8))
                handle = ReadString(ref reader);
            else if (reader.ValueTextEquals("active"u8))
            {
                reader.Read();
                active = reader.TokenType switch { JsonTokenType.True => true, JsonTokenType.False => false, _ => null };
            }
            else if (reader.ValueTextEquals("status"u8))
                status = ReadString(ref reader);
            else
                SkipValue(ref reader);
        }
    }

    private static JsonTokenType Next(ref Utf8JsonReader reader)
    {
        if (!reader.Read())
            throw new JsonException("unexpected end of data");
        return reader.TokenType;
    }

    /// <summary>Reads a string value; null (JSON null or a non-string) when it is not one.</summary>
    private static string? ReadString(ref Utf8JsonReader reader)
    {
        Next(ref reader);
        if (reader.TokenType == JsonTokenType.String)
            return reader.GetString();
        reader.Skip();
        return null;
    }

    private static void SkipValue(ref Utf8JsonReader reader)
    {
        Next(ref reader);
        if (!reader.TrySkip())
            throw new JsonException("unexpected end of data");
    }

    private static JetstreamParseResult Fail(ref Utf8JsonReader reader, string reason) => new(null, reason, reader.BytesConsumed);
}
