namespace Switchboard.Compliance;

/// <summary>
/// The rule set in force until a compliance approver activates one of their own: personal data and shouting are
/// blocked, legal topics go to review. Its examples are checked by the unit tests, like any version's.
/// </summary>
internal static class DefaultRuleSet
{
    public const string Yaml = """
        rules:
          - id: personal-data
            kind: personal_data
            types: [card, iban, email, phone]
            reason: Never post personal data in public
          - id: legal-topics
            kind: legal_review
            phrases: [lawsuit*, lawyer*, sue, sued, suing, compensat*, liabilit*, GDPR]
            reason: Legal must review replies on this topic
          - id: promises
            kind: banned_phrases
            phrases: [guarantee*, "100% safe", "we promise"]
            reason: We do not make promises we cannot keep
          - id: tone
            kind: tone
            max_caps_ratio: 0.7
            min_letters: 12
            max_exclamations: 3
            reason: Keep a calm tone
        examples:
          - text: Thanks for reaching out, we are looking into it.
            expect: pass
          - text: Please pay with card 4111 1111 1111 1111 today.
            expect: block
            rule: personal-data
          - text: Our lawyer will contact you.
            expect: review
            rule: legal-topics
          - text: Delivery is guaranteed by Friday.
            expect: block
            rule: promises
          - text: WE ARE VERY SORRY ABOUT THIS
            expect: block
            rule: tone
        """;

    private static readonly Lazy<RuleSet> Parsed = new(() => RuleSetLoader.Load(Yaml).RuleSet
        ?? throw new InvalidOperationException("the built-in compliance rule set does not load"));

    public static RuleSet RuleSet => Parsed.Value;
}
