using Switchboard.Classification.Corrections;
using Xunit;

namespace Switchboard.Tests.Classification;

public class ValueReviewsTests
{
    [Fact]
    public void Reviews_are_grouped_by_the_value_they_reviewed_with_what_people_changed_it_to()
    {
        var rows = ValueReviews.Summarise(
        [
            ("intent", "question", "complaint", "correct", 4),
            ("intent", "question", "other", "correct", 1),
            ("intent", "question", "question", "confirm", 5),
            ("sentiment", "negative", "negative", "confirm", 9),
            ("sentiment", "positive", "negative", "correct", 2),
        ], limit: 10);

        var question = rows[0];
        Assert.Equal(("intent", "question", 5L, 5L), (question.Label, question.Value, question.Confirmations, question.Corrections));
        Assert.Equal(0.5, question.Accuracy);
        Assert.Equal([new CorrectedTo("complaint", 4), new CorrectedTo("other", 1)], question.ChangedTo);
        Assert.Equal(("sentiment", "positive"), (rows[1].Label, rows[1].Value));
        Assert.Equal(("sentiment", "negative", 1.0), (rows[2].Label, rows[2].Value, rows[2].Accuracy));
        Assert.Empty(rows[2].ChangedTo);
    }

    [Fact]
    public void The_most_corrected_come_first_then_the_least_accurate_and_the_limit_cuts_the_rest()
    {
        var rows = ValueReviews.Summarise(
        [
            ("intent", "praise", "other", "correct", 2),
            ("intent", "praise", "praise", "confirm", 8),
            ("language", "en", "de", "correct", 2),
            ("department", "IT", "IT", "confirm", 1),
            ("sentiment", "neutral", "negative", "correct", 7),
        ], limit: 2);

        // language/en (2 of 2 changed) ranks above intent/praise (2 of 10) at the same count; the limit drops the rest.
        Assert.Equal(["sentiment/neutral", "language/en"], rows.Select(r => r.Label + "/" + r.Value));
    }

    [Fact]
    public void A_label_that_had_no_value_shows_as_a_dash_and_imports_or_unknown_kinds_are_not_reviews()
    {
        var rows = ValueReviews.Summarise(
        [
            ("complaint_reason", null, "Late Flight", "correct", 3),
            ("complaint_reason", null, "Lost Luggage", "import", 50),
            ("complaint_reason", "Bad Flight", "Bad Flight", "bogus", 4),
            ("sentiment", "negative", "neutral", "correct", 0),
        ], limit: 10);

        var row = Assert.Single(rows);
        Assert.Equal(("complaint_reason", "—", 0L, 3L), (row.Label, row.Value, row.Confirmations, row.Corrections));
        Assert.Equal([new CorrectedTo("Late Flight", 3)], row.ChangedTo);
        Assert.Empty(ValueReviews.Summarise([("sentiment", "x", "y", "correct", 1)], limit: 0));
    }
}
