using Switchboard.Inbox;
using Xunit;

namespace Switchboard.Domain.Tests.Inbox;

public class ConversationLabelTests
{
    [Theory]
    [InlineData("billing", "billing")]
    [InlineData("  Lost   Bag ", "lost bag")]
    [InlineData("VIP-follow_up.2", "vip-follow_up.2")]
    [InlineData("Überweisung", "überweisung")]
    [InlineData("退款", "退款")]
    [InlineData("2fa", "2fa")]
    public void A_label_has_one_spelling(string raw, string expected) =>
        Assert.Equal((expected, (string?)null), ConversationLabel.Normalize(raw));

    [Theory]
    [InlineData(null, "a label is required")]
    [InlineData("   ", "a label is required")]
    [InlineData("complaint_reason:late flight", "a label cannot contain ':'")]
    [InlineData("<script>alert(1)</script>", "is not a label")]
    [InlineData("-leading-dash", "is not a label")]
    [InlineData("tab\there", null)] // white space inside collapses to one space
    [InlineData("new\nline", null)]
    [InlineData("bell\u0007", "is not a label")]
    [InlineData("a\u202Eevil", "is not a label")] // bidi override
    [InlineData("emoji 🔥", "is not a label")]
    public void Anything_else_is_refused_with_a_reason(string? raw, string? reason)
    {
        var (label, error) = ConversationLabel.Normalize(raw);
        if (reason is null)
        {
            Assert.NotNull(label);
            Assert.Null(error);
        }
        else
        {
            Assert.Null(label);
            Assert.Contains(reason, error, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Oversized_labels_are_refused_before_any_work()
    {
        Assert.Equal("a label has at most 40 characters", ConversationLabel.Normalize(new string('a', 41)).Error);
        Assert.Equal("a label has at most 40 characters", ConversationLabel.Normalize(new string('a', 10_000_000)).Error);
        Assert.Equal(new string('a', 40), ConversationLabel.Normalize(new string('a', 40)).Label);
    }
}
