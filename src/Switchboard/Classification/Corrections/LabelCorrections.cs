using System.Data.Common;
using System.Security.Claims;
using System.Text.Json;
using Dapper;
using Switchboard.Audit;
using Switchboard.Storage;

namespace Switchboard.Classification.Corrections;

/// <summary>A stored correction or confirmation, as the API returns it.</summary>
internal sealed record LabelCorrectionDto(long Id, long MessageId, long ConversationId, string Label, string? OldValue, string NewValue,
    string Kind, string By, DateTimeOffset At);

internal enum CorrectionStatus
{
    Stored,
    BadRequest,
    Forbidden,
    NotFound,
}

internal sealed record CorrectionResult(CorrectionStatus Status, LabelCorrectionDto? Correction, string? Error);

/// <summary>
/// One click in the inbox: a person says which value a label of a message should have. A different value is a
/// correction (the message's label changes, and the conversation's when the message is the one that labelled it);
/// the same value is a confirmation. Either way the statement is kept with who and when — it is what retraining and
/// the accuracy page learn from — and audited, all in one transaction.
/// </summary>
internal static class LabelCorrections
{
    public const int MaxValueLength = 200;

    private sealed record Target(long Id, long ConversationId, string Direction, string? Sentiment, string? Intent, string? Department,
        string? Lang, string? Category, string? CategoryModel);

    public static async Task<CorrectionResult> ApplyAsync(Database db, ClaimsPrincipal user, long messageId, string? label, string? value,
        TimeProvider time, CancellationToken ct)
    {
        if (!LabelScope.CanCorrect(user))
        {
            return new(CorrectionStatus.Forbidden, null, "your role can read labels but not correct them");
        }

        if (value is { Length: > MaxValueLength } || label is { Length: > MaxValueLength })
        {
            return new(CorrectionStatus.BadRequest, null, $"label and value are at most {MaxValueLength} characters");
        }

        await using var conn = await db.OpenAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var m = await conn.QueryFirstOrDefaultAsync<Target>(new CommandDefinition(
            """
            SELECT m.id AS Id, m.conversation_id AS ConversationId, m.direction AS Direction, m.sentiment AS Sentiment, m.intent AS Intent,
                   m.department AS Department, m.lang AS Lang, m.category AS Category, m.category_model AS CategoryModel
            FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE m.id = @messageId
            """, new { messageId }, tx, cancellationToken: ct));
        if (m is null || !await LabelScope.CanSeeAsync(conn, tx, user, m.ConversationId))
        {
            return new(CorrectionStatus.NotFound, null, $"no message {messageId}");
        }

        if (m.Direction != "in")
        {
            return new(CorrectionStatus.BadRequest, null, "outgoing messages carry no labels");
        }

        var custom = await CustomValuesAsync(conn, tx, ct);
        var check = LabelCatalog.Check(label, value, custom);
        if (!check.Ok)
        {
            return new(CorrectionStatus.BadRequest, null, check.Error);
        }

        var newValue = check.Value!;
        var old = label switch
        {
            LabelCatalog.Sentiment => m.Sentiment,
            LabelCatalog.Intent => m.Intent,
            LabelCatalog.Department => m.Department ?? "none",
            LabelCatalog.Language => m.Lang,
            _ => await conn.ExecuteScalarAsync<string?>(
                "SELECT value FROM message_labels WHERE message_id = @messageId AND name = @label", new { messageId, label }, tx),
        };
        var kind = old == newValue ? "confirm" : "correct";
        var now = time.GetUtcNow();
        var actor = user.FindFirstValue(ClaimTypes.Email) ?? "unknown";
        var id = await conn.ExecuteScalarAsync<long>(
            """
            INSERT INTO label_corrections (message_id, label, old_value, new_value, kind, user_id, actor, created_at)
            VALUES (@messageId, @label, @old, @newValue, @kind, @userId, @actor, @at) RETURNING id
            """,
            new { messageId, label, old, newValue, kind, userId = Auth.Principal.UserId(user), actor, at = now.ToUnixTimeMilliseconds() }, tx);
        if (kind == "correct")
        {
            await SetLabelAsync(conn, tx, m, label!, newValue);
        }

        await AuditLog.WriteAsync(conn, tx, AuditEntry.By(user, "label." + kind, "message", messageId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            new { label, value = old }, new { label, value = newValue }), time);
        await tx.CommitAsync(ct);
        return new(CorrectionStatus.Stored, new LabelCorrectionDto(id, messageId, m.ConversationId, label!, old, newValue, kind, actor, now), null);
    }

    /// <summary>The custom labels people can set: each active model's name and the values it predicts.</summary>
    public static async Task<IReadOnlyDictionary<string, IReadOnlyList<string>>> CustomValuesAsync(DbConnection conn, DbTransaction? tx, CancellationToken ct)
    {
        var rows = await conn.QueryAsync<(string Name, string Labels)>(new CommandDefinition(
            "SELECT name, labels FROM models WHERE active = 1 AND name <> 'sentiment' ORDER BY name", transaction: tx, cancellationToken: ct));
        return rows.ToDictionary(r => r.Name, r => (IReadOnlyList<string>)(JsonSerializer.Deserialize<string[]>(r.Labels) ?? []), StringComparer.Ordinal);
    }

    // The message's effective label changes; so does the conversation's when this message is its first inbound one,
    // because that message is what labelled (and routed) the conversation.
    private static async Task SetLabelAsync(DbConnection conn, DbTransaction tx, Target m, string label, string value)
    {
        var firstInbound = await conn.ExecuteScalarAsync<long?>(
            "SELECT id FROM messages WHERE conversation_id = @c AND direction = 'in' ORDER BY created_at, id LIMIT 1",
            new { c = m.ConversationId }, tx) == m.Id;
        var p = new { id = m.Id, c = m.ConversationId, value = label == LabelCatalog.Department && value == "none" ? null : value, label };
        switch (label)
        {
            case LabelCatalog.Sentiment or LabelCatalog.Intent or LabelCatalog.Department:
                // label is one of three constants here, never caller text.
                await conn.ExecuteAsync($"UPDATE messages SET {label} = @value WHERE id = @id", p, tx);
                if (firstInbound)
                {
                    await conn.ExecuteAsync($"UPDATE conversations SET {label} = @value WHERE id = @c", p, tx);
                }

                break;
            case LabelCatalog.Language:
                await conn.ExecuteAsync("UPDATE messages SET lang = @value WHERE id = @id", p, tx);
                break;
            default:
                await conn.ExecuteAsync(
                    """
                    INSERT INTO message_labels (message_id, name, value, confidence, model_id) VALUES (@id, @label, @value, 1, NULL)
                    ON CONFLICT (message_id, name) DO UPDATE SET value = excluded.value, confidence = 1, model_id = NULL
                    """, p, tx);
                if (m.CategoryModel == label || (m.CategoryModel is null && m.Category is null))
                {
                    await conn.ExecuteAsync(
                        "UPDATE messages SET category = @value, category_confidence = 1, category_model = @label WHERE id = @id", p, tx);
                    if (firstInbound)
                    {
                        await conn.ExecuteAsync(
                            "UPDATE conversations SET category = @value, category_confidence = 1, category_model = @label WHERE id = @c", p, tx);
                    }
                }

                break;
        }
    }
}
