namespace Switchboard.Classification.Intent;

internal static class IntentNames
{
    // The wire names used in JSON output, filters and docs.
    public static string ToSnakeCase(this IntentLabel label) => label switch
    {
        IntentLabel.Other => "other",
        IntentLabel.Complaint => "complaint",
        IntentLabel.Question => "question",
        IntentLabel.Praise => "praise",
        IntentLabel.PurchaseIntent => "purchase_intent",
        IntentLabel.Crisis => "crisis",
        IntentLabel.Feedback => "feedback",
        IntentLabel.Hr => "hr",
        IntentLabel.Partnership => "partnership",
        IntentLabel.Spam => "spam",
        _ => throw new ArgumentOutOfRangeException(nameof(label)),
    };
}
