using System.Data.Common;
using Dapper;
using Switchboard.Classification.Models;

namespace Switchboard.Classification.Corrections;

internal sealed record AccuracyReportDto(IReadOnlyList<WeeklyLabelStats> Weeks, IReadOnlyList<ValueReviewStats> Values,
    IReadOnlyList<ModelVersionDto> Models, IReadOnlyList<RetrainAttemptDto> Attempts);

/// <summary>
/// Per label and week: messages labelled, corrections, confirmations and the reviewed accuracy; per label value over
/// the same weeks: how often people kept or changed it, and to what; models and attempts.
/// </summary>
internal static class AccuracyReport
{
    // Inlined constants (not parameters) so PostgreSQL sees the same expression in SELECT and GROUP BY.
    private static string Week(string column) =>
        FormattableString.Invariant($"(({column} - {ReviewAccuracy.MondayOffsetMs}) / {ReviewAccuracy.WeekMs})");

    // The values most often changed; past these a manager has more to fix than a page can show.
    private const int MostCorrectedValues = 25;

    public static async Task<AccuracyReportDto> LoadAsync(DbConnection conn, int weeks, CancellationToken ct)
    {
        var mWeek = Week("m.created_at");
        var lcWeek = Week("created_at");
        var classified = await conn.QueryAsync<(long Week, long Count)>(new CommandDefinition(
            $"SELECT {mWeek}, COUNT(*) FROM messages m WHERE m.direction = 'in' AND m.sentiment IS NOT NULL GROUP BY {mWeek}", cancellationToken: ct));
        var custom = await conn.QueryAsync<(string Name, long Week, long Count)>(new CommandDefinition(
            $"SELECT ml.name, {mWeek}, COUNT(*) FROM message_labels ml JOIN messages m ON m.id = ml.message_id GROUP BY ml.name, {mWeek}",
            cancellationToken: ct));
        var reviews = await conn.QueryAsync<(string Label, long Week, string Kind, long Count)>(new CommandDefinition(
            $"SELECT label, {lcWeek}, kind, COUNT(*) FROM label_corrections WHERE kind IN ('correct', 'confirm') GROUP BY label, {lcWeek}, kind",
            cancellationToken: ct));
        var labelled = classified.SelectMany(c => LabelCatalog.BuiltIn.Select(l => (l, c.Week, c.Count))).Concat(custom);
        var rows = ReviewAccuracy.Combine(labelled, reviews);
        var newest = rows.Count == 0 ? 0 : rows.Max(r => r.WeekStart.ToUnixTimeMilliseconds());
        var cutoff = newest - ((weeks - 1) * ReviewAccuracy.WeekMs);
        var byValue = await conn.QueryAsync<(string Label, string? OldValue, string NewValue, string Kind, long Count)>(new CommandDefinition(
            """
            SELECT label, old_value, new_value, kind, COUNT(*) FROM label_corrections
            WHERE kind IN ('correct', 'confirm') AND created_at >= @cutoff
            GROUP BY label, old_value, new_value, kind
            """, new { cutoff }, cancellationToken: ct));
        return new AccuracyReportDto([.. rows.Where(r => r.WeekStart.ToUnixTimeMilliseconds() >= cutoff)],
            ValueReviews.Summarise(byValue, MostCorrectedValues),
            await ModelStore.ListAsync(conn, ct), await ModelStore.AttemptsAsync(conn, 100, ct));
    }

    /// <summary>Label sets a manager can retrain: sentiment, every model name, and custom labels people have labelled.</summary>
    public static async Task<IReadOnlyList<string>> TrainableNamesAsync(DbConnection conn, CancellationToken ct)
    {
        var names = await conn.QueryAsync<string>(new CommandDefinition(
            "SELECT DISTINCT label FROM label_corrections UNION SELECT DISTINCT name FROM models", cancellationToken: ct));
        return [.. names.Append(LabelCatalog.Sentiment).Where(n => LabelCatalog.CheckModelName(n) is null).Distinct().Order(StringComparer.Ordinal)];
    }
}
