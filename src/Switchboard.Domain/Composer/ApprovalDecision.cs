namespace Switchboard.Composer;

/// <summary>What the send path knows about a reply when it decides whether it needs approval.</summary>
internal sealed record ApprovalInput(
    string AuthorRole,
    bool ComplianceReview,
    bool AuthorIsVip,
    bool ConversationRequiresApproval,
    int TeamTiers);

/// <summary>Whether a reply needs approval, by how many tiers, and why (shown to the agent and the approver).</summary>
internal sealed record ApprovalNeed(bool Needed, int Tiers, IReadOnlyList<string> Reasons);

/// <summary>
/// Decides approval: trainees' replies, replies a compliance rule sends to review, replies to VIP authors and
/// conversations routing marked as requiring approval all go to approvers. The number of tiers is the team's
/// setting (1–3); the reasons only decide whether approval is needed at all.
/// </summary>
internal static class ApprovalPolicy
{
    public const int MaxTiers = 3;

    /// <summary>Followers at or above this make an author a VIP when no tag says so (docs/composer.md).</summary>
    public const long VipFollowers = 100_000;

    public static ApprovalNeed Decide(ApprovalInput input)
    {
        var reasons = new List<string>();
        if (input.AuthorRole == "trainee")
        {
            reasons.Add("written by a trainee");
        }

        if (input.ComplianceReview)
        {
            reasons.Add("a compliance rule asks for review");
        }

        if (input.AuthorIsVip)
        {
            reasons.Add("the author is a VIP");
        }

        if (input.ConversationRequiresApproval)
        {
            reasons.Add("routing requires approval for this conversation");
        }

        return reasons.Count == 0
            ? new ApprovalNeed(false, 0, reasons)
            : new ApprovalNeed(true, Math.Clamp(input.TeamTiers, 1, MaxTiers), reasons);
    }

    /// <summary>VIP: a tag says so, or a large audience, or a verified account.</summary>
    public static bool IsVip(IEnumerable<string> tags, long? followers, bool? verified) =>
        tags.Any(t => string.Equals(t, "vip", StringComparison.OrdinalIgnoreCase)) || followers >= VipFollowers || verified == true;

    /// <summary>
    /// Whether a user may decide tier `tier` of a reply: approver, manager or admin role, not the reply's author, and
    /// not someone who already approved another tier of it (each tier is a different pair of eyes).
    /// </summary>
    public static string? CannotApprove(string role, long userId, long replyAuthorId, IReadOnlyCollection<long> earlierApprovers) =>
        role is not ("approver" or "manager" or "admin") ? "only approvers, managers and admins decide approvals"
        : userId == replyAuthorId ? "you cannot approve your own reply"
        : earlierApprovers.Contains(userId) ? "you already approved an earlier tier of this reply; another approver must decide this tier"
        : null;
}
