using System.Data.Common;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Dapper;
using Switchboard.Classification.Corrections;
using Switchboard.Classification.Training;
using Switchboard.Storage;

namespace Switchboard.Classification.Models;

/// <summary>An active model version, loaded and ready to predict.</summary>
internal sealed record ActiveModel(long Id, string Name, long Version, LinearModel Model);

/// <summary>What one custom model said about a message.</summary>
internal sealed record CustomLabel(string Name, string Value, double Confidence, long ModelId);

/// <summary>The pipeline's labels after the workspace models ran: the (maybe overridden) triage and the custom labels.</summary>
internal sealed record ModelLabels(Triage Triage, IReadOnlyList<CustomLabel> Custom)
{
    /// <summary>The primary custom label (first active custom model by name): the one routing reads as `category`.</summary>
    public CustomLabel? Category => Custom.Count > 0 ? Custom[0] : null;
}

/// <summary>
/// The active models of one database, cached. Every ingest batch asks for the set with one tiny query (the ids of the
/// active rows); the model bytes are loaded only when that set changed — a new version activated here, by the CLI, or
/// by another server process. So the cache is never stale for longer than one batch and costs nothing when unchanged.
/// </summary>
internal sealed class WorkspaceModels
{
    private static readonly ConditionalWeakTable<Database, WorkspaceModels> ByDatabase = [];

    private readonly SemaphoreSlim _loading = new(1, 1);
    private IReadOnlyList<ActiveModel> _active = [];
    private string _key = "";

    /// <summary>Retraining one label set at a time per database: two concurrent runs would race to activate.</summary>
    public SemaphoreSlim Retraining { get; } = new(1, 1);

    public static WorkspaceModels For(Database db) => ByDatabase.GetValue(db, _ => new WorkspaceModels());

    public async Task<IReadOnlyList<ActiveModel>> ActiveAsync(DbConnection conn, DbTransaction? tx, CancellationToken ct = default)
    {
        var ids = (await conn.QueryAsync<long>(new CommandDefinition(
            "SELECT id FROM models WHERE active = 1 ORDER BY name, id", transaction: tx, cancellationToken: ct))).ToList();
        var key = string.Join(',', ids.Select(i => i.ToString(CultureInfo.InvariantCulture)));
        if (key == _key)
        {
            return _active;
        }

        await _loading.WaitAsync(ct);
        try
        {
            if (key == _key)
            {
                return _active;
            }

            var loaded = new List<ActiveModel>();
            var known = _active.ToDictionary(m => m.Id);
            foreach (var id in ids)
            {
                if (known.TryGetValue(id, out var m))
                {
                    loaded.Add(m);
                    continue;
                }

                var row = await conn.QueryFirstAsync<(string Name, long Version, string Model)>(new CommandDefinition(
                    "SELECT name, version, model FROM models WHERE id = @id", new { id }, tx, cancellationToken: ct));
                var read = ModelFile.Read(new MemoryStream(Convert.FromBase64String(row.Model)));
                // A stored model this build cannot read (a newer feature version after a downgrade) is skipped, not
                // fatal: ingest goes on with the default labels.
                if (read.Model is not null)
                {
                    loaded.Add(new ActiveModel(id, row.Name, row.Version, read.Model));
                }
            }

            _active = loaded;
            _key = key;
            return loaded;
        }
        finally
        {
            _loading.Release();
        }
    }

    /// <summary>
    /// Runs the active models on one inbound message: a "sentiment" model replaces the default sentiment (the
    /// explanation names the model and keeps the default's reasoning), every other model adds a custom label.
    /// </summary>
    public static ModelLabels Apply(IReadOnlyList<ActiveModel> active, Triage triage, string text)
    {
        if (active.Count == 0)
        {
            return new ModelLabels(triage, []);
        }

        var custom = new List<CustomLabel>();
        foreach (var m in active)
        {
            var p = m.Model.Predict(text);
            if (m.Name == LabelCatalog.Sentiment)
            {
                triage = triage with
                {
                    Sentiment = p.Label,
                    SentimentScore = Math.Round(Probability(m.Model, p, "positive") - Probability(m.Model, p, "negative"), 3),
                    ExplainJson = WithSentimentExplain(triage.ExplainJson,
                        FormattableString.Invariant($"model sentiment v{m.Version}: {p.Label} {p.Confidence:0.00} (default: {triage.Sentiment}; {Clip(SentimentExplain(triage.ExplainJson))})")),
                };
            }
            else
            {
                custom.Add(new CustomLabel(m.Name, p.Label, p.Confidence, m.Id));
            }
        }

        return new ModelLabels(triage, custom);
    }

    /// <summary>The explanation shown for a custom label (linear models have no short word list to quote).</summary>
    public static string CustomExplain(string model, long? version, double? confidence) =>
        FormattableString.Invariant($"model {model}{(version is null ? "" : $" v{version}")}, confidence {confidence ?? 0:0.00}");

    private static double Probability(LinearModel model, Prediction p, string label)
    {
        for (var i = 0; i < model.Labels.Count; i++)
        {
            if (model.Labels[i] == label)
            {
                return p.Probabilities[i];
            }
        }

        return 0;
    }

    private static string SentimentExplain(string json)
    {
        try
        {
            return JsonNode.Parse(json)?["Sentiment"]?.GetValue<string>() ?? "";
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException)
        {
            return "";
        }
    }

    private static string WithSentimentExplain(string json, string explain)
    {
        try
        {
            if (JsonNode.Parse(json) is JsonObject o)
            {
                o["Sentiment"] = explain;
                return o.ToJsonString();
            }
        }
        catch (System.Text.Json.JsonException)
        {
            // Fall through: the default explanation is replaced wholesale below.
        }

        return new JsonObject { ["Sentiment"] = explain }.ToJsonString();
    }

    private static string Clip(string s) => s.Length <= 120 ? s : s[..120] + "…";
}
