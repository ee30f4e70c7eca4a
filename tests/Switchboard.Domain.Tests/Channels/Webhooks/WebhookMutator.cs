using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Switchboard.Tests.Channels.Webhooks;

internal enum WebhookProvider { Slack, Meta, Generic }

/// <summary>One mutated body: which provider it is for, what was done to it (for the failure message), the bytes.</summary>
internal sealed record WebhookFuzzCase(WebhookProvider Provider, string Kind, byte[] Body);

/// <summary>
/// Makes hostile webhook bodies from valid ones, the kinds the reliability plan names: truncation, bit flips, deep
/// nesting, huge strings, invalid UTF-8, duplicate keys and 1e999 (with its relatives: integers past Int64, times past
/// year 9999), plus escaped lone surrogates, NUL, a BOM, and values of the wrong type. Mutations are structure-aware
/// where that reaches further: a value or a property is found with the JSON reader on the valid body and replaced or
/// repeated, so most bodies stay parseable up to the spot that matters instead of failing at the first byte.
/// Shared by the in-process parser fuzz (Switchboard.Domain.Tests) and the HTTP fuzz (Switchboard.Tests links this file).
/// </summary>
internal static class WebhookMutator
{
    public static readonly string[] Kinds =
    [
        "truncation", "bit flips", "deep nesting", "huge string", "invalid UTF-8", "duplicate keys", "1e999",
        "hostile string", "wrong type", "stacked",
    ];

    /// <summary>
    /// The random source of case <paramref name="n"/> of a run: derived from the seed and the case number only, so a
    /// case is replayed the same whatever order concurrent workers took the cases in.
    /// </summary>
    public static Random CaseRandom(int seed, int n) => new(unchecked((seed * 1_000_003) ^ (n * 7_919) ^ n));

    /// <param name="maxHuge">The largest "huge string" body to make (the HTTP fuzz passes just past the endpoint's limit).</param>
    public static WebhookFuzzCase Make(WebhookProvider provider, int n, Random random, int maxHuge)
    {
        var body = Encoding.UTF8.GetBytes(BaseBody(provider, n, random));
        var kind = Kinds[random.Next(Kinds.Length)];
        if (kind == "stacked")
        {
            var steps = new List<string>();
            for (var i = random.Next(2, 4); i > 0; i--)
            {
                var step = Kinds[random.Next(Kinds.Length - 1)];
                if (step == "huge string")
                    step = "hostile string"; // one huge body per case is enough
                steps.Add(step);
                body = Mutate(step, body, random, maxHuge);
            }
            return new WebhookFuzzCase(provider, "stacked: " + string.Join(" + ", steps), body);
        }
        return new WebhookFuzzCase(provider, kind, Mutate(kind, body, random, maxHuge));
    }

    /// <summary>A valid body of the provider, with ids made from <paramref name="n"/> so most cases store a new post.</summary>
    public static string BaseBody(WebhookProvider provider, int n, Random random)
    {
        var id = n.ToString(CultureInfo.InvariantCulture);
        var text = "fuzz " + id + " h\u00e9llo \ud83d\ude00 refund?";
        switch (provider)
        {
            case WebhookProvider.Slack:
                if (random.Next(8) == 0)
                    return "{\"token\":\"x\",\"challenge\":\"c" + id + "\",\"type\":\"url_verification\"}";
                var thread = random.Next(3) == 0 ? ",\"thread_ts\":\"1531420000.000100\"" : "";
                var type = random.Next(4) == 0 ? "app_mention" : "message";
                return "{\"token\":\"x\",\"team_id\":\"T1DC2JH3J\",\"api_app_id\":\"A1\",\"type\":\"event_callback\",\"event_id\":\"Ev" + id
                    + "\",\"event_time\":1531420618,\"event\":{\"type\":\"" + type + "\",\"channel\":\"C024BE91L\",\"user\":\"U2CERLKJA\",\"text\":\""
                    + text + "\",\"ts\":\"1531420618." + n.ToString("D6", CultureInfo.InvariantCulture) + "\"" + thread + "},\"authorizations\":[{\"user_id\":\"UBOT\",\"is_bot\":true}]}";
            case WebhookProvider.Meta:
                var facebook = "{\"field\":\"feed\",\"value\":{\"item\":\"comment\",\"verb\":\"add\",\"comment_id\":\"" + id + "_222\",\"post_id\":\"1234567890_999\","
                    + "\"parent_id\":\"1234567890_999\",\"message\":\"" + text + "\",\"created_time\":1700000000,\"from\":{\"id\":\"555\",\"name\":\"Jane Doe\"}}}";
                if (random.Next(3) == 0)
                {
                    var instagram = "{\"field\":\"comments\",\"value\":{\"id\":\"17" + id + "\",\"text\":\"" + text
                        + "\",\"from\":{\"id\":\"999\",\"username\":\"jane\"},\"media\":{\"id\":\"17900000000000000\",\"media_product_type\":\"FEED\"}}}";
                    return "{\"object\":\"instagram\",\"entry\":[{\"id\":\"17841400000000000\",\"time\":1700000000,\"changes\":[" + instagram + "]}]}";
                }
                var reaction = "{\"field\":\"feed\",\"value\":{\"item\":\"reaction\",\"verb\":\"add\",\"reaction_type\":\"like\"}}";
                return "{\"object\":\"page\",\"entry\":[{\"id\":\"1234567890\",\"time\":1700000000,\"changes\":[" + facebook + "," + reaction + "]}]}";
            default:
                string Line(int k) => "{\"id\":\"g-" + id + "-" + k.ToString(CultureInfo.InvariantCulture) + "\",\"channel\":\"forum\",\"text\":\"" + text
                    + "\",\"created_at\":\"2026-11-22T10:00:00Z\",\"author\":{\"id\":42,\"handle\":\"mia\",\"name\":\"Mia\",\"followers\":12,\"verified\":true},"
                    + "\"in_reply_to\":\"g-" + id + "-0\",\"lang\":\"en\",\"url\":\"https://example.com/" + id + "\",\"outgoing\":false}";
                var lines = random.Next(1, 4);
                var newline = random.Next(2) == 0 ? "\n" : "\r\n";
                return string.Join(newline, Enumerable.Range(0, lines).Select(Line));
        }
    }

    public static byte[] Mutate(string kind, byte[] body, Random random, int maxHuge) => kind switch
    {
        "truncation" => body[..random.Next(body.Length)],
        "bit flips" => BitFlips(body, random),
        "deep nesting" => DeepNesting(body, random),
        "huge string" => HugeString(body, random, maxHuge),
        "invalid UTF-8" => InvalidUtf8(body, random),
        "duplicate keys" => DuplicateKey(body, random),
        "1e999" => ReplaceValue(body, random, s => s.IsNumber || random.Next(3) == 0, Numbers),
        "hostile string" => Hostile(body, random),
        "wrong type" => ReplaceValue(body, random, _ => true, ["null", "[]", "{}", "true", "0", "\"x\"", "[1,\"a\",null]", "{\"a\":{}}"]),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a mutation kind"),
    };

    /// <summary>Numbers a parser must not trust: overflow, underflow, past Int64, times outside DateTimeOffset, and non-JSON spellings.</summary>
    private static readonly string[] Numbers =
    [
        "1e999", "-1e999", "1e-999", "1E+999", "99999999999999999999999", "9223372036854775807", "-9223372036854775808",
        "9223372036854775808", "253402300800", "-62135596801", "1.7976931348623157e309", "-0", "0.0000000000000000000001",
        "1e308", "4.9e-325", "NaN", "Infinity", "01", "1.", ".5", "+1", "0x10", "1_000",
    ];

    /// <summary>String contents (already JSON-escaped) that are valid JSON but hostile to whatever reads them.</summary>
    private static readonly string[] HostileStrings =
    [
        "\\ud800", "\\udc00x", "a\\ud83d", "\\u0000", "a\\u0000b", "\\uFEFF", "", " ", "\\u202Eevil", "\\\\", "\\\"",
        "\\u00e9\\ud83d\\ude00", "<script>alert(1)</script>", "' OR 1=1 --", "../../etc/passwd", "%00", "\\r\\n\\t",
        "1531420618.000001", "1e999", "C024BE91L:1", "url_verification", "event_callback",
    ];

    private static byte[] BitFlips(byte[] body, Random random)
    {
        var copy = (byte[])body.Clone();
        for (var i = random.Next(1, 9); i > 0 && copy.Length > 0; i--)
        {
            var at = random.Next(copy.Length);
            copy[at] = random.Next(4) == 0 ? (byte)random.Next(256) : (byte)(copy[at] ^ (1 << random.Next(8)));
        }
        return copy;
    }

    private static readonly int[] Depths = [31, 32, 33, 64, 65, 200, 1_000, 10_000, 100_000];

    private static byte[] DeepNesting(byte[] body, Random random)
    {
        var depth = Depths[random.Next(Depths.Length)];
        var (open, close) = random.Next(3) switch { 0 => ("[", "]"), 1 => ("{\"a\":", "}"), _ => ("{\"event\":", "}") };
        var closed = random.Next(5) != 0; // sometimes the nesting never closes
        var nested = Repeat(open, depth) + "1" + (closed ? Repeat(close, depth) : "");
        var values = Values(body);
        if (values.Count == 0 || random.Next(4) == 0)
            return Encoding.UTF8.GetBytes(Repeat(open, depth) + Encoding.UTF8.GetString(body) + (closed ? Repeat(close, depth) : ""));
        var v = values[random.Next(values.Count)];
        return Splice(body, v.Start, v.End, nested);
    }

    private static byte[] HugeString(byte[] body, Random random, int maxHuge)
    {
        // Mostly big but well under any limit; one in eight just under maxHuge (the HTTP fuzz passes the endpoint's
        // limit plus 1 KiB) and one in eight past it. Megabyte bodies dominate the run time, hence not more of them.
        var size = random.Next(8) switch
        {
            0 => Math.Max(1, maxHuge - 1024 - random.Next(0, 4096)),
            1 => maxHuge,
            _ => random.Next(10_000, Math.Max(10_001, Math.Min(maxHuge / 4, 256 * 1024))),
        };
        var unit = random.Next(4) switch { 0 => "\\u0041", 1 => "\u00e9", 2 => "\\ud83d\\ude00", _ => "a" };
        var content = Repeat(unit, Math.Max(1, (size - body.Length) / Encoding.UTF8.GetByteCount(unit)));
        var values = Values(body).Where(v => v.IsString).ToList();
        if (values.Count == 0)
            return Encoding.UTF8.GetBytes("\"" + content + "\"");
        var v = values[random.Next(values.Count)];
        return Splice(body, v.Start, v.End, "\"" + content + "\"");
    }

    private static readonly byte[][] BadSequences =
    [
        [0xFF], [0xC3, 0x28], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82], [0x80], [0xF0, 0x9F, 0x98],
        [0xFE, 0xFF], [0x00],
    ];

    private static byte[] InvalidUtf8(byte[] body, Random random)
    {
        var bad = BadSequences[random.Next(BadSequences.Length)];
        var strings = Values(body).Where(v => v.IsString).ToList();
        // Inside a string (where a decoder meets it) more often than anywhere.
        var at = strings.Count > 0 && random.Next(3) != 0
            ? strings[random.Next(strings.Count)] is var s ? random.Next(s.Start + 1, s.End) : 0
            : random.Next(body.Length + 1);
        return [.. body[..at], .. bad, .. body[at..]];
    }

    private static readonly string[] DuplicateValues = ["null", "{}", "[]", "1e999", "\"url_verification\"", "{\"type\":\"message\"}"];

    private static byte[] DuplicateKey(byte[] body, Random random)
    {
        var properties = Properties(body);
        if (properties.Count == 0)
            return body;
        var p = properties[random.Next(properties.Count)];
        var name = Encoding.UTF8.GetString(body, p.NameStart, p.ValueStart - p.NameStart).TrimEnd(':');
        var other = random.Next(3) switch
        {
            0 => Encoding.UTF8.GetString(body, p.ValueStart, p.ValueEnd - p.ValueStart), // the same pair twice
            1 => "\"" + HostileStrings[random.Next(HostileStrings.Length)] + "\"",
            _ => DuplicateValues[random.Next(DuplicateValues.Length)],
        };
        // Before the original (the original wins in a last-wins reader) or after it (the duplicate wins).
        return random.Next(2) == 0
            ? Splice(body, p.NameStart, p.NameStart, name + ":" + other + ",")
            : Splice(body, p.ValueEnd, p.ValueEnd, "," + name + ":" + other);
    }

    private static byte[] Hostile(byte[] body, Random random)
    {
        switch (random.Next(6))
        {
            case 0:
                return [0xEF, 0xBB, 0xBF, .. body]; // a BOM
            case 1:
                var at = random.Next(body.Length + 1);
                return [.. body[..at], 0x00, .. body[at..]]; // a raw NUL
            default:
                return ReplaceValue(body, random, v => v.IsString, [.. HostileStrings.Select(s => "\"" + s + "\"")]);
        }
    }

    private static byte[] ReplaceValue(byte[] body, Random random, Func<ValueSpan, bool> which, string[] replacements)
    {
        var values = Values(body).Where(which).ToList();
        if (values.Count == 0)
            return body;
        var v = values[random.Next(values.Count)];
        return Splice(body, v.Start, v.End, replacements[random.Next(replacements.Length)]);
    }

    internal readonly record struct ValueSpan(int Start, int End, bool IsString, bool IsNumber);

    internal readonly record struct PropertySpan(int NameStart, int ValueStart, int ValueEnd);

    private static readonly JsonReaderOptions Lenient = new() { AllowMultipleValues = true, MaxDepth = 1_000_000 };

    /// <summary>Spans are only collected this deep: below it, skipping each container would cost depth² on a body an
    /// earlier "deep nesting" step made 100,000 levels deep.</summary>
    private const int SpanDepth = 64;

    /// <summary>Every value of a (still valid) body, scalars and containers, as byte ranges; none once it is broken.</summary>
    private static List<ValueSpan> Values(byte[] body)
    {
        var list = new List<ValueSpan>();
        try
        {
            var reader = new Utf8JsonReader(body, Lenient);
            while (reader.Read() && reader.CurrentDepth <= SpanDepth)
            {
                var start = (int)reader.TokenStartIndex;
                switch (reader.TokenType)
                {
                    case JsonTokenType.String or JsonTokenType.Number or JsonTokenType.True or JsonTokenType.False or JsonTokenType.Null:
                        list.Add(new ValueSpan(start, (int)reader.BytesConsumed, reader.TokenType == JsonTokenType.String, reader.TokenType == JsonTokenType.Number));
                        break;
                    case JsonTokenType.StartObject or JsonTokenType.StartArray:
                        var copy = reader;
                        copy.Skip();
                        list.Add(new ValueSpan(start, (int)copy.BytesConsumed, false, false));
                        break;
                }
            }
        }
        catch (JsonException)
        {
            // a body broken by an earlier mutation: whatever was found before the break
        }
        return list;
    }

    private static List<PropertySpan> Properties(byte[] body)
    {
        var list = new List<PropertySpan>();
        try
        {
            var reader = new Utf8JsonReader(body, Lenient);
            while (reader.Read() && reader.CurrentDepth <= SpanDepth)
            {
                if (reader.TokenType != JsonTokenType.PropertyName)
                    continue;
                var nameStart = (int)reader.TokenStartIndex;
                var copy = reader;
                copy.Read();
                var valueStart = (int)copy.TokenStartIndex;
                if (copy.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
                    copy.Skip();
                list.Add(new PropertySpan(nameStart, valueStart, (int)copy.BytesConsumed));
            }
        }
        catch (JsonException)
        {
        }
        return list;
    }

    private static byte[] Splice(byte[] body, int start, int end, string insert) =>
        [.. body[..start], .. Encoding.UTF8.GetBytes(insert), .. body[end..]];

    private static string Repeat(string s, int n) => new StringBuilder(s.Length * n).Insert(0, s, n).ToString();
}
