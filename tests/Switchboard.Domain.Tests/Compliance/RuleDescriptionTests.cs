using Switchboard.Compliance;
using Xunit;

namespace Switchboard.Domain.Tests.Compliance;

public class RuleDescriptionTests
{
    private static ComplianceRule Rule(string yaml) => Assert.Single(RuleSetLoader.Load("rules:\n" + yaml).RuleSet!.Rules);

    [Theory]
    [InlineData("  - id: p\n    kind: banned_phrases\n    phrases: [guarantee*, \"100% safe\", \"we promise\"]\n",
        "the words guarantee*, \"100% safe\" and \"we promise\"", "blocked")]
    [InlineData("  - id: l\n    kind: legal_review\n    phrases: [lawyer*]\n", "the legal words lawyer*", "sent to an approver")]
    [InlineData("  - id: t\n    kind: required_phrases\n    phrases: [\"terms apply\", T&C]\n    when: [discount, offer]\n",
        "when a reply mentions discount and offer, a reply without \"terms apply\" or T&C", "blocked")]
    [InlineData("  - id: d\n    kind: personal_data\n    types: [card, email]\n", "personal data: payment card numbers, email addresses", "blocked")]
    [InlineData("  - id: k\n    kind: links\n    allowed_domains: [example.com]\n    severity: review\n", "links to sites other than example.com", "sent to an approver")]
    [InlineData("  - id: r\n    kind: regex\n    pattern: \"INC-\\\\d+\"\n", "text matching the pattern INC-\\d+", "blocked")]
    public void Each_kind_of_rule_is_said_in_words(string yaml, string what, string outcome)
    {
        var rule = Rule(yaml);
        Assert.Equal(what, RuleDescription.What(rule));
        Assert.Equal(outcome, RuleDescription.Outcome(rule));
    }

    [Fact]
    public void Every_rule_of_the_built_in_set_has_a_description_naming_what_it_looks_for()
    {
        foreach (var rule in DefaultRuleSet.RuleSet.Rules)
        {
            var what = RuleDescription.What(rule);
            Assert.DoesNotContain(rule.Kind.ToString(), what, StringComparison.Ordinal);
            Assert.DoesNotContain("(none)", what, StringComparison.Ordinal);
        }
    }
}
