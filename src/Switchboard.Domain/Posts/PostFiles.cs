using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Switchboard.Posts;

/// <summary>How to read a post file. <see cref="TextColumn"/> names the text column of a generic CSV.</summary>
public sealed record PostReadOptions(string? TextColumn = null, string? IdColumn = null, string DefaultChannel = "import");

/// <summary>
/// One record of a post file. <see cref="Line"/> is the 1-based physical line where it starts. Exactly one of
/// <see cref="Post"/> and <see cref="Error"/> is set. <see cref="Fields"/> holds every CSV column (header → raw
/// value) or every top-level JSON scalar (name → string), so commands can read label columns from either format.
/// </summary>
public sealed record PostRecord(long Line, Post? Post, string? Error, IReadOnlyDictionary<string, string> Fields);

/// <summary>The shapes of post file Switchboard reads.</summary>
public enum PostFileFormat
{
    /// <summary>The Switchboard post format: one JSON object a line (docs/post-format.md).</summary>
    Jsonl,

    /// <summary>The airline tweets CSV (tweet_id, airline_sentiment, …, text, tweet_created).</summary>
    AirlineCsv,

    /// <summary>Customer Support on Twitter (tweet_id, author_id, inbound, created_at, text, …).</summary>
    TwcsCsv,

    /// <summary>Any other CSV with a header row: a text column is required, the others optional.</summary>
    GenericCsv,
}

/// <summary>
/// Reads posts from JSONL or CSV, streaming, one record at a time, so files of any size import in constant memory.
/// A bad record becomes a <see cref="PostRecord"/> with an error and its line; reading goes on after it.
/// </summary>
public static class PostFiles
{
    /// <summary>A line longer than this is refused rather than buffered: no post is anywhere near it.</summary>
    public const int MaxLineLength = 1 << 20;

    /// <summary>Texts longer than this are refused: the longest social post formats are a few thousand characters.</summary>
    public const int MaxTextLength = 100_000;

    private static readonly Dictionary<string, string> NoFields = [];

    /// <summary>Reads every record of a post file, detecting its format from the first line.</summary>
    public static IEnumerable<PostRecord> Read(TextReader reader, PostReadOptions? options = null)
    {
        options ??= new PostReadOptions();
        var peek = new PeekReader(reader);
        return IsJsonStart(peek.PeekFirstNonBlank()) ? ReadJsonl(peek, options) : ReadCsv(peek, options);
    }

    /// <summary>Whether <see cref="Read"/> would take this file for JSONL (its first non-blank character opens a JSON
    /// value); for callers that must know before reading, such as an import deciding when a missing field is an error.</summary>
    public static bool IsJsonl(TextReader reader) => IsJsonStart(new PeekReader(reader).PeekFirstNonBlank());

    private static bool IsJsonStart(int first) => first is '{' or '[';

    /// <summary>Reads the Switchboard post format: one JSON object a line; blank lines are skipped.</summary>
    public static IEnumerable<PostRecord> ReadJsonl(TextReader reader, PostReadOptions? options = null)
    {
        options ??= new PostReadOptions();
        var line = 0L;
        var buffer = new StringBuilder();
        while (true)
        {
            line++;
            var status = ReadBoundedLine(reader, buffer);
            if (status == LineStatus.End)
            {
                yield break;
            }

            if (status == LineStatus.TooLong)
            {
                yield return Fail(line, $"line {line}: longer than {MaxLineLength} characters");
                continue;
            }

            var text = line == 1 ? buffer.ToString().TrimStart('\uFEFF') : buffer.ToString();
            if (string.IsNullOrWhiteSpace(text))
            {
                continue;
            }

            yield return ParseJsonLine(text, line, options);
        }
    }

    /// <summary>Parses one line of the Switchboard post format.</summary>
    public static PostRecord ParseJsonLine(string json, long line, PostReadOptions? options = null)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException ex)
        {
            var column = ex.BytePositionInLine is { } b ? $", column {CharacterColumn(json, b)}" : "";
            return Fail(line, $"line {line}{column}: invalid JSON: {FirstSentence(ex.Message)}");
        }

        using (doc)
        {
            try
            {
                return FromJson(doc.RootElement, line);
            }
            catch (InvalidOperationException)
            {
                // JsonDocument accepts an escaped lone surrogate ("\ud83d") but cannot turn it into a string.
                return Fail(line, $"line {line}: a string is not valid Unicode (an unpaired surrogate escape such as \\ud83d)");
            }
        }
    }

    /// <summary>Turns one JSON object in the Switchboard post format into a post, or explains why it cannot.</summary>
    public static PostRecord FromJson(JsonElement root, long line)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return Fail(line, $"line {line}: expected a JSON object, found {Describe(root.ValueKind)}");
        }

        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in root.EnumerateObject())
        {
            if (p.Value.ValueKind is JsonValueKind.String)
            {
                fields[p.Name] = p.Value.GetString()!;
            }
            else if (p.Value.ValueKind is JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False)
            {
                fields[p.Name] = p.Value.GetRawText();
            }
        }

        string? error = null;
        var id = IdString(root, "id", line, required: true, ref error);
        var channel = String(root, "channel", line, required: true, ref error);
        var text = String(root, "text", line, required: true, ref error);
        var createdAt = Timestamp(root, "created_at", line, ref error);
        var lang = String(root, "lang", line, required: false, ref error);
        var url = String(root, "url", line, required: false, ref error);
        var inReplyTo = IdString(root, "in_reply_to", line, required: false, ref error);
        var outgoing = Bool(root, "outgoing", line, ref error) ?? false;
        Author? author = null;
        if (root.TryGetProperty("author", out var a) && a.ValueKind != JsonValueKind.Null)
        {
            if (a.ValueKind != JsonValueKind.Object)
            {
                error ??= $"line {line}: 'author' must be an object, found {Describe(a.ValueKind)}";
            }
            else
            {
                author = new Author(
                    IdString(a, "id", line, required: false, ref error, "author."),
                    String(a, "handle", line, required: false, ref error, "author."),
                    String(a, "name", line, required: false, ref error, "author."),
                    Long(a, "followers", line, ref error, "author."),
                    Bool(a, "verified", line, ref error, "author."));
            }
        }

        if (error is null && string.IsNullOrWhiteSpace(id))
        {
            error = $"line {line}: 'id' must not be empty";
        }

        if (error is null && string.IsNullOrWhiteSpace(channel))
        {
            error = $"line {line}: 'channel' must not be empty";
        }

        if (error is null && channel!.Length > Post.MaxChannelLength)
        {
            error = $"line {line}: 'channel' is longer than {Post.MaxChannelLength} characters";
        }

        if (error is null && text!.Length > MaxTextLength)
        {
            error = $"line {line}: 'text' is longer than {MaxTextLength} characters";
        }

        if (error is not null)
        {
            return new PostRecord(line, null, error, fields);
        }

        var post = new Post(id!, Channels.Normalize(channel!), text!, createdAt, author, lang, url, inReplyTo, outgoing);
        return new PostRecord(line, post, null, fields);
    }

    private static IEnumerable<PostRecord> ReadCsv(TextReader reader, PostReadOptions options)
    {
        var csv = new CsvReader(reader);
        if (!csv.TryRead(out var header, out var headerLine, out var headerError))
        {
            yield break;
        }

        if (headerError is not null)
        {
            yield return Fail(headerLine, headerError);
            yield break;
        }

        var columns = header.Select(h => h.Trim().TrimStart('\uFEFF')).ToArray();
        var index = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < columns.Length; i++)
        {
            index.TryAdd(columns[i], i);
        }

        var format = DetectCsv(index, options);
        var textColumn = options.TextColumn ?? "text";
        if (!index.ContainsKey(textColumn))
        {
            yield return Fail(headerLine,
                $"line {headerLine}: the CSV has no '{textColumn}' column (columns: {string.Join(", ", columns.Where(c => c.Length > 0))})");
            yield break;
        }

        var idColumn = options.IdColumn ?? (index.ContainsKey("tweet_id") ? "tweet_id" : index.ContainsKey("id") ? "id" : null);
        if (options.IdColumn is not null && !index.ContainsKey(options.IdColumn))
        {
            yield return Fail(headerLine, $"line {headerLine}: the CSV has no '{options.IdColumn}' column");
            yield break;
        }

        while (csv.TryRead(out var row, out var line, out var error))
        {
            if (row.Count == 1 && row[0].Length == 0 && error is null)
            {
                continue;
            }

            var fields = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            for (var i = 0; i < Math.Min(row.Count, columns.Length); i++)
            {
                fields.TryAdd(columns[i], row[i]);
            }

            if (error is not null)
            {
                yield return new PostRecord(line, null, error, fields);
                continue;
            }

            if (row.Count != columns.Length)
            {
                yield return new PostRecord(line, null,
                    $"line {line}: expected {columns.Length} fields, found {row.Count}", fields);
                continue;
            }

            yield return format switch
            {
                PostFileFormat.TwcsCsv => FromTwcs(fields, line, textColumn),
                PostFileFormat.AirlineCsv => FromAirline(fields, line, textColumn),
                _ => FromGeneric(fields, line, textColumn, idColumn, options),
            };
        }
    }

    /// <summary>Recognises the two real CSV shapes by their headers; anything else is generic.</summary>
    public static PostFileFormat DetectCsv(IReadOnlyDictionary<string, int> columns, PostReadOptions options)
    {
        if (options.TextColumn is not null && options.TextColumn != "text")
        {
            return PostFileFormat.GenericCsv;
        }

        if (columns.ContainsKey("tweet_id") && columns.ContainsKey("inbound") && columns.ContainsKey("in_response_to_tweet_id"))
        {
            return PostFileFormat.TwcsCsv;
        }

        if (columns.ContainsKey("tweet_id") && columns.ContainsKey("airline_sentiment"))
        {
            return PostFileFormat.AirlineCsv;
        }

        return PostFileFormat.GenericCsv;
    }

    private static PostRecord FromTwcs(Dictionary<string, string> f, long line, string textColumn)
    {
        var id = f["tweet_id"].Trim();
        if (!IsTweetId(id))
        {
            return new PostRecord(line, null, $"line {line}: tweet_id '{Clip(id)}' is not a tweet id", f);
        }

        var inbound = f.GetValueOrDefault("inbound")?.Trim();
        if (!bool.TryParse(inbound, out var isInbound))
        {
            return new PostRecord(line, null, $"line {line}: inbound must be True or False, found '{Clip(inbound)}'", f);
        }

        DateTimeOffset? created = null;
        var createdRaw = f.GetValueOrDefault("created_at")?.Trim();
        if (!string.IsNullOrEmpty(createdRaw))
        {
            if (!DateTimeOffset.TryParseExact(createdRaw, "ddd MMM dd HH:mm:ss zzz yyyy", CultureInfo.InvariantCulture,
                    DateTimeStyles.None, out var c))
            {
                return new PostRecord(line, null, $"line {line}: created_at '{Clip(createdRaw)}' is not a Twitter date", f);
            }

            created = c.ToUniversalTime();
        }

        // The reply link is stored as a float ("3.0") by the pandas export the dataset came from.
        string? parent = null;
        var parentRaw = f.GetValueOrDefault("in_response_to_tweet_id")?.Trim();
        if (!string.IsNullOrEmpty(parentRaw))
        {
            parent = parentRaw.EndsWith(".0", StringComparison.Ordinal) ? parentRaw[..^2] : parentRaw;
            if (!IsTweetId(parent))
            {
                return new PostRecord(line, null, $"line {line}: in_response_to_tweet_id '{Clip(parentRaw)}' is not a tweet id", f);
            }
        }

        var authorId = f.GetValueOrDefault("author_id")?.Trim();
        var text = WebUtility.HtmlDecode(f[textColumn]);
        if (text.Length > MaxTextLength)
        {
            return new PostRecord(line, null, $"line {line}: text is longer than {MaxTextLength} characters", f);
        }

        var author = new Author(authorId, authorId, null);
        return new PostRecord(line, new Post(id, "twitter", text, created, author, null, null, parent, Outgoing: !isInbound), null, f);
    }

    private static PostRecord FromAirline(Dictionary<string, string> f, long line, string textColumn)
    {
        var id = f["tweet_id"].Trim();
        if (!IsTweetId(id))
        {
            return new PostRecord(line, null, $"line {line}: tweet_id '{Clip(id)}' is not a tweet id", f);
        }

        DateTimeOffset? created = null;
        var createdRaw = f.GetValueOrDefault("tweet_created")?.Trim();
        if (!string.IsNullOrEmpty(createdRaw))
        {
            if (!DateTimeOffset.TryParseExact(createdRaw, "yyyy-MM-dd HH:mm:ss zzz", CultureInfo.InvariantCulture,
                    DateTimeStyles.None, out var c))
            {
                return new PostRecord(line, null, $"line {line}: tweet_created '{Clip(createdRaw)}' is not a date", f);
            }

            created = c.ToUniversalTime();
        }

        var name = f.GetValueOrDefault("name")?.Trim();
        var text = WebUtility.HtmlDecode(f[textColumn]);
        if (text.Length > MaxTextLength)
        {
            return new PostRecord(line, null, $"line {line}: text is longer than {MaxTextLength} characters", f);
        }

        var author = string.IsNullOrEmpty(name) ? null : new Author(name, name, name);
        return new PostRecord(line, new Post(id, "twitter", text, created, author, "en"), null, f);
    }

    private static PostRecord FromGeneric(Dictionary<string, string> f, long line, string textColumn, string? idColumn, PostReadOptions options)
    {
        // Without an id column the line number is the id: stable for the same file, so re-imports stay idempotent.
        var id = idColumn is null ? line.ToString(CultureInfo.InvariantCulture) : f.GetValueOrDefault(idColumn)?.Trim();
        if (string.IsNullOrEmpty(id))
        {
            return new PostRecord(line, null, $"line {line}: the id column '{idColumn}' is empty", f);
        }

        var text = f[textColumn];
        if (text.Length > MaxTextLength)
        {
            return new PostRecord(line, null, $"line {line}: text is longer than {MaxTextLength} characters", f);
        }

        var channel = f.TryGetValue("channel", out var ch) && !string.IsNullOrWhiteSpace(ch) ? Channels.Normalize(ch) : options.DefaultChannel;
        DateTimeOffset? created = null;
        if (f.TryGetValue("created_at", out var createdRaw) && !string.IsNullOrWhiteSpace(createdRaw))
        {
            if (!DateTimeOffset.TryParse(createdRaw, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var c))
            {
                return new PostRecord(line, null, $"line {line}: created_at '{Clip(createdRaw)}' is not a date", f);
            }

            created = c.ToUniversalTime();
        }

        var handle = f.GetValueOrDefault("author") ?? f.GetValueOrDefault("handle");
        var author = string.IsNullOrWhiteSpace(handle) ? null : new Author(handle, handle, null);
        var inReplyTo = f.GetValueOrDefault("in_reply_to");
        return new PostRecord(line, new Post(id, channel, text, created, author, f.GetValueOrDefault("lang"),
            f.GetValueOrDefault("url"), string.IsNullOrWhiteSpace(inReplyTo) ? null : inReplyTo), null, f);
    }

    private static bool IsTweetId(string s) => s.Length is > 0 and <= 32 && s.All(char.IsAsciiDigit);

    private static string? String(JsonElement o, string name, long line, bool required, ref string? error, string prefix = "")
    {
        if (!o.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            if (required)
            {
                error ??= $"line {line}: '{prefix}{name}' is required";
            }

            return null;
        }

        if (v.ValueKind != JsonValueKind.String)
        {
            error ??= $"line {line}: '{prefix}{name}' must be a string, found {Describe(v.ValueKind)}";
            return null;
        }

        return v.GetString();
    }

    /// <summary>Ids are strings, but many exports write numeric ids as numbers: accept integral numbers too.</summary>
    private static string? IdString(JsonElement o, string name, long line, bool required, ref string? error, string prefix = "")
    {
        if (o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number)
        {
            var raw = v.GetRawText();
            if (raw.All(char.IsAsciiDigit) && raw.Length <= 32)
            {
                return raw;
            }

            error ??= $"line {line}: '{prefix}{name}' must be a string or a whole number, found {Clip(raw)}";
            return null;
        }

        var s = String(o, name, line, required, ref error, prefix);
        if (s is { Length: > 512 })
        {
            error ??= $"line {line}: '{prefix}{name}' is longer than 512 characters";
            return null;
        }

        return s;
    }

    private static long? Long(JsonElement o, string name, long line, ref string? error, string prefix = "")
    {
        if (!o.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt64(out var n) || n < 0)
        {
            error ??= $"line {line}: '{prefix}{name}' must be a whole number ≥ 0, found {Clip(v.GetRawText())}";
            return null;
        }

        return n;
    }

    private static bool? Bool(JsonElement o, string name, long line, ref string? error, string prefix = "")
    {
        if (!o.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (v.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
        {
            error ??= $"line {line}: '{prefix}{name}' must be true or false, found {Clip(v.GetRawText())}";
            return null;
        }

        return v.GetBoolean();
    }

    private static DateTimeOffset? Timestamp(JsonElement o, string name, long line, ref string? error)
    {
        var s = String(o, name, line, required: false, ref error);
        if (s is null)
        {
            return null;
        }

        if (!DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t))
        {
            error ??= $"line {line}: '{name}' must be an ISO-8601 timestamp such as 2026-11-22T10:00:00Z, found '{Clip(s)}'";
            return null;
        }

        return t.ToUniversalTime();
    }

    private static PostRecord Fail(long line, string error) => new(line, null, error, NoFields);

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };

    /// <summary>
    /// The 1-based column, in characters (code points), of a UTF-8 byte offset into <paramref name="line"/>: the JSON
    /// reader counts bytes, so on a line with "é" or an emoji its position would point past the real spot. Only
    /// called for a line that failed to parse.
    /// </summary>
    internal static long CharacterColumn(string line, long byteOffset)
    {
        var bytes = Encoding.UTF8.GetBytes(line);
        var upto = (int)Math.Clamp(byteOffset, 0, bytes.Length);
        return Encoding.UTF8.GetString(bytes, 0, upto).EnumerateRunes().LongCount() + 1;
    }

    private static string Clip(string? s) => s is null ? "" : s.Length <= 40 ? s : s[..40] + "…";

    // System.Text.Json appends where it stopped (" Path: $ | LineNumber: 0 | BytePositionInLine: 1."), counted within
    // the one line it was given, so its LineNumber is always 0; the caller already says line and column.
    private static string FirstSentence(string message)
    {
        foreach (var marker in (ReadOnlySpan<string>)[" Path:", " LineNumber:"])
        {
            var cut = message.IndexOf(marker, StringComparison.Ordinal);
            if (cut > 0)
            {
                message = message[..cut];
            }
        }

        return message;
    }

    private enum LineStatus { Ok, TooLong, End }

    private static LineStatus ReadBoundedLine(TextReader reader, StringBuilder buffer)
    {
        buffer.Clear();
        var tooLong = false;
        var any = false;
        while (true)
        {
            var c = reader.Read();
            if (c < 0)
            {
                return !any ? LineStatus.End : tooLong ? LineStatus.TooLong : LineStatus.Ok;
            }

            any = true;
            if (c == '\n')
            {
                return tooLong ? LineStatus.TooLong : LineStatus.Ok;
            }

            if (c == '\r')
            {
                if (reader.Peek() == '\n')
                {
                    reader.Read();
                }

                return tooLong ? LineStatus.TooLong : LineStatus.Ok;
            }

            if (buffer.Length >= MaxLineLength)
            {
                tooLong = true;
                continue;
            }

            buffer.Append((char)c);
        }
    }

    /// <summary>Lets the format be detected from the first non-blank character without consuming it.</summary>
    private sealed class PeekReader(TextReader inner) : TextReader
    {
        private readonly StringBuilder _pending = new();
        private int _pos;

        public int PeekFirstNonBlank()
        {
            while (true)
            {
                var c = inner.Read();
                if (c < 0)
                {
                    return -1;
                }

                _pending.Append((char)c);
                if (!char.IsWhiteSpace((char)c) && c != '\uFEFF')
                {
                    return c;
                }
            }
        }

        public override int Peek() => _pos < _pending.Length ? _pending[_pos] : inner.Peek();

        public override int Read() => _pos < _pending.Length ? _pending[_pos++] : inner.Read();
    }
}
