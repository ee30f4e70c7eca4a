using System.Text.RegularExpressions;

namespace Switchboard.Inbox;

/// <summary>
/// Labels a team puts on conversations ("billing", "lost-bag", "press"), by hand, in bulk or by a routing rule. One
/// spelling per label: trimmed, lower case, inner white space collapsed. No colon: "name:value" is how the inbox
/// filter names a classifier's label, so a conversation label can never be mistaken for one.
/// </summary>
public static partial class ConversationLabel
{
    public const int MaxLength = 40;
    public const int MaxPerConversation = 20;

    [GeneratedRegex(@"^[\p{Ll}\p{Lo}\p{Nd}][\p{Ll}\p{Lo}\p{Lm}\p{Mn}\p{Nd} _.\-]*$")]
    private static partial Regex Shape();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();

    /// <summary>The label's one spelling, or why the text cannot be a label.</summary>
    public static (string? Label, string? Error) Normalize(string? raw)
    {
        if (string.IsNullOrWhiteSpace(raw))
            return (null, "a label is required");
        if (raw.Length > MaxLength * 4)
            return (null, $"a label has at most {MaxLength} characters");
        var label = Spaces().Replace(raw.Trim(), " ").ToLowerInvariant();
        if (label.Length > MaxLength)
            return (null, $"a label has at most {MaxLength} characters");
        if (label.Contains(':', StringComparison.Ordinal))
            return (null, "a label cannot contain ':' (reserved for classifier labels such as complaint_reason:late flight)");
        if (!Shape().IsMatch(label))
            return (null, $"'{Clip(label)}' is not a label: letters, digits, spaces, '.', '_' or '-', starting with a letter or digit");
        return (label, null);
    }

    static string Clip(string s) => s.Length > 40 ? s[..40] + "…" : s;
}
