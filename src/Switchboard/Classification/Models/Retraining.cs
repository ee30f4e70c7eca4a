using System.Globalization;
using Switchboard.Audit;
using Switchboard.Classification.Corrections;
using Switchboard.Classification.Training;
using Switchboard.Posts;
using Switchboard.Storage;

namespace Switchboard.Classification.Models;

internal sealed record RetrainResult(RetrainAttemptDto? Attempt, string? Error);

/// <summary>
/// Retrains one label set from the workspace's human labels: train on everything outside the held-back slice, compare
/// with the active model on the slice (ModelRetraining.Decide), activate the candidate only when it is at least as
/// accurate, and record the attempt whatever the outcome. For sentiment with no model yet, the incumbent is the
/// default classifier, so a workspace model only takes over when it beats the rules on the team's own messages.
/// </summary>
internal static class Retraining
{
    /// <summary>Fewer held-back examples than this make the comparison a coin toss; the attempt is skipped.</summary>
    public const int MinHeldBack = 5;

    public static async Task<RetrainResult> RunAsync(Database db, string? name, string trigger, ModelActor actor, TimeProvider time, CancellationToken ct)
    {
        if (LabelCatalog.CheckModelName(name) is { } error)
        {
            return new(null, error);
        }

        var gate = WorkspaceModels.For(db).Retraining;
        await gate.WaitAsync(ct);
        try
        {
            return new(await RunLockedAsync(db, name!, trigger, actor, time, ct), null);
        }
        finally
        {
            gate.Release();
        }
    }

    private static async Task<RetrainAttemptDto> RunLockedAsync(Database db, string name, string trigger, ModelActor actor, TimeProvider time, CancellationToken ct)
    {
        var started = time.GetUtcNow();
        await using var conn = await db.OpenAsync(ct);
        var (training, heldBack) = await ModelStore.HumanExamplesAsync(conn, name, ct);
        var active = await ModelStore.ActiveModelAsync(conn, name, ct);
        var classes = training.Select(t => t.Label).Distinct(StringComparer.Ordinal).Count();

        RetrainAttemptDto Attempt(string outcome, string reason, double? activeAccuracy = null, double? candidateAccuracy = null,
            double? macroF1 = null, long? modelId = null) =>
            new(0, name, trigger, actor.Name, started, time.GetUtcNow(), outcome, reason, training.Count, heldBack.Count, activeAccuracy,
                candidateAccuracy, macroF1, modelId);

        RetrainAttemptDto attempt;
        ModelVersionDto? activated = null;
        LinearModel? candidate = null;
        if (classes < 2)
        {
            attempt = Attempt("skipped", $"training needs human labels of at least two values outside the held-back slice; found {classes}");
        }
        else if (heldBack.Count < MinHeldBack)
        {
            attempt = Attempt("skipped", $"only {heldBack.Count} human-labelled messages are in the held-back slice (need {MinHeldBack}) to compare models on");
        }
        else
        {
            // Training is CPU-bound (seconds for ten thousand rows): off the request thread, outside any transaction.
            var options = TrainerOptions.Default with { LabelColumn = name, TrainedAt = started.ToString("o", CultureInfo.InvariantCulture) };
            var decision = await Task.Run(() => ModelRetraining.Decide(active, training, heldBack, options), ct);
            var replace = decision.Replace;
            var reason = decision.Reason;
            var currentAccuracy = active is null ? (double?)null : decision.CurrentAccuracy;
            if (active is null && name == LabelCatalog.Sentiment)
            {
                var rules = DefaultSentimentAccuracy(heldBack);
                currentAccuracy = rules;
                replace = decision.CandidateAccuracy >= rules;
                reason = FormattableString.Invariant(
                    $"candidate {decision.CandidateAccuracy:P1} {(replace ? "≥" : "<")} default rules {rules:P1} on {heldBack.Count} held-back examples{(replace ? "" : ": keeping the default sentiment")}");
            }

            var macroF1 = ModelStore.Evaluate(decision.Candidate, heldBack).MacroF1;
            candidate = replace ? decision.Candidate : null;
            attempt = Attempt(replace ? "activated" : "rejected", reason, currentAccuracy, decision.CandidateAccuracy, macroF1);
        }

        await using var tx = await conn.BeginTransactionAsync(ct);
        if (candidate is not null)
        {
            activated = await ModelStore.InsertActiveAsync(conn, tx, name, candidate, null, "retrain", actor, time.GetUtcNow(), training.Count,
                heldBack.Count, attempt.CandidateAccuracy, attempt.CandidateMacroF1, ct);
            attempt = attempt with { ModelId = activated.Id };
        }

        attempt = attempt with { Id = await ModelStore.RecordAttemptAsync(conn, tx, attempt, actor.UserId) };
        await AuditLog.WriteAsync(conn, tx, actor.Audit with
        {
            Action = "model.retrain." + attempt.Outcome,
            Entity = "model",
            EntityId = name,
            After = attempt,
        }, time);
        await tx.CommitAsync(ct);
        return attempt;
    }

    private static double DefaultSentimentAccuracy(IReadOnlyList<LabeledText> examples)
    {
        var correct = examples.Count(e => PipelineLabels.Classify(new Post("x", "held-back", e.Text)).Sentiment == e.Label);
        return examples.Count == 0 ? 0 : (double)correct / examples.Count;
    }
}
