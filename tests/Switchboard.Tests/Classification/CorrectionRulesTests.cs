using Switchboard.Classification.Corrections;
using Xunit;

namespace Switchboard.Tests.Classification;

/// <summary>The pure rules behind corrections and retraining: label values, the held-back slice, the schedule, filters.</summary>
public class CorrectionRulesTests
{
    private static readonly Dictionary<string, IReadOnlyList<string>> Custom = new() { ["complaint_reason"] = ["Late Flight", "Lost Luggage"] };

    [Theory]
    [InlineData("sentiment", "negative", "negative")]
    [InlineData("department", "customer service", "Customer Service")]
    [InlineData("department", "none", "none")]
    [InlineData("intent", "purchase_intent", "purchase_intent")]
    [InlineData("language", "und", "und")]
    [InlineData("complaint_reason", " Late Flight ", "Late Flight")]
    public void Known_values_are_accepted_in_their_canonical_form(string label, string value, string expected) =>
        Assert.Equal(expected, LabelCatalog.Check(label, value, Custom).Value);

    [Theory]
    [InlineData("sentiment", "Negative")]
    [InlineData("complaint_reason", "late flight")]
    [InlineData("language", "english")]
    [InlineData("urgency", "0.5")]
    [InlineData("", "x")]
    [InlineData(null, "x")]
    [InlineData("intent", null)]
    public void Unknown_labels_and_values_are_refused_with_a_reason(string? label, string? value)
    {
        var check = LabelCatalog.Check(label, value, Custom);
        Assert.False(check.Ok);
        Assert.False(string.IsNullOrWhiteSpace(check.Error));
    }

    [Fact]
    public void Error_messages_do_not_echo_huge_input() =>
        Assert.True(LabelCatalog.Check(new string('a', 50_000), "x", Custom).Error!.Length < 500);

    [Theory]
    [InlineData("sentiment", true)]
    [InlineData("complaint_reason", true)]
    [InlineData("a1_b2", true)]
    [InlineData("intent", false)]
    [InlineData("category", false)]
    [InlineData("Complaint", false)]
    [InlineData("1abc", false)]
    [InlineData("has space", false)]
    [InlineData("x'; DROP TABLE models; --", false)]
    [InlineData("", false)]
    public void Model_names_are_checked(string name, bool ok) => Assert.Equal(ok, LabelCatalog.CheckModelName(name) is null);

    [Fact]
    public void The_held_back_slice_is_about_a_fifth_fixed_per_id_and_not_periodic()
    {
        var held = Enumerable.Range(1, 20_000).Count(i => HeldBackSlice.Contains(i));
        Assert.InRange(held, 3_600, 4_400);
        Assert.Equal(HeldBackSlice.Contains(12345), HeldBackSlice.Contains(12345));
        // Not "every fifth id": some run of five consecutive ids has none or two-plus held back.
        Assert.Contains(Enumerable.Range(0, 100), s => Enumerable.Range((s * 5) + 1, 5).Count(i => HeldBackSlice.Contains(i)) != 1);
    }

    [Fact]
    public void Scheduled_retraining_is_due_an_interval_after_the_last_attempt_and_only_with_new_labels()
    {
        var start = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
        var day = TimeSpan.FromDays(1);
        var never = new RetrainState("mood", null, start);
        Assert.False(RetrainSchedule.IsDue(never, start + TimeSpan.FromHours(23), start, day));
        Assert.True(RetrainSchedule.IsDue(never, start + day, start, day));
        var tried = new RetrainState("mood", start + day, start + TimeSpan.FromHours(2));
        Assert.False(RetrainSchedule.IsDue(tried, start + (3 * day), start, day));
        var newLabels = tried with { NewestHumanLabelAt = start + (1.5 * day) };
        Assert.False(RetrainSchedule.IsDue(newLabels, start + (1.9 * day), start, day));
        Assert.True(RetrainSchedule.IsDue(newLabels, start + (2 * day), start, day));
        Assert.False(RetrainSchedule.IsDue(new RetrainState("mood", null, null), start + (9 * day), start, day));
        Assert.Equal(start + (2 * day), RetrainSchedule.NextWake([newLabels], start + (1.5 * day), start, day));
    }

    [Theory]
    [InlineData("30m", 30 * 60)]
    [InlineData("6h", 6 * 3600)]
    [InlineData("1d", 86_400)]
    [InlineData("01:30:00", 5_400)]
    public void Intervals_parse(string text, int seconds) => Assert.Equal(TimeSpan.FromSeconds(seconds), RetrainSchedule.ParseInterval(text));

    [Theory]
    [InlineData("10s")]
    [InlineData("-5m")]
    [InlineData("400d")]
    [InlineData("soon")]
    [InlineData("")]
    public void Bad_intervals_are_refused(string text) => Assert.Null(RetrainSchedule.ParseInterval(text));

    [Fact]
    public void Week_buckets_start_on_monday_utc()
    {
        var sunday = new DateTimeOffset(2026, 11, 22, 23, 59, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();
        var monday = new DateTimeOffset(2026, 11, 23, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();
        Assert.Equal(new DateTimeOffset(2026, 11, 16, 0, 0, 0, TimeSpan.Zero), ReviewAccuracy.WeekStart(ReviewAccuracy.Week(sunday)));
        Assert.Equal(new DateTimeOffset(2026, 11, 23, 0, 0, 0, TimeSpan.Zero), ReviewAccuracy.WeekStart(ReviewAccuracy.Week(monday)));
        var rows = ReviewAccuracy.Combine([("sentiment", 5, 10)], [("sentiment", 5, "confirm", 3), ("sentiment", 5, "correct", 1), ("sentiment", 5, "import", 7)]);
        var row = Assert.Single(rows);
        Assert.Equal((10L, 1L, 3L, 0.75), (row.Labelled, row.Corrections, row.Confirmations, row.Accuracy!.Value));
    }

    [Theory]
    [InlineData("complaint_reason:Late Flight", "complaint_reason", "Late Flight")]
    [InlineData("mood:a:b", "mood", "a:b")]
    public void Custom_label_filters_parse(string text, string name, string value) =>
        Assert.Equal((name, value, null, null), InboxLabelFilter.SplitLabel(text));

    [Fact]
    public void A_label_without_a_colon_is_a_conversation_label_in_its_one_spelling() =>
        Assert.Equal((null, null, "lost bag", null), InboxLabelFilter.SplitLabel("  Lost   Bag "));

    [Theory]
    [InlineData(":value")]
    [InlineData("mood:")]
    [InlineData("sentiment:negative")]
    [InlineData("Bad Name:x")]
    public void Malformed_custom_label_filters_are_refused(string text)
    {
        var (name, _, conversationLabel, error) = InboxLabelFilter.SplitLabel(text);
        Assert.Null(name);
        Assert.Null(conversationLabel);
        Assert.StartsWith(InboxLabelFilter.LabelHelp, error, StringComparison.Ordinal);
    }
}
