using Switchboard.Classification.Intent;
using Switchboard.Classification.Language;
using Switchboard.Classification.Routing;
using Switchboard.Classification.Scoring;
using Switchboard.Classification.Sentiment;
using Switchboard.Classification.Text;
using Switchboard.Posts;

namespace Switchboard.Classification;

// The out-of-the-box classifier: language, sentiment, intent, department, urgency and influence for one post,
// from the project's own lexicons and rules. Pure and thread-safe (scratch buffers are per thread); needs no
// training. A trained LinearModel (Training/) adds a workspace label on top: LinearModel.Predict(post.Text).
internal static class DefaultClassifier
{
    [ThreadStatic]
    private static TokenBuffer? buffer;

    public static Classification Classify(Post post, ClassifierContext? context = null)
    {
        var ctx = context ?? ClassifierContext.Default;
        var b = buffer ??= new TokenBuffer();
        Tokenizer.Tokenize(post.Text ?? string.Empty, b);

        var language = LanguageDetector.Detect(b);
        var sentiment = SentimentAnalyzer.Analyze(b, ctx.Sentiment);
        var intent = IntentClassifier.Classify(b, sentiment);
        var influence = Scoring.Influence.Compute(post.Author, ctx.Audience, ctx.Influence);
        var internalSource = ctx.InternalChannels.Contains(post.Channel) || ctx.Audience.IsEmployee(post.Author);
        var department = DepartmentRouter.Route(b, intent, internalSource);
        var urgency = Scoring.Urgency.Compute(intent.Label, sentiment.Score, influence.Score, intent.CrisisHits, ctx.Urgency);

        var explain = new ClassificationExplanation(
            Language: language.Evidence,
            Sentiment: SentimentEvidence(sentiment, b.Truncated),
            Intent: intent.Evidence,
            Department: department.Evidence,
            Urgency: urgency.Evidence,
            Influence: influence.Evidence);

        return new Classification(language.Code, language.Score, sentiment.Label, sentiment.Score, intent.Label,
            intent.Score, department.Department, department.Score, urgency.Score, influence.Score, explain);
    }

    private static string SentimentEvidence(SentimentResult s, bool truncated)
    {
        if (s.Evidence.Count == 0)
        {
            return truncated ? "no sentiment words (text truncated)" : "no sentiment words";
        }

        var text = "";
        foreach (var e in s.Evidence)
        {
            text = string.Concat(text, text.Length > 0 ? ", " : "", e.Text, e.Weight > 0 ? " +" : " ", Num.F1(e.Weight));
        }

        return truncated ? text + " (text truncated)" : text;
    }
}
