using System.Text.RegularExpressions;

namespace Switchboard.Inbox;

/// <summary>@mentions in internal notes: `@maria` names the user whose email starts with `maria@`.</summary>
public static partial class Mentions
{
    public const int MaxPerNote = 20;

    /// <summary>The distinct mentioned names, lower-case, in order of first appearance (at most 20).</summary>
    public static IReadOnlyList<string> Parse(string text) =>
        [.. MentionPattern().Matches(text).Select(m => m.Groups[1].Value.ToLowerInvariant()).Distinct().Take(MaxPerNote)];

    // Preceded by start or a non-word character so "name@example.com" in a note is not a mention.
    [GeneratedRegex(@"(?<![\w@.])@([A-Za-z0-9][A-Za-z0-9._-]{0,63})", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 200)]
    private static partial Regex MentionPattern();
}
