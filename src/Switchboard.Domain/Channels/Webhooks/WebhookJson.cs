using System.Text.Json;

namespace Switchboard.Channels.Webhooks;

/// <summary>
/// Parsing a webhook body the same way for every platform: a depth limit, invalid JSON reported with the parser's
/// reason, and strings that are not Unicode reported instead of thrown. A JSON document accepts an escaped lone
/// surrogate ("\ud83d") and only fails when the string is read, deep inside each platform's reader, so the whole read
/// runs inside the catch.
/// </summary>
internal static class WebhookJson
{
    public const string NotUnicode = "a string is not valid Unicode (an unpaired surrogate escape)";

    public static T Read<T>(ReadOnlySpan<byte> body, Func<JsonElement, T> read, Func<string, T> failure, int maxDepth = 32)
    {
        JsonDocument document;
        try
        {
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = maxDepth });
            document = JsonDocument.ParseValue(ref reader);
        }
        catch (JsonException ex)
        {
            return failure("invalid JSON: " + ex.Message);
        }

        using (document)
        {
            try
            {
                return read(document.RootElement);
            }
            catch (InvalidOperationException)
            {
                return failure(NotUnicode);
            }
        }
    }
}
