using System.Data.Common;
using Dapper;

namespace Switchboard.Inbox;

public sealed record NotificationItem(long Id, string Kind, long? ConversationId, string Text, DateTimeOffset CreatedAt, bool Read);

public sealed record NotificationList(long Unread, IReadOnlyList<NotificationItem> Items);

/// <summary>A user's own notifications (the menu in the top bar). Only ever the caller's rows.</summary>
internal static class UserNotifications
{
    public static async Task<NotificationList> ListAsync(DbConnection conn, long userId, int limit, CancellationToken ct)
    {
        var unread = await conn.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM notifications WHERE user_id = @userId AND read_at IS NULL", new { userId }, cancellationToken: ct));
        var items = (await conn.QueryAsync<(long Id, string Kind, long? ConversationId, string Text, long CreatedAt, long? ReadAt)>(new CommandDefinition(
            $"SELECT id, kind, conversation_id, text, created_at, read_at FROM notifications WHERE user_id = @userId ORDER BY id DESC LIMIT {Math.Clamp(limit, 1, 100)}",
            new { userId }, cancellationToken: ct)))
            .Select(n => new NotificationItem(n.Id, n.Kind, n.ConversationId, n.Text, DateTimeOffset.FromUnixTimeMilliseconds(n.CreatedAt), n.ReadAt is not null)).ToList();
        return new NotificationList(unread, items);
    }

    /// <summary>Marks one (or, with null, all) of the user's notifications read; false when the id is not theirs.</summary>
    public static async Task<bool> MarkReadAsync(DbConnection conn, long userId, long? id, TimeProvider time, CancellationToken ct)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        if (id is null)
        {
            await conn.ExecuteAsync(new CommandDefinition("UPDATE notifications SET read_at = @now WHERE user_id = @userId AND read_at IS NULL", new { userId, now }, cancellationToken: ct));
            return true;
        }

        var exists = await conn.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM notifications WHERE id = @id AND user_id = @userId", new { id, userId }, cancellationToken: ct));
        if (exists == 0)
        {
            return false;
        }

        await conn.ExecuteAsync(new CommandDefinition(
            "UPDATE notifications SET read_at = COALESCE(read_at, @now) WHERE id = @id AND user_id = @userId", new { id, userId, now }, cancellationToken: ct));
        return true;
    }
}
