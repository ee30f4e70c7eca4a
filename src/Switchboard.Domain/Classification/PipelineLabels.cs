using System.Text.Json;
using Switchboard.Classification.Routing;
using Switchboard.Posts;

namespace Switchboard.Classification;

/// <summary>The labels the pipeline stores on every inbound message, with the explanation that produced them.</summary>
public sealed record Triage(
    string Sentiment,
    double SentimentScore,
    string Intent,
    string? Department,
    double Urgency,
    double Influence,
    string Language,
    string Explain,
    string ExplainJson,
    double LanguageScore = 0,
    double IntentScore = 0,
    double DepartmentScore = 0);

/// <summary>Runs the default classifier (docs/classification.md) and flattens its result for storage and routing.</summary>
public static class PipelineLabels
{
    public static Triage Classify(Post post)
    {
        var c = DefaultClassifier.Classify(post);
        var department = c.Department == Department.None ? null : c.DepartmentName;
        return new Triage(c.SentimentName, Math.Round(c.SentimentScore, 3), c.IntentName, department, Math.Round(c.Urgency, 3),
            Math.Round(c.Influence, 3), c.Language, c.Explain.Intent, JsonSerializer.Serialize(c.Explain),
            Math.Round(c.LanguageScore, 3), Math.Round(c.IntentScore, 3), Math.Round(c.DepartmentScore, 3));
    }
}
