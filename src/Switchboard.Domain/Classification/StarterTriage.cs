using Switchboard.Posts;

namespace Switchboard.Classification;

/// <summary>The labels the pipeline stores on every inbound message, with the words that produced them.</summary>
public sealed record Triage(
    string Sentiment,
    double SentimentScore,
    string Intent,
    string? Department,
    double Urgency,
    double Influence,
    string Explain);

/// <summary>
/// Keyword rules that give every message a first set of labels. Deliberately simple: the trained and explained
/// classifier (docs/classification.md) supersedes it; this keeps the pipeline whole until then.
/// </summary>
public static class StarterTriage
{
    private static readonly (string Department, string[] Words)[] DepartmentWords =
    [
        ("Public Relations", ["journalist", "press", "reporter", "article", "statement", "lawsuit", "lawyer", "scandal", "boycott"]),
        ("Human Resources", ["job", "jobs", "hiring", "career", "careers", "interview", "intern", "internship", "salary", "recruiter", "vacancy", "apply"]),
        ("Partners & Channel", ["partner", "partnership", "reseller", "distributor", "wholesale", "integration", "affiliate"]),
        ("IT", ["outage", "down", "login", "password", "app", "website", "crash", "crashes", "error", "bug", "hacked", "breach"]),
        ("Innovation", ["idea", "suggestion", "feature", "wish", "prototype", "beta", "roadmap"]),
        ("Marketing", ["campaign", "ad", "ads", "giveaway", "contest", "promo", "influencer", "sponsor", "brand"]),
        ("Internal Communications", ["townhall", "intranet", "all-hands", "memo", "colleagues", "announcement"]),
        ("Customer Service", ["refund", "order", "delivery", "broken", "support", "help", "bill", "billing", "charged", "cancel", "delayed", "late", "waiting"]),
    ];

    private static readonly HashSet<string> Negative = new(StringComparer.OrdinalIgnoreCase)
    {
        "bad", "worst", "terrible", "awful", "broken", "angry", "hate", "disappointed", "useless", "never", "again",
        "refund", "delayed", "late", "rude", "scam", "ridiculous", "unacceptable", "down", "outage", "crash", "crashes",
        "waiting", "fail", "failed", "failure", "horrible", "poor", "furious", "lost",
    };

    private static readonly HashSet<string> Positive = new(StringComparer.OrdinalIgnoreCase)
    {
        "love", "great", "thanks", "thank", "awesome", "amazing", "excellent", "good", "best", "happy", "fantastic",
        "wonderful", "brilliant", "helpful", "perfect", "nice", "cool", "impressed",
    };

    private static readonly HashSet<string> Crisis = new(StringComparer.OrdinalIgnoreCase)
    {
        "lawsuit", "lawyer", "sue", "fire", "injured", "injury", "dangerous", "breach", "hacked", "leak", "journalist", "press",
    };

    public static Triage Classify(Post post)
    {
        var words = Words(post.Text);
        var score = 0;
        var evidence = new List<string>();
        string? department = null;
        var departmentHits = 0;
        foreach (var (dept, keys) in DepartmentWords)
        {
            var hits = words.Where(w => keys.Contains(w)).ToList();
            if (hits.Count > departmentHits)
            {
                department = dept;
                departmentHits = hits.Count;
                evidence.RemoveAll(e => e.StartsWith("department:", StringComparison.Ordinal));
                evidence.Add($"department: {string.Join(", ", hits.Distinct())}");
            }
        }

        var negated = false;
        foreach (var w in words)
        {
            if (w is "not" or "no" or "never" or "dont" or "don't" or "isnt")
            {
                negated = true;
                continue;
            }

            var s = Positive.Contains(w) ? 1 : Negative.Contains(w) ? -1 : 0;
            if (s != 0)
            {
                score += negated ? -s : s;
                evidence.Add((negated ? "not " : "") + w);
            }

            negated = false;
        }

        var crisis = words.Any(Crisis.Contains);
        var question = post.Text.Contains('?', StringComparison.Ordinal);
        var sentiment = score < 0 ? "negative" : score > 0 ? "positive" : "neutral";
        var intent = crisis ? "crisis" : score < 0 ? "complaint" : question ? "question" : score > 0 ? "praise" : "other";
        var followers = post.Author?.Followers ?? 0;
        var influence = Math.Clamp(Math.Log10(1 + followers) / 6.0 + (post.Author?.Verified == true ? 0.2 : 0), 0, 1);
        var urgency = Math.Clamp((crisis ? 0.6 : 0) + (sentiment == "negative" ? 0.3 : 0) + (question ? 0.1 : 0) + influence * 0.3, 0, 1);
        return new Triage(sentiment, Math.Clamp(score / 3.0, -1, 1), intent, department, Math.Round(urgency, 3),
            Math.Round(influence, 3), string.Join("; ", evidence));
    }

    private static List<string> Words(string text)
    {
        var list = new List<string>();
        var start = -1;
        for (var i = 0; i <= text.Length; i++)
        {
            var letter = i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] == '\'' || text[i] == '-');
            if (letter && start < 0)
            {
                start = i;
            }
            else if (!letter && start >= 0)
            {
                list.Add(text[start..i].ToLowerInvariant());
                start = -1;
            }
        }

        return list;
    }
}
