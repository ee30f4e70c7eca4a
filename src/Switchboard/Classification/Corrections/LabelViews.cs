using System.Data.Common;
using System.Security.Claims;
using System.Text.Json.Nodes;
using Dapper;
using Switchboard.Classification.Models;

namespace Switchboard.Classification.Corrections;

/// <summary>The latest human statement about a label: a correction, a confirmation or an imported label.</summary>
internal sealed record HumanLabel(string Value, string Kind, string By, DateTimeOffset At);

/// <summary>One label of a message as the conversation view and the API show it.</summary>
internal sealed record LabelView(string Label, string? Value, double? Score, string? Explain, IReadOnlyList<string> Values, HumanLabel? Human);

internal sealed record MessageLabelsDto(long MessageId, long ConversationId, bool CanCorrect, IReadOnlyList<LabelView> Labels);

/// <summary>Reads a message's labels with their scores, explanations, allowed values and latest human review.</summary>
internal static class LabelViews
{
    private sealed record Row(long Id, long ConversationId, string Direction, string? Sentiment, double? SentimentScore, string? Intent,
        double? IntentScore, string? Department, double? DepartmentScore, string? Lang, double? LanguageScore, string? Explain);

    /// <summary>Null when the message does not exist or the user may not see it.</summary>
    public static async Task<MessageLabelsDto?> ForMessageAsync(DbConnection conn, ClaimsPrincipal user, long messageId, CancellationToken ct)
    {
        var m = await conn.QueryFirstOrDefaultAsync<Row>(new CommandDefinition(
            """
            SELECT m.id AS Id, m.conversation_id AS ConversationId, m.direction AS Direction, m.sentiment AS Sentiment,
                   m.sentiment_score AS SentimentScore, m.intent AS Intent, m.intent_score AS IntentScore, m.department AS Department,
                   m.department_score AS DepartmentScore, m.lang AS Lang, m.language_score AS LanguageScore, m.explain AS Explain
            FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE m.id = @messageId
            """, new { messageId }, cancellationToken: ct));
        if (m is null || !await LabelScope.CanSeeAsync(conn, null, user, m.ConversationId))
        {
            return null;
        }

        if (m.Direction != "in")
        {
            return new MessageLabelsDto(m.Id, m.ConversationId, false, []);
        }

        var human = (await conn.QueryAsync<(string Label, string Value, string Kind, string Actor, long At)>(new CommandDefinition(
                """
                SELECT label, new_value, kind, actor, created_at FROM label_corrections
                WHERE message_id = @messageId ORDER BY id
                """, new { messageId }, cancellationToken: ct)))
            .GroupBy(r => r.Label)
            .ToDictionary(g => g.Key, g => g.Last() is var l ? new HumanLabel(l.Value, l.Kind, l.Actor, DateTimeOffset.FromUnixTimeMilliseconds(l.At)) : null);
        JsonNode? explain = null;
        try
        {
            explain = m.Explain is null ? null : JsonNode.Parse(m.Explain);
        }
        catch (System.Text.Json.JsonException)
        {
            // An unreadable explanation hides the reasons, not the labels.
        }

        string? Why(string key) => explain?[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
        var labels = new List<LabelView>
        {
            new(LabelCatalog.Sentiment, m.Sentiment, m.SentimentScore, Why("Sentiment"), LabelCatalog.Sentiments, human.GetValueOrDefault(LabelCatalog.Sentiment)),
            new(LabelCatalog.Intent, m.Intent, m.IntentScore, Why("Intent"), LabelCatalog.Intents, human.GetValueOrDefault(LabelCatalog.Intent)),
            new(LabelCatalog.Department, m.Department ?? (m.Sentiment is null ? null : "none"), m.DepartmentScore, Why("Department"),
                LabelCatalog.Departments, human.GetValueOrDefault(LabelCatalog.Department)),
            new(LabelCatalog.Language, m.Lang, m.LanguageScore, Why("Language"), LabelCatalog.Languages, human.GetValueOrDefault(LabelCatalog.Language)),
        };

        var custom = await LabelCorrections.CustomValuesAsync(conn, null, ct);
        var stored = (await conn.QueryAsync<(string Name, string Value, double? Confidence, long? Version)>(new CommandDefinition(
                """
                SELECT ml.name, ml.value, ml.confidence, md.version FROM message_labels ml
                LEFT JOIN models md ON md.id = ml.model_id WHERE ml.message_id = @messageId
                """, new { messageId }, cancellationToken: ct)))
            .ToDictionary(r => r.Name);
        foreach (var name in custom.Keys.Union(stored.Keys).Order(StringComparer.Ordinal))
        {
            stored.TryGetValue(name, out var s);
            var h = human.GetValueOrDefault(name);
            var why = s.Value is null ? "not labelled by a model (it arrived before the model was active)"
                : s.Version is null && h is not null ? $"set by {h.By}"
                : WorkspaceModels.CustomExplain(name, s.Version, s.Confidence);
            labels.Add(new LabelView(name, s.Value, s.Confidence, why, custom.GetValueOrDefault(name) ?? [], h));
        }

        return new MessageLabelsDto(m.Id, m.ConversationId, LabelScope.CanCorrect(user), labels);
    }
}
