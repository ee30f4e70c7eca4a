using System.Data.Common;
using Dapper;
using Switchboard.Posts;

namespace Switchboard.Channels.Accounts;

/// <summary>
/// Records which channel account a message arrived through, so a reply leaves through the same account (one
/// Mastodon identity, Slack workspace or Facebook Page among several of the same kind). Runs after the ingest
/// commit rather than inside it because the pipeline's post format deliberately has no account field (an API
/// client must not be able to claim one); it only fills NULLs, so a redelivery after a crash between the two
/// commits stamps what the first attempt missed and never moves a message to another account.
/// </summary>
internal static class AccountStamp
{
    public static async Task StampAsync(DbConnection conn, DbTransaction tx, long accountId, IEnumerable<Post> posts)
    {
        foreach (var post in posts)
        {
            var key = new { a = accountId, c = post.Channel, e = post.Id };
            await conn.ExecuteAsync("UPDATE messages SET account_id = @a WHERE channel = @c AND external_id = @e AND account_id IS NULL", key, tx);
            await conn.ExecuteAsync(
                "UPDATE conversations SET account_id = @a WHERE account_id IS NULL AND id IN (SELECT conversation_id FROM messages WHERE channel = @c AND external_id = @e)",
                key, tx);
        }
    }
}
