using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Switchboard.Tests.Channels.Mastodon;

/// <summary>The fenced examples of Mastodon's documentation (../shared/fixtures/mastodon), read in place at test time.</summary>
internal static class MastodonFixtures
{
    public static string? Doc(string name) => SharedCorpus.Path_("fixtures", "mastodon", name) is { } p && File.Exists(p) ? File.ReadAllText(p) : null;

    public static IEnumerable<string> Blocks(string markdown, string language)
    {
        var lines = markdown.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i].TrimEnd() != "```" + language)
                continue;
            var sb = new StringBuilder();
            for (i++; i < lines.Length && lines[i].TrimEnd() != "```"; i++)
                sb.Append(lines[i]).Append('\n');
            yield return sb.ToString();
        }
    }

    /// <summary>The docs elide fields with "// ..." and leave trailing commas: normalise to the strict JSON a server sends.</summary>
    public static JsonNode? Strict(string block)
    {
        try
        {
            return JsonNode.Parse(block, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public static bool LooksLikeStatus(JsonNode? node) =>
        node is JsonObject o && o.ContainsKey("id") && o.ContainsKey("content") && o["account"] is JsonObject && !o.ContainsKey("type");

    public static bool LooksLikeNotification(JsonNode? node) =>
        node is JsonObject o && o.ContainsKey("id") && o["type"] is JsonValue && o.ContainsKey("account") && o.ContainsKey("created_at");
}
