using Switchboard.Compliance;
using Xunit;

namespace Switchboard.Domain.Tests.Compliance;

public class RuleSetTests
{
    [Fact]
    public void The_default_rule_set_loads_and_all_its_examples_behave() =>
        Assert.All(RuleSetExamples.Run(DefaultRuleSet.RuleSet), o => Assert.True(o.Ok, o.Problem));

    [Fact]
    public void An_example_that_does_not_behave_as_declared_is_reported()
    {
        var rules = RuleSetLoader.Load("""
            rules:
              - id: promises
                kind: banned_phrases
                phrases: [guarantee]
            examples:
              - text: We guarantee it
                expect: block
              - text: We promise it
                expect: block
            """).RuleSet!;
        var failure = RuleSetExamples.FirstFailure(rules);
        Assert.NotNull(failure);
        Assert.Equal(1, failure.Index);
        Assert.Contains("expected block but got pass", failure.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void An_example_naming_a_rule_fails_when_another_rule_fires()
    {
        var rules = RuleSetLoader.Load("""
            rules:
              - id: a
                kind: banned_phrases
                phrases: [foo]
              - id: b
                kind: banned_phrases
                phrases: [bar]
            examples:
              - text: foo
                expect: block
                rule: b
            """).RuleSet!;
        Assert.Contains("expected rule 'b'", RuleSetExamples.FirstFailure(rules)!.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("rules:\n  - id: x\n    kind: nope\n", "unknown kind 'nope'", 3)]
    [InlineData("rules:\n  - id: x\n    kind: regex\n    pattern: \"(\"\n", "does not compile", 4)]
    [InlineData("rules:\n  - id: x\n    kind: regex\n    pattern: a\n    timeout_ms: 5000\n", "from 1 to 1000", 5)]
    [InlineData("rules:\n  - id: x\n    kind: banned_phrases\n    phrases: [a]\n  - id: x\n    kind: banned_phrases\n    phrases: [b]\n", "duplicate rule id", 5)]
    [InlineData("rules:\n  - id: x\n    kind: links\n    allowed_domains: [\"a b/c\"]\n", "not a domain name", 4)]
    [InlineData("rules:\n  - id: x\n    kind: tone\n    phrases: [a]\n", "does not apply to a tone rule", 4)]
    [InlineData("rules: []\nexamples:\n  - text: a\n    expect: maybe\n", "expect must be pass", 4)]
    [InlineData("rules: &a [1]\nexamples: *a\n", "anchors", 1)]
    [InlineData("rules: [\n", "invalid YAML", 0)]
    [InlineData("bogus: 1\n", "unknown field 'bogus'", 1)]
    [InlineData("rules:\n  - id: x\n    kind: banned_phrases\n    phrases: [ok, \"*\"]\n", "* may only end a phrase", 4)]
    [InlineData("rules:\n  - id: x\n    kind: legal_review\n    phrases: [\"law*suit\"]\n", "* may only end a phrase", 4)]
    [InlineData("rules:\n  - id: x\n    kind: required_phrases\n    phrases: [a]\n    when: [\"sale *\"]\n", "* may only end a phrase", 5)]
    public void Bad_rule_sets_are_refused_with_the_position(string yaml, string message, int line)
    {
        var r = RuleSetLoader.Load(yaml);
        Assert.False(r.Ok);
        var e = Assert.Single(r.Errors, e => e.Message.Contains(message, StringComparison.Ordinal));
        if (line > 0)
        {
            Assert.Equal(line, e.Line);
        }
    }

    [Fact]
    public void An_oversized_rule_set_is_refused() =>
        Assert.False(RuleSetLoader.Load(new string('#', RuleSetLoader.MaxChars + 1)).Ok);

    [Fact]
    public void Luhn_and_mod_97_agree_with_known_values()
    {
        Assert.True(PersonalDataScanner.Luhn([4, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]));
        Assert.False(PersonalDataScanner.Luhn([4, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2]));
        Assert.Equal(1, PersonalDataScanner.Mod97([.. "DE89370400440532013000"], 22));
        Assert.NotEqual(1, PersonalDataScanner.Mod97([.. "DE88370400440532013000"], 22));
    }
}
