using Switchboard.Composer;
using Xunit;

namespace Switchboard.Domain.Tests.Compliance;

public class ComposerPolicyTests
{
    private static readonly Dictionary<string, string?> Values = new()
    {
        ["author.name"] = "Ana {{agent.first_name}}",
        ["author.handle"] = "ana",
        ["agent.first_name"] = "Carlos",
        ["conversation.id"] = "42",
    };

    [Fact]
    public void Variables_are_rendered_and_values_are_not_rescanned()
    {
        var r = CannedTemplate.Render("Hi {{ author.name }} (@{{author.handle}}), {{agent.first_name}} here about #{{conversation.id}}.", Values);
        Assert.Equal("Hi Ana {{agent.first_name}} (@ana), Carlos here about #42.", r.Text);
    }

    [Theory]
    [InlineData("Hi {{author.nmae}}", "unknown variable '{{author.nmae}}'")]
    [InlineData("Hi {{author.name", "unclosed")]
    public void Unknown_or_unclosed_variables_are_errors(string template, string error)
    {
        var r = CannedTemplate.Render(template, Values);
        Assert.False(r.Ok);
        Assert.Contains(error, r.Error, StringComparison.Ordinal);
        Assert.Contains(CannedTemplate.Problems(template), p => p.Contains(error, StringComparison.Ordinal));
    }

    [Fact]
    public void Approval_is_needed_for_trainees_reviews_vips_and_flagged_conversations_with_the_team_tiers()
    {
        Assert.False(ApprovalPolicy.Decide(new("agent", false, false, false, 2)).Needed);
        var trainee = ApprovalPolicy.Decide(new("trainee", false, false, false, 2));
        Assert.True(trainee.Needed);
        Assert.Equal(2, trainee.Tiers);
        Assert.Equal(3, ApprovalPolicy.Decide(new("agent", true, true, true, 9)).Tiers);
        Assert.Equal(3, ApprovalPolicy.Decide(new("agent", true, true, true, 9)).Reasons.Count);
        Assert.Equal(1, ApprovalPolicy.Decide(new("agent", false, false, true, 0)).Tiers);
        Assert.True(ApprovalPolicy.IsVip([], 150_000, false));
        Assert.True(ApprovalPolicy.IsVip(["VIP"], 0, null));
        Assert.False(ApprovalPolicy.IsVip([], 99_999, false));
    }

    [Fact]
    public void The_same_person_cannot_approve_two_tiers_or_their_own_reply()
    {
        Assert.Null(ApprovalPolicy.CannotApprove("approver", 2, 1, []));
        Assert.NotNull(ApprovalPolicy.CannotApprove("approver", 2, 1, [2]));
        Assert.NotNull(ApprovalPolicy.CannotApprove("manager", 1, 1, []));
        Assert.NotNull(ApprovalPolicy.CannotApprove("agent", 2, 1, []));
    }
}
