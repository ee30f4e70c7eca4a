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
    string ExplainJson);

/// <summary>Runs the default classifier (docs/classification.md) and flattens its result for storage and routing.</summary>
public static class PipelineLabels
{
    public static Triage Classify(Post post)
    {
        var c = DefaultClassifier.Classify(post);
        var department = c.Department == Department.None ? null : c.DepartmentName;
        return new Triage(c.SentimentName, Math.Round(c.SentimentScore, 3), c.IntentName, department, Math.Round(c.Urgency, 3),
            Math.Round(c.Influence, 3), c.Language, c.Explain.Intent, JsonSerializer.Serialize(c.Explain));
    }
}
