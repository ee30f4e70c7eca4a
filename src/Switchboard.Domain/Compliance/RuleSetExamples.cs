namespace Switchboard.Compliance;

/// <summary>How one example behaved against its rule set.</summary>
internal sealed record ExampleOutcome(int Index, RuleExample Example, ExpectedOutcome Actual, IReadOnlyList<Finding> Findings, bool Ok, string? Problem);

/// <summary>
/// Runs a rule set's examples. Activation of a version is refused unless every example behaves as declared: the
/// outcome (pass/review/block) matches and, when the example names a rule, that rule produced a finding.
/// </summary>
internal static class RuleSetExamples
{
    public static IReadOnlyList<ExampleOutcome> Run(RuleSet rules)
    {
        var patterns = CompiledPatterns.For(rules);
        return [.. rules.Examples.Select((ex, i) =>
        {
            var result = ComplianceChecker.Check(rules, ex.Text, patterns);
            string? problem = null;
            if (result.Outcome != ex.Expect)
            {
                problem = $"expected {Name(ex.Expect)} but got {Name(result.Outcome)}"
                          + (result.Findings.Count > 0 ? " (" + string.Join("; ", result.Findings.Select(f => $"{f.Rule}: {f.Reason}")) + ")" : "");
            }
            else if (ex.Rule is not null && result.Findings.All(f => f.Rule != ex.Rule))
            {
                problem = $"expected rule '{ex.Rule}' to fire, but it did not";
            }

            return new ExampleOutcome(i, ex, result.Outcome, result.Findings, problem is null, problem);
        })];
    }

    /// <summary>Null when activation may proceed; otherwise the first failing example, to show to the approver.</summary>
    public static ExampleOutcome? FirstFailure(RuleSet rules) => Run(rules).FirstOrDefault(o => !o.Ok);

    public static string Name(ExpectedOutcome o) => o switch
    {
        ExpectedOutcome.Pass => "pass",
        ExpectedOutcome.Review => "review",
        _ => "block",
    };
}
