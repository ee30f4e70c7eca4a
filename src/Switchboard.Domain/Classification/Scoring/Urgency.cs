using Switchboard.Classification.Intent;

using Switchboard.Classification.Text;

namespace Switchboard.Classification.Scoring;

// urgency = clamp01( IntentBase[intent]
//                    + NegativityWeight · max(0, -sentimentScore)
//                    + InfluenceWeight · influence
//                    + min(CrisisWordCap, CrisisWordWeight · crisisWords) )
internal sealed record UrgencyOptions
{
    public double Crisis { get; init; } = 0.6;
    public double Complaint { get; init; } = 0.3;
    public double Question { get; init; } = 0.2;
    public double PurchaseIntent { get; init; } = 0.25;
    public double Hr { get; init; } = 0.15;
    public double Partnership { get; init; } = 0.15;
    public double Feedback { get; init; } = 0.1;
    public double Praise { get; init; } = 0.05;
    public double Spam { get; init; }
    public double Other { get; init; } = 0.05;
    public double NegativityWeight { get; init; } = 0.25;
    public double InfluenceWeight { get; init; } = 0.25;
    public double CrisisWordWeight { get; init; } = 0.1;
    public double CrisisWordCap { get; init; } = 0.2;

    public static UrgencyOptions Default { get; } = new();

    public double Base(IntentLabel intent) => intent switch
    {
        IntentLabel.Crisis => Crisis,
        IntentLabel.Complaint => Complaint,
        IntentLabel.Question => Question,
        IntentLabel.PurchaseIntent => PurchaseIntent,
        IntentLabel.Hr => Hr,
        IntentLabel.Partnership => Partnership,
        IntentLabel.Feedback => Feedback,
        IntentLabel.Praise => Praise,
        IntentLabel.Spam => Spam,
        _ => Other,
    };
}

internal sealed record UrgencyResult(double Score, string Evidence);

internal static class Urgency
{
    public static UrgencyResult Compute(IntentLabel intent, double sentimentScore, double influence, int crisisWords,
        UrgencyOptions o)
    {
        var b = o.Base(intent);
        var neg = o.NegativityWeight * Math.Max(0, -sentimentScore);
        var inf = o.InfluenceWeight * influence;
        var crisis = Math.Min(o.CrisisWordCap, o.CrisisWordWeight * crisisWords);
        // Spam is never urgent, whoever posts it and however angry it sounds.
        var score = intent == IntentLabel.Spam ? 0 : Math.Clamp(b + neg + inf + crisis, 0, 1);
        return new UrgencyResult(Math.Round(score, 3),
            string.Concat("intent ", Num.F2(b), " + negativity ", Num.F2(neg), " + influence ", Num.F2(inf), " + crisis words ", Num.F2(crisis)));
    }
}
