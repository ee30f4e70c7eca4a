using System.Text;

namespace Switchboard.Composer;

/// <summary>A rendered canned reply, or the error that stopped it (an unknown or unclosed variable), never both.</summary>
internal sealed record RenderResult(string? Text, string? Error)
{
    public bool Ok => Error is null;
}

/// <summary>
/// Renders a canned reply's `{{variable}}` placeholders. Strict on purpose: an unknown variable is an error shown
/// to the agent rather than an empty gap in a public reply. Values are inserted verbatim (replies are plain text)
/// and never re-scanned, so a name like "{{agent.first_name}}" in an author's profile stays literal.
/// </summary>
internal static class CannedTemplate
{
    public static readonly string[] Variables = ["author.name", "author.handle", "agent.first_name", "agent.name", "conversation.id"];

    public static RenderResult Render(string template, IReadOnlyDictionary<string, string?> values)
    {
        var sb = new StringBuilder(template.Length);
        var i = 0;
        while (i < template.Length)
        {
            var open = template.IndexOf("{{", i, StringComparison.Ordinal);
            if (open < 0)
            {
                sb.Append(template, i, template.Length - i);
                break;
            }

            sb.Append(template, i, open - i);
            var close = template.IndexOf("}}", open + 2, StringComparison.Ordinal);
            if (close < 0)
            {
                return new RenderResult(null, $"unclosed '{{{{' at character {open + 1}");
            }

            var name = template[(open + 2)..close].Trim();
            if (!values.TryGetValue(name, out var value))
            {
                return new RenderResult(null, $"unknown variable '{{{{{name}}}}}'; known: {string.Join(", ", values.Keys.Select(k => "{{" + k + "}}"))}");
            }

            sb.Append(value ?? "");
            i = close + 2;
        }

        return new RenderResult(sb.ToString(), null);
    }

    /// <summary>Problems of a template (unknown variables, an unclosed brace), checked when a canned reply is saved.</summary>
    public static IReadOnlyList<string> Problems(string template)
    {
        var problems = new List<string>();
        var i = 0;
        while (true)
        {
            var open = template.IndexOf("{{", i, StringComparison.Ordinal);
            if (open < 0)
            {
                return problems;
            }

            var close = template.IndexOf("}}", open + 2, StringComparison.Ordinal);
            if (close < 0)
            {
                problems.Add($"unclosed '{{{{' at character {open + 1}");
                return problems;
            }

            var name = template[(open + 2)..close].Trim();
            if (!Variables.Contains(name))
            {
                problems.Add($"unknown variable '{{{{{name}}}}}'");
            }

            i = close + 2;
        }
    }
}
