using System.Data.Common;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Dapper;
using Switchboard.Audit;
using Switchboard.Classification.Corrections;
using Switchboard.Classification.Training;
using Switchboard.Storage;

namespace Switchboard.Classification.Models;

/// <summary>Who asked for a model change: a signed-in person, the CLI operator, or the scheduler.</summary>
internal sealed record ModelActor(long? UserId, string Name, AuditEntry Audit)
{
    public static ModelActor Of(System.Security.Claims.ClaimsPrincipal user)
    {
        var audit = AuditEntry.By(user, "model", "model", null);
        return new ModelActor(audit.ActorId, audit.Actor, audit);
    }

    public static ModelActor System(string component) =>
        new(null, "system:" + component, AuditEntry.BySystem(component, "model", "model", null));
}

/// <summary>A model version as the API and the accuracy page list it (without its bytes).</summary>
internal sealed record ModelVersionDto(long Id, string Name, long Version, IReadOnlyList<string> Labels, string Source, DateTimeOffset TrainedAt,
    string TrainedBy, long TrainingRows, long HeldBackRows, double? HeldBackAccuracy, double? HeldBackMacroF1, bool Active);

/// <summary>One retraining or import attempt, kept or not.</summary>
internal sealed record RetrainAttemptDto(long Id, string Name, string Trigger, string RequestedBy, DateTimeOffset StartedAt, DateTimeOffset FinishedAt,
    string Outcome, string Reason, long TrainingRows, long HeldBackRows, double? ActiveAccuracy, double? CandidateAccuracy,
    double? CandidateMacroF1, long? ModelId);

internal sealed record ModelImportResult(ModelVersionDto? Model, string? Error);

/// <summary>Stores model versions and attempts; activates a version (one active per name) in the same transaction.</summary>
internal static class ModelStore
{
    public static async Task<ModelImportResult> ImportAsync(Database db, string? name, byte[] bytes, ModelActor actor, TimeProvider time, CancellationToken ct)
    {
        if (LabelCatalog.CheckModelName(name) is { } nameError)
        {
            return new(null, nameError);
        }

        if (bytes.Length == 0)
        {
            return new(null, "the model file is empty");
        }

        var read = ModelFile.Read(new MemoryStream(bytes));
        if (read.Model is null)
        {
            return new(null, read.Error);
        }

        if (LabelCatalog.CheckModelLabels(name!, read.Model.Labels) is { } labelError)
        {
            return new(null, labelError);
        }

        // Measured on the workspace's held-back slice when people have labelled some of it, so imported and retrained
        // versions are compared on the same examples.
        var started = time.GetUtcNow();
        await using var conn = await db.OpenAsync(ct);
        var (_, heldBack) = await HumanExamplesAsync(conn, name!, ct);
        double? accuracy = null, macroF1 = null;
        if (heldBack.Count > 0)
        {
            var report = Evaluate(read.Model, heldBack);
            (accuracy, macroF1) = (report.Accuracy, report.MacroF1);
        }

        await using var tx = await conn.BeginTransactionAsync(ct);
        var model = await InsertActiveAsync(conn, tx, name!, read.Model, bytes, "import", actor, time.GetUtcNow(), read.Model.Info.TrainedExamples,
            heldBack.Count, accuracy, macroF1, ct);
        await RecordAttemptAsync(conn, tx, new RetrainAttemptDto(0, name!, "import", actor.Name, started, time.GetUtcNow(), "activated",
            $"imported model file ({read.Model.Labels.Count} labels, trained on {read.Model.Info.TrainedExamples} examples)",
            read.Model.Info.TrainedExamples, heldBack.Count, null, accuracy, macroF1, model.Id), actor.UserId);
        await AuditLog.WriteAsync(conn, tx, actor.Audit with { Action = "model.import", Entity = "model", EntityId = model.Id.ToString(CultureInfo.InvariantCulture), After = model }, time);
        await tx.CommitAsync(ct);
        return new(model, null);
    }

    /// <summary>Writes a new version of <paramref name="name"/> and makes it the only active one.</summary>
    public static async Task<ModelVersionDto> InsertActiveAsync(DbConnection conn, DbTransaction tx, string name, LinearModel model, byte[]? bytes,
        string source, ModelActor actor, DateTimeOffset at, long trainingRows, long heldBackRows, double? accuracy, double? macroF1, CancellationToken ct)
    {
        if (bytes is null)
        {
            using var ms = new MemoryStream();
            ModelFile.Write(model, ms);
            bytes = ms.ToArray();
        }

        var version = await conn.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COALESCE(MAX(version), 0) + 1 FROM models WHERE name = @name", new { name }, tx, cancellationToken: ct));
        await conn.ExecuteAsync(new CommandDefinition("UPDATE models SET active = 0 WHERE name = @name AND active = 1", new { name }, tx, cancellationToken: ct));
        var id = await conn.ExecuteScalarAsync<long>(new CommandDefinition(
            """
            INSERT INTO models (name, version, labels, model, sha256, source, trained_at, trained_by, trained_by_name, training_rows,
                heldback_rows, heldback_accuracy, heldback_macro_f1, active)
            VALUES (@name, @version, @labels, @model, @sha, @source, @at, @by, @byName, @trainingRows, @heldBackRows, @accuracy, @macroF1, 1)
            RETURNING id
            """,
            new
            {
                name,
                version,
                labels = JsonSerializer.Serialize(model.Labels),
                model = Convert.ToBase64String(bytes),
                sha = Convert.ToHexStringLower(SHA256.HashData(bytes)),
                source,
                at = at.ToUnixTimeMilliseconds(),
                by = actor.UserId,
                byName = actor.Name,
                trainingRows,
                heldBackRows,
                accuracy,
                macroF1,
            }, tx, cancellationToken: ct));
        return new ModelVersionDto(id, name, version, model.Labels, source, at, actor.Name, trainingRows, heldBackRows, accuracy, macroF1, true);
    }

    public static Task<long> RecordAttemptAsync(DbConnection conn, DbTransaction tx, RetrainAttemptDto a, long? userId) =>
        conn.ExecuteScalarAsync<long>(
            """
            INSERT INTO retrain_attempts (name, trigger, requested_by, requested_by_name, started_at, finished_at, outcome, reason,
                training_rows, heldback_rows, active_accuracy, candidate_accuracy, candidate_macro_f1, model_id)
            VALUES (@Name, @Trigger, @userId, @RequestedBy, @started, @finished, @Outcome, @Reason, @TrainingRows, @HeldBackRows,
                @ActiveAccuracy, @CandidateAccuracy, @CandidateMacroF1, @ModelId)
            RETURNING id
            """,
            new
            {
                a.Name,
                a.Trigger,
                userId,
                a.RequestedBy,
                started = a.StartedAt.ToUnixTimeMilliseconds(),
                finished = a.FinishedAt.ToUnixTimeMilliseconds(),
                a.Outcome,
                a.Reason,
                a.TrainingRows,
                a.HeldBackRows,
                a.ActiveAccuracy,
                a.CandidateAccuracy,
                a.CandidateMacroF1,
                a.ModelId,
            }, tx);

    /// <summary>
    /// The human labels of a label set — the newest correction, confirmation or imported label per message — split
    /// into the training rows and the fixed held-back slice (<see cref="HeldBackSlice"/>).
    /// </summary>
    public static async Task<(List<LabeledText> Training, List<LabeledText> HeldBack)> HumanExamplesAsync(DbConnection conn, string name, CancellationToken ct)
    {
        var rows = await conn.QueryAsync<(long MessageId, string Value, string Text)>(new CommandDefinition(
            """
            SELECT lc.message_id, lc.new_value, m.text FROM label_corrections lc JOIN messages m ON m.id = lc.message_id
            WHERE lc.label = @name
              AND lc.id = (SELECT MAX(x.id) FROM label_corrections x WHERE x.message_id = lc.message_id AND x.label = lc.label)
            ORDER BY lc.message_id
            """, new { name }, cancellationToken: ct));
        var training = new List<LabeledText>();
        var heldBack = new List<LabeledText>();
        foreach (var r in rows)
        {
            (HeldBackSlice.Contains(r.MessageId) ? heldBack : training).Add(new LabeledText(r.Text, r.Value));
        }

        return (training, heldBack);
    }

    public static EvaluationReport Evaluate(LinearModel model, IReadOnlyList<LabeledText> examples) =>
        Evaluation.Compute([.. examples.Select(e => e.Label)], [.. examples.Select(e => model.Predict(e.Text).Label)]);

    public static async Task<LinearModel?> ActiveModelAsync(DbConnection conn, string name, CancellationToken ct)
    {
        var b64 = await conn.ExecuteScalarAsync<string?>(new CommandDefinition(
            "SELECT model FROM models WHERE name = @name AND active = 1", new { name }, cancellationToken: ct));
        return b64 is null ? null : ModelFile.Read(new MemoryStream(Convert.FromBase64String(b64))).Model;
    }

    public static async Task<IReadOnlyList<ModelVersionDto>> ListAsync(DbConnection conn, CancellationToken ct)
    {
        var rows = await conn.QueryAsync<ModelRow>(new CommandDefinition(
            """
            SELECT id AS Id, name AS Name, version AS Version, labels AS Labels, source AS Source, trained_at AS TrainedAt,
                   trained_by_name AS TrainedBy, training_rows AS TrainingRows, heldback_rows AS HeldBackRows,
                   heldback_accuracy AS HeldBackAccuracy, heldback_macro_f1 AS HeldBackMacroF1, active AS Active
            FROM models ORDER BY name, version DESC
            """, cancellationToken: ct));
        return [.. rows.Select(r => new ModelVersionDto(r.Id, r.Name, r.Version, JsonSerializer.Deserialize<string[]>(r.Labels) ?? [], r.Source,
            DateTimeOffset.FromUnixTimeMilliseconds(r.TrainedAt), r.TrainedBy, r.TrainingRows, r.HeldBackRows, r.HeldBackAccuracy, r.HeldBackMacroF1,
            r.Active != 0))];
    }

    public static async Task<IReadOnlyList<RetrainAttemptDto>> AttemptsAsync(DbConnection conn, int limit, CancellationToken ct)
    {
        var rows = await conn.QueryAsync<AttemptRow>(new CommandDefinition(
            """
            SELECT id AS Id, name AS Name, trigger AS Trigger, requested_by_name AS RequestedBy, started_at AS StartedAt,
                   finished_at AS FinishedAt, outcome AS Outcome, reason AS Reason, training_rows AS TrainingRows,
                   heldback_rows AS HeldBackRows, active_accuracy AS ActiveAccuracy, candidate_accuracy AS CandidateAccuracy,
                   candidate_macro_f1 AS CandidateMacroF1, model_id AS ModelId
            FROM retrain_attempts ORDER BY id DESC LIMIT @limit
            """, new { limit }, cancellationToken: ct));
        return [.. rows.Select(r => new RetrainAttemptDto(r.Id, r.Name, r.Trigger, r.RequestedBy, DateTimeOffset.FromUnixTimeMilliseconds(r.StartedAt),
            DateTimeOffset.FromUnixTimeMilliseconds(r.FinishedAt), r.Outcome, r.Reason, r.TrainingRows, r.HeldBackRows, r.ActiveAccuracy,
            r.CandidateAccuracy, r.CandidateMacroF1, r.ModelId))];
    }

    private sealed class ModelRow
    {
        public long Id { get; init; }
        public string Name { get; init; } = "";
        public long Version { get; init; }
        public string Labels { get; init; } = "[]";
        public string Source { get; init; } = "";
        public long TrainedAt { get; init; }
        public string TrainedBy { get; init; } = "";
        public long TrainingRows { get; init; }
        public long HeldBackRows { get; init; }
        public double? HeldBackAccuracy { get; init; }
        public double? HeldBackMacroF1 { get; init; }
        public long Active { get; init; }
    }

    private sealed class AttemptRow
    {
        public long Id { get; init; }
        public string Name { get; init; } = "";
        public string Trigger { get; init; } = "";
        public string RequestedBy { get; init; } = "";
        public long StartedAt { get; init; }
        public long FinishedAt { get; init; }
        public string Outcome { get; init; } = "";
        public string Reason { get; init; } = "";
        public long TrainingRows { get; init; }
        public long HeldBackRows { get; init; }
        public double? ActiveAccuracy { get; init; }
        public double? CandidateAccuracy { get; init; }
        public double? CandidateMacroF1 { get; init; }
        public long? ModelId { get; init; }
    }
}
