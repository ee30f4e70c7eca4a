namespace Switchboard.Compliance;

/// <summary>What a finding does to a reply: block stops it; review routes it to an approver.</summary>
internal enum Severity
{
    Review,
    Block,
}

/// <summary>The kinds of rule a compliance rule set can hold (the YAML `kind:` values).</summary>
internal enum RuleKind
{
    BannedPhrases,
    RequiredPhrases,
    Regex,
    PersonalData,
    Links,
    Tone,
    LegalReview,
}

/// <summary>Personal data a <see cref="RuleKind.PersonalData"/> rule looks for.</summary>
internal enum PersonalDataType
{
    Email,
    Phone,
    Card,
    Iban,
}

/// <summary>
/// One rule as data. Only the fields of its kind are set (the loader enforces that): phrases for banned/required/legal
/// review, Pattern for regex, Types for personal data, AllowedDomains for links, the tone thresholds for tone.
/// When (required phrases only) makes the requirement conditional: it applies only when one of these phrases appears.
/// </summary>
internal sealed record ComplianceRule(
    string Id,
    RuleKind Kind,
    Severity Severity,
    string? Reason = null,
    IReadOnlyList<string>? Phrases = null,
    IReadOnlyList<string>? When = null,
    string? Pattern = null,
    TimeSpan? Timeout = null,
    IReadOnlyList<PersonalDataType>? Types = null,
    IReadOnlyList<string>? AllowedDomains = null,
    double MaxCapsRatio = 0.7,
    int MinLetters = 12,
    int MaxExclamations = 3);

/// <summary>What an example text of a rule set must do: pass clean, be blocked, or be routed to review.</summary>
internal enum ExpectedOutcome
{
    Pass,
    Review,
    Block,
}

/// <summary>An example of a rule set: the text, the declared outcome and, optionally, the rule that must fire.</summary>
internal sealed record RuleExample(string Text, ExpectedOutcome Expect, string? Rule = null);

/// <summary>A whole rule set version: rules in order plus the examples that gate its activation.</summary>
internal sealed record RuleSet(IReadOnlyList<ComplianceRule> Rules, IReadOnlyList<RuleExample> Examples);

/// <summary>
/// One reason a text is not compliant: which rule, why (a sentence an agent understands), and the characters
/// [Start, Start + Length) of the offending words in the checked text (Length 0 for "something is missing").
/// </summary>
internal sealed record Finding(string Rule, RuleKind Kind, Severity Severity, string Reason, int Start, int Length);

/// <summary>The outcome of a check: blocked when any finding blocks; needs review when any finding asks for review.</summary>
internal sealed record ComplianceResult(IReadOnlyList<Finding> Findings)
{
    public bool Blocked => Findings.Any(f => f.Severity == Severity.Block);

    public bool NeedsReview => !Blocked && Findings.Any(f => f.Severity == Severity.Review);

    public ExpectedOutcome Outcome => Blocked ? ExpectedOutcome.Block : NeedsReview ? ExpectedOutcome.Review : ExpectedOutcome.Pass;
}
