using Switchboard.Compliance;

namespace Switchboard.Composer;

internal sealed record SendReplyRequest(string? Text, long? OpenedAt = null, bool Confirm = false);

internal sealed record DraftRequest(string? Text);

/// <summary>A text to check; with <see cref="Yaml"/> (approvers and admins), against that draft rule set instead of the active one.</summary>
internal sealed record CheckRequest(string? Text, string? Yaml = null);

internal sealed record ApproveRequest(string? Text = null, string? Comment = null);

internal sealed record RejectRequest(string? Comment);

internal sealed record CannedReplyRequest(string? Shortcut, string? Title, string? Body, string? Team = null);

internal sealed record RenderRequest(long ConversationId);

internal sealed record RuleSetRequest(string? Yaml, string? Comment = null);

internal sealed record TiersRequest(int Tiers);

/// <summary>A compliance finding as the API and the composer show it; Text is the offending words.</summary>
internal sealed record FindingDto(string Rule, string Kind, string Severity, string Reason, int Start, int Length, string Text)
{
    public static FindingDto From(Finding f, string text) => new(f.Rule, RuleSetLoader.KindName(f.Kind), f.Severity == Compliance.Severity.Block ? "block" : "review",
        f.Reason, f.Start, f.Length, text.Substring(Math.Min(f.Start, text.Length), Math.Min(f.Length, Math.Max(0, text.Length - f.Start))));

    public static IReadOnlyList<FindingDto> From(ComplianceResult r, string text) => [.. r.Findings.Select(f => From(f, text))];
}

internal sealed record CheckResponse(string Outcome, IReadOnlyList<FindingDto> Findings, int Length, int MaxLength, long RuleSetVersion);

/// <summary>A check against a draft rule set: the text's outcome and findings, and every example of the draft.</summary>
internal sealed record DraftCheckResponse(string Outcome, IReadOnlyList<FindingDto> Findings, IReadOnlyList<ExampleResultDto> Examples);

/// <summary>A reply as the composer's list and the API show it.</summary>
public sealed record ReplyDto(long Id, long ConversationId, long AuthorId, string Author, string Text, string Status, bool NeedsApproval,
    long RequiredTiers, long ApprovedTiers, string? ApprovalReason, string? Error, long Attempts, DateTimeOffset CreatedAt, DateTimeOffset? SentAt,
    string? LastComment);

internal sealed record SendReplyResponse(ReplyDto Reply, string Outcome, string? Detail);

/// <summary>The 409 body: someone else replied after the sender opened the conversation.</summary>
internal sealed record CollisionDto(string Detail, IReadOnlyList<CollisionItem> Newer);

internal sealed record CollisionItem(string Kind, string By, string Text, DateTimeOffset At);

internal sealed record ComplianceProblem(string Detail, IReadOnlyList<FindingDto> Findings);

internal sealed record CannedReplyDto(long Id, string Shortcut, string Title, string Body, string? Team);

internal sealed record RenderedDto(string Text);

internal sealed record ApprovalItem(ReplyDto Reply, string Subject, string? Team, long CurrentTier, IReadOnlyList<FindingDto> Findings,
    IReadOnlyList<ApprovalDecisionDto> Decisions, string? CannotDecide);

internal sealed record ApprovalDecisionDto(long Tier, string Approver, string Decision, string? Comment, DateTimeOffset At);

internal sealed record RuleSetVersionDto(long Id, long Version, string Yaml, string? Comment, string Author, DateTimeOffset CreatedAt, bool Active,
    DateTimeOffset? ActivatedAt, string? ActivatedBy)
{
    public static RuleSetVersionDto From(RuleSetVersion v) => new(v.Id, v.Version, v.Yaml, v.Comment, v.Author, v.CreatedAt, v.Active, v.ActivatedAt, v.ActivatedBy);
}

internal sealed record ExampleResultDto(int Index, string Text, string Expected, string Actual, bool Ok, string? Problem, IReadOnlyList<FindingDto> Findings)
{
    public static ExampleResultDto From(ExampleOutcome o) => new(o.Index, o.Example.Text, RuleSetExamples.Name(o.Example.Expect), RuleSetExamples.Name(o.Actual),
        o.Ok, o.Problem, FindingDto.From(new ComplianceResult(o.Findings), o.Example.Text));
}

internal sealed record ActivationProblem(string Detail, ExampleResultDto? FailingExample, IReadOnlyList<string>? Errors);
