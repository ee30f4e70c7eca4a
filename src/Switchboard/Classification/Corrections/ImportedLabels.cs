using System.Data.Common;
using Dapper;
using Switchboard.Posts;
using Switchboard.Storage;

namespace Switchboard.Classification.Corrections;

/// <summary>`switchboard import --label-column COL --label NAME`: which column holds a human label, and which label it is.</summary>
internal sealed record ImportLabelOptions(string Column, string Name);

/// <summary>
/// Stores labels that came with imported data (e.g. the airline file's human-annotated sentiment) as human labels by
/// "import", the training data retraining starts from. The message's own label is left as classified, so the
/// accuracy page still measures the classifier against people. Idempotent: re-importing adds no second row.
/// </summary>
internal static class ImportedLabels
{
    public static string? Check(ImportLabelOptions o) =>
        o.Name == LabelCatalog.Intent || o.Name == LabelCatalog.Department || o.Name == LabelCatalog.Language
            ? null
            : LabelCatalog.CheckModelName(o.Name) is { } e ? "--label: " + e : null;

    /// <summary>Stores the labels of a batch just written; returns the rows refused (line and reason).</summary>
    public static async Task<IReadOnlyList<string>> StoreAsync(Database db, DbConnection conn, ImportLabelOptions o,
        IReadOnlyList<(long Line, Post Post, string? Value)> rows, TimeProvider time, CancellationToken ct)
    {
        var refused = new List<string>();
        var empty = new Dictionary<string, IReadOnlyList<string>>();
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        await using var tx = await conn.BeginTransactionAsync(ct);
        foreach (var (line, post, raw) in rows)
        {
            if (string.IsNullOrWhiteSpace(raw))
            {
                continue;
            }

            string value;
            if (LabelCatalog.ValuesOf(o.Name) is not null)
            {
                var check = LabelCatalog.Check(o.Name, raw, empty);
                if (!check.Ok)
                {
                    refused.Add($"line {line}: {check.Error}");
                    continue;
                }

                value = check.Value!;
            }
            else if (raw.Trim().Length > LabelCorrections.MaxValueLength)
            {
                refused.Add($"line {line}: label longer than {LabelCorrections.MaxValueLength} characters");
                continue;
            }
            else
            {
                value = raw.Trim();
            }

            var messageId = await conn.ExecuteScalarAsync<long?>(
                "SELECT id FROM messages WHERE channel = @c AND external_id = @e", new { c = post.Channel, e = post.Id }, tx);
            if (messageId is null)
            {
                continue;
            }

            var known = await conn.ExecuteScalarAsync<long>(
                "SELECT COUNT(*) FROM label_corrections WHERE message_id = @messageId AND label = @name AND kind = 'import'",
                new { messageId, name = o.Name }, tx);
            if (known == 0)
            {
                await conn.ExecuteAsync(
                    """
                    INSERT INTO label_corrections (message_id, label, old_value, new_value, kind, user_id, actor, created_at)
                    VALUES (@messageId, @name, NULL, @value, 'import', NULL, 'import', @now)
                    """, new { messageId, name = o.Name, value, now }, tx);
            }
        }

        await tx.CommitAsync(ct);
        return refused;
    }
}
