using System.Data.Common;
using Dapper;
using Switchboard.Storage;

namespace Switchboard.Classification.Models;

/// <summary>The ingest pipeline's hooks: run the active models on a message and store its custom labels.</summary>
internal static class PipelineModels
{
    public static Task<IReadOnlyList<ActiveModel>> ActiveAsync(Database db, DbConnection conn, DbTransaction tx, CancellationToken ct) =>
        WorkspaceModels.For(db).ActiveAsync(conn, tx, ct);

    /// <summary>Stores every custom label of a message (the primary one also sits in messages.category).</summary>
    public static async Task StoreAsync(DbConnection conn, DbTransaction tx, long messageId, ModelLabels? labels)
    {
        if (labels is null)
        {
            return;
        }

        foreach (var c in labels.Custom)
        {
            await conn.ExecuteCachedAsync(
                """
                INSERT INTO message_labels (message_id, name, value, confidence, model_id)
                VALUES (@messageId, @name, @value, @confidence, @modelId)
                """,
                new { messageId, name = c.Name, value = c.Value, confidence = c.Confidence, modelId = c.ModelId }, tx);
        }
    }
}
