using System.Globalization;

namespace Switchboard.Compliance;

/// <summary>
/// A compliance rule in words an agent reads before writing: what it looks for and what happens to a reply that
/// trips it. The compliance page shows the active rules this way to everyone who is not an approver, because a team
/// replies consistently only when it knows the policy, not just when a reply bounces off it.
/// </summary>
internal static class RuleDescription
{
    /// <summary>What the rule looks for, e.g. "the words guarantee*, "100% safe"".</summary>
    public static string What(ComplianceRule rule) => rule.Kind switch
    {
        RuleKind.BannedPhrases => "the words " + List(rule.Phrases),
        RuleKind.LegalReview => "the legal words " + List(rule.Phrases),
        RuleKind.RequiredPhrases => (rule.When is { Count: > 0 } when ? $"when a reply mentions {List(when)}, " : "")
            + "a reply without " + List(rule.Phrases, "or"),
        RuleKind.Regex => $"text matching the pattern {rule.Pattern}",
        RuleKind.PersonalData => "personal data: " + string.Join(", ", (rule.Types ?? []).Select(Name)),
        RuleKind.Links => rule.AllowedDomains is { Count: > 0 } allowed
            ? "links to sites other than " + string.Join(", ", allowed)
            : "any link",
        RuleKind.Tone => string.Create(CultureInfo.InvariantCulture,
            $"shouting (more than {rule.MaxCapsRatio * 100:0}% capitals in a reply of {rule.MinLetters}+ letters) and more than {rule.MaxExclamations} '!' in a row"),
        _ => rule.Kind.ToString(),
    };

    /// <summary>What happens to a reply the rule finds something in.</summary>
    public static string Outcome(ComplianceRule rule) => rule.Severity == Severity.Block ? "blocked" : "sent to an approver";

    private static string List(IReadOnlyList<string>? phrases, string last = "and")
    {
        var quoted = (phrases ?? []).Select(p => p.Contains(' ', StringComparison.Ordinal) ? $"\"{p}\"" : p).ToList();
        return quoted.Count switch
        {
            0 => "(none)",
            1 => quoted[0],
            _ => string.Join(", ", quoted.Take(quoted.Count - 1)) + $" {last} " + quoted[^1],
        };
    }

    private static string Name(PersonalDataType type) => type switch
    {
        PersonalDataType.Card => "payment card numbers",
        PersonalDataType.Iban => "IBANs",
        PersonalDataType.Email => "email addresses",
        PersonalDataType.Phone => "phone numbers",
        _ => type.ToString(),
    };
}
