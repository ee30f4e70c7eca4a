using System.Data.Common;
using System.Globalization;
using System.Security.Claims;
using Dapper;
using Switchboard.Audit;
using Switchboard.Auth;
using Switchboard.Notifications;

namespace Switchboard.Inbox;

public sealed record ConversationNote(long Id, long ConversationId, long UserId, string Author, string Text, DateTimeOffset CreatedAt);

/// <summary>Internal notes on a conversation; @mentions notify the mentioned users (NotificationStore).</summary>
internal static class ConversationNotes
{
    public const int MaxLength = 4000;

    public static async Task<IReadOnlyList<ConversationNote>> ListAsync(DbConnection conn, long conversationId, CancellationToken ct) =>
        [.. (await conn.QueryAsync<(long Id, long ConversationId, long UserId, string Author, string Text, long CreatedAt)>(new CommandDefinition(
            """
            SELECT n.id, n.conversation_id, n.user_id, u.display_name, n.text, n.created_at
            FROM conversation_notes n JOIN users u ON u.id = n.user_id
            WHERE n.conversation_id = @conversationId ORDER BY n.id
            """, new { conversationId }, cancellationToken: ct)))
            .Select(r => new ConversationNote(r.Id, r.ConversationId, r.UserId, r.Author, r.Text, DateTimeOffset.FromUnixTimeMilliseconds(r.CreatedAt)))];

    public static string? Validate(string? text) =>
        string.IsNullOrWhiteSpace(text) ? "the note is empty"
        : text.Length > MaxLength ? $"a note has at most {MaxLength} characters"
        : null;

    /// <summary>
    /// Adds a note (the caller has checked the conversation is in scope) and notifies each mentioned user other
    /// than the writer. Returns the note id and who was notified.
    /// </summary>
    public static async Task<(long Id, IReadOnlyList<long> Notified)> AddAsync(
        DbConnection conn, DbTransaction tx, ClaimsPrincipal user, long conversationId, string text, TimeProvider time, CancellationToken ct)
    {
        var me = user.UserId();
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var id = await conn.ExecuteScalarAsync<long>(new CommandDefinition(
            "INSERT INTO conversation_notes (conversation_id, user_id, text, created_at) VALUES (@conversationId, @me, @text, @now) RETURNING id",
            new { conversationId, me, text, now }, tx, cancellationToken: ct));
        var notified = new List<long>();
        foreach (var name in Mentions.Parse(text))
        {
            var target = await conn.QueryFirstOrDefaultAsync<long?>(new CommandDefinition(
                "SELECT id FROM users WHERE email LIKE @prefix ESCAPE '\\' AND deactivated_at IS NULL ORDER BY id LIMIT 1",
                new { prefix = Like(name) + "@%" }, tx, cancellationToken: ct));
            if (target is { } t && t != me && !notified.Contains(t))
            {
                notified.Add(t);
                var preview = text.Length > 140 ? text[..140] + "…" : text;
                await NotificationStore.AddAsync(conn, tx, t, "mention", conversationId, $"{user.Identity?.Name ?? "Someone"} mentioned you: {preview}", time);
            }
        }

        await AuditLog.WriteAsync(conn, tx, AuditEntry.By(user, "note.add", "conversation", conversationId.ToString(CultureInfo.InvariantCulture),
            after: new { noteId = id, text, mentioned = notified }), time);
        return (id, notified);
    }

    private static string Like(string s) => s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal);
}
