using System.Data.Common;
using Dapper;
using Switchboard.Audit;
using Switchboard.Posts;
using Switchboard.Storage;

namespace Switchboard.Listening;

/// <summary>
/// Re-scans stored messages for topics whose query is newer than their matches (created, or edited: version &gt;
/// backfilled_version), replacing the topic's matches batch by batch.
/// <para>
/// A backfill first fixes its target, the highest message id at that moment: newer messages were matched by the live
/// pipeline, whose index already had the new query (the store updates it before waking the backfill). Then each batch
/// of up to <see cref="BatchSize"/> message ids above the cursor is one transaction: delete the topic's matches in
/// that id range, insert the new ones, adjust match_count, advance backfill_cursor and, on the last batch, set
/// backfilled_version. A crash loses at most the batch in flight; the next run continues from the committed cursor.
/// The cursor update is conditional on the version and cursor read, so an edit, pause or delete in the meantime
/// makes the batch roll back rather than write matches of an old query.
/// </para>
/// </summary>
internal sealed class TopicBackfill(Database db, TopicIndex index, TimeProvider time, ILogger<TopicBackfill> log) : BackgroundService
{
    public const int BatchSize = 500;

    /// <summary>A periodic sweep is only the safety net (another process changed a topic); changes here wake it at once.</summary>
    private static readonly TimeSpan Sweep = TimeSpan.FromSeconds(30);

    private readonly SemaphoreSlim _wake = new(0, 1);

    /// <summary>Signals new work (a topic was created, edited or resumed).</summary>
    public void Wake()
    {
        if (_wake.CurrentCount == 0)
        {
            try
            {
                _wake.Release();
            }
            catch (SemaphoreFullException)
            {
                // Already signalled.
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // Loaded at startup (first pass) and kept fresh for changes by other processes.
                await using (var conn = await db.OpenAsync(stoppingToken))
                {
                    await index.RefreshAsync(conn, null, stoppingToken);
                }

                while (await StepAsync(db, BatchSize, time, stoppingToken) is { } progress)
                {
                    if (progress.Done)
                    {
                        log.LogInformation("Topic {Id} backfilled for version {Version}: {Count} matches", progress.TopicId, progress.Version, progress.MatchCount);
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The committed cursor is intact; try again after the pause.
                log.LogError(ex, "Topic backfill failed; retrying");
            }

            try
            {
                await _wake.WaitAsync(Sweep, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>One step of progress on one pending topic.</summary>
    internal sealed record Progress(long TopicId, long Version, long Cursor, long Target, bool Done, long MatchCount);

    private sealed record Pending(long Id, string Query, long Version, long BackfillCursor, long? BackfillTarget);

    private sealed record StoredMessage(long Id, long ConversationId, string Channel, string Direction, string Text, string? Lang,
        string? Url, string? Handle, long? Followers, long? Verified);

    /// <summary>
    /// Does one batch of one pending topic (the lowest id first) and commits it; null when no topic is pending.
    /// Every call is independent, so a process may stop between any two calls and another may continue.
    /// </summary>
    internal static async Task<Progress?> StepAsync(Database db, int batchSize, TimeProvider time, CancellationToken ct)
    {
        await using var conn = await db.OpenAsync(ct);
        var topic = await conn.QueryFirstOrDefaultAsync<Pending>(new CommandDefinition(
            """
            SELECT id AS Id, query AS Query, version AS Version, backfill_cursor AS BackfillCursor, backfill_target AS BackfillTarget
            FROM topics WHERE status = 'active' AND backfilled_version < version ORDER BY id LIMIT 1
            """, cancellationToken: ct));
        if (topic is null)
        {
            return null;
        }

        if (topic.BackfillTarget is not { } target)
        {
            target = await conn.ExecuteScalarAsync<long>(new CommandDefinition("SELECT COALESCE(MAX(id), 0) FROM messages", cancellationToken: ct));
            await conn.ExecuteAsync(new CommandDefinition(
                "UPDATE topics SET backfill_target = @target WHERE id = @id AND version = @version AND backfill_target IS NULL",
                new { target, id = topic.Id, version = topic.Version }, cancellationToken: ct));
            return new Progress(topic.Id, topic.Version, topic.BackfillCursor, target, false, 0);
        }

        var parsed = QueryParser.Parse(topic.Query);
        var batch = parsed.Query is null
            ? []
            : (await conn.QueryAsync<StoredMessage>(new CommandDefinition(
                """
                SELECT m.id AS Id, m.conversation_id AS ConversationId, m.channel AS Channel, m.direction AS Direction, m.text AS Text,
                       m.lang AS Lang, m.url AS Url, a.handle AS Handle, a.followers AS Followers, a.verified AS Verified
                FROM messages m LEFT JOIN authors a ON a.id = m.author_id
                WHERE m.id > @cursor AND m.id <= @target ORDER BY m.id LIMIT @limit
                """, new { cursor = topic.BackfillCursor, target, limit = batchSize }, cancellationToken: ct))).ToList();

        // Only inbound posts are listened to, as in the pipeline; our own replies never match a topic.
        var doc = new PostDocument();
        var matches = new List<(long MessageId, long ConversationId)>();
        foreach (var m in batch.Where(m => m.Direction == "in"))
        {
            doc.Load(ToPost(m));
            if (parsed.Query!.Matches(doc))
            {
                matches.Add((m.Id, m.ConversationId));
            }
        }

        var done = batch.Count < batchSize || batch[^1].Id >= target;
        var cursor = done ? target : batch[^1].Id;
        await using var tx = await TopicStore.BeginAsync(conn, ct);
        var claimed = await conn.ExecuteAsync(
            """
            UPDATE topics SET backfill_cursor = @cursor, backfilled_version = CASE WHEN @done = 1 THEN version ELSE backfilled_version END
            WHERE id = @id AND version = @version AND backfill_cursor = @from AND status = 'active'
            """, new { id = topic.Id, version = topic.Version, from = topic.BackfillCursor, cursor, done = done ? 1L : 0L }, tx);
        if (claimed == 0)
        {
            // Edited, paused, deleted or advanced by another process since we read it: nothing of this batch is written.
            await tx.RollbackAsync(ct);
            return new Progress(topic.Id, topic.Version, topic.BackfillCursor, target, false, 0);
        }

        var removed = await conn.ExecuteAsync(
            "DELETE FROM message_topics WHERE topic_id = @id AND message_id > @from AND message_id <= @cursor",
            new { id = topic.Id, from = topic.BackfillCursor, cursor }, tx);
        if (matches.Count > 0)
        {
            await conn.ExecuteAsync(
                "INSERT INTO message_topics (message_id, topic_id, conversation_id) VALUES (@MessageId, @TopicId, @ConversationId)",
                matches.Select(m => new { m.MessageId, TopicId = topic.Id, m.ConversationId }), tx);
        }

        var count = await conn.ExecuteScalarAsync<long>(
            "UPDATE topics SET match_count = match_count - @removed + @added WHERE id = @id RETURNING match_count",
            new { id = topic.Id, removed = (long)removed, added = (long)matches.Count }, tx);
        if (done)
        {
            await AuditLog.WriteAsync(conn, tx, AuditEntry.BySystem("listening", "topic.backfill", "topic",
                topic.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), after: new { topic.Version, MatchCount = count, Target = target }), time);
        }

        await tx.CommitAsync(ct);
        return new Progress(topic.Id, topic.Version, cursor, target, done, count);
    }

    private static Post ToPost(StoredMessage m) => new(
        m.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), m.Channel, m.Text, Lang: m.Lang, Url: m.Url,
        Author: new Author(Handle: m.Handle, Followers: m.Followers, Verified: m.Verified is null ? null : m.Verified != 0));
}
