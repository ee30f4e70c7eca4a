using Switchboard.Classification.Intent;
using Switchboard.Classification.Routing;
using Switchboard.Classification.Sentiment;

namespace Switchboard.Classification;

// Why each label was given: the words, rules or features that weighed most, in a line a person can read.
internal sealed record ClassificationExplanation(
    string Language,
    string Sentiment,
    string Intent,
    string Department,
    string Urgency,
    string Influence);

// The default labels of one post. Scores are in [0, 1] except SentimentScore, which is in [-1, 1]
// (negative to positive); LanguageScore, IntentScore and DepartmentScore are the share of the evidence that went
// to the chosen label.
internal sealed record Classification(
    string Language,
    double LanguageScore,
    SentimentLabel Sentiment,
    double SentimentScore,
    IntentLabel Intent,
    double IntentScore,
    Department Department,
    double DepartmentScore,
    double Urgency,
    double Influence,
    ClassificationExplanation Explain)
{
    public string SentimentName => Sentiment switch
    {
        SentimentLabel.Negative => "negative",
        SentimentLabel.Positive => "positive",
        _ => "neutral",
    };

    public string IntentName => Intent.ToSnakeCase();

    public string DepartmentName => Department.Display();
}
