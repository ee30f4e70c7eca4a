using Switchboard.Compliance;

namespace Switchboard.Composer;

/// <summary>What a draft rule set does to one text, and how its own examples fare, before anything is saved.</summary>
internal sealed record DraftTrial(IReadOnlyList<string> Errors, string? Outcome, IReadOnlyList<FindingDto> Findings, IReadOnlyList<ExampleResultDto> Examples)
{
    public bool Loaded => Errors.Count == 0;
}

/// <summary>
/// Trying a text against a draft rule set: an approver writing a rule wants to see it fire (or not) on the sentence
/// that prompted it before saving a version, and saved versions cannot be deleted. Pure: the draft is loaded and run
/// in memory, nothing is stored. Used by the compliance page's "Try" button and by POST /api/compliance/check with
/// a <c>yaml</c> field.
/// </summary>
internal static class ComplianceTrial
{
    public static DraftTrial Run(string yaml, string text)
    {
        var loaded = RuleSetLoader.Load(yaml);
        if (!loaded.Ok)
        {
            return new DraftTrial([.. loaded.Errors.Select(e => e.ToString())], null, [], []);
        }

        var rules = loaded.RuleSet!;
        var result = ComplianceChecker.Check(rules, text, CompiledPatterns.For(rules));
        return new DraftTrial([], RuleSetExamples.Name(result.Outcome), FindingDto.From(result, text),
            [.. RuleSetExamples.Run(rules).Select(ExampleResultDto.From)]);
    }
}
