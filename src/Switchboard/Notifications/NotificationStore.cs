using System.Data.Common;
using Dapper;
using Switchboard.Storage;

namespace Switchboard.Notifications;

/// <summary>
/// In-app notifications (escalations, approvals, @mentions, silence alerts). Written inside the caller's transaction;
/// after commit, publish the conversation on the InboxFeed so open pages refresh.
/// </summary>
internal static class NotificationStore
{
    public static Task<long> AddAsync(DbConnection conn, DbTransaction? tx, long userId, string kind, long? conversationId, string text, TimeProvider time) =>
        conn.ExecuteScalarCachedAsync<long>(
            """
            INSERT INTO notifications (user_id, kind, conversation_id, text, created_at)
            VALUES (@userId, @kind, @conversationId, @text, @at) RETURNING id
            """,
            new { userId, kind, conversationId, text, at = time.GetUtcNow().ToUnixTimeMilliseconds() }, tx);
}
