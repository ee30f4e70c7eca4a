namespace Switchboard.Classification.Training;

internal sealed record RetrainDecision(bool Replace, LinearModel Candidate, double CurrentAccuracy, double CandidateAccuracy,
    string Reason);

// The rule for learning from corrections: a model retrained on the workspace's examples (including agents'
// corrections) replaces the active one only if it is at least as accurate on a held-back slice the candidate never
// saw. Ties go to the candidate, because it has learned from the newest corrections.
internal static class ModelRetraining
{
    public static RetrainDecision Decide(LinearModel? current, IReadOnlyList<LabeledText> training,
        IReadOnlyList<LabeledText> holdout, TrainerOptions? options = null)
    {
        if (holdout.Count == 0)
        {
            throw new ArgumentException("the held-back slice is empty: nothing to compare the models on", nameof(holdout));
        }

        var candidate = Trainer.Train(training, options);
        var candidateAccuracy = Accuracy(candidate, holdout);
        if (current is null)
        {
            return new RetrainDecision(true, candidate, 0, candidateAccuracy, "no active model");
        }

        var currentAccuracy = Accuracy(current, holdout);
        var replace = candidateAccuracy >= currentAccuracy;
        return new RetrainDecision(replace, candidate, currentAccuracy, candidateAccuracy,
            replace
                ? $"candidate {candidateAccuracy:P1} ≥ active {currentAccuracy:P1} on {holdout.Count} held-back examples"
                : $"candidate {candidateAccuracy:P1} < active {currentAccuracy:P1} on {holdout.Count} held-back examples: keeping the active model");
    }

    public static double Accuracy(LinearModel model, IReadOnlyList<LabeledText> examples)
    {
        var correct = 0;
        foreach (var e in examples)
        {
            if (string.Equals(model.Predict(e.Text).Label, e.Label, StringComparison.Ordinal))
            {
                correct++;
            }
        }

        return examples.Count == 0 ? 0 : (double)correct / examples.Count;
    }
}
