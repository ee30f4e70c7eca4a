using System.Data.Common;
using Dapper;

namespace Switchboard.Listening;

/// <summary>
/// The pipeline's side of listening: records which topics matched each stored message (inside the batch's
/// transaction) and bumps each topic's match_count once per batch rather than once per message, so a busy topic costs
/// one UPDATE per batch.
/// </summary>
internal sealed class TopicMatches
{
    private readonly Dictionary<long, long> _counts = [];

    public async Task AddAsync(DbConnection conn, DbTransaction tx, long messageId, long conversationId, IReadOnlyList<long> topicIds)
    {
        if (topicIds.Count == 0)
        {
            return;
        }

        await conn.ExecuteAsync(
            "INSERT INTO message_topics (message_id, topic_id, conversation_id) VALUES (@messageId, @topicId, @conversationId)",
            topicIds.Select(topicId => new { messageId, topicId, conversationId }), tx);
        foreach (var id in topicIds)
        {
            _counts[id] = _counts.GetValueOrDefault(id) + 1;
        }
    }

    /// <summary>Adds the batch's matches to the topics' counts (in id order, so concurrent writers lock rows alike).</summary>
    public async Task FlushAsync(DbConnection conn, DbTransaction tx)
    {
        foreach (var (id, n) in _counts.OrderBy(c => c.Key))
        {
            await conn.ExecuteAsync("UPDATE topics SET match_count = match_count + @n WHERE id = @id", new { id, n }, tx);
        }

        _counts.Clear();
    }
}
