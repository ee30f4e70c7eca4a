using Switchboard.Inbox;
using Switchboard.Storage;

namespace Switchboard.Ingest;

/// <summary>
/// The single writer that drains the ingest queue in batches (group commit): one transaction, and one fsync, for up
/// to <see cref="MaxBatch"/> posts. Batches form naturally: whatever is queued when the writer comes back is taken,
/// so latency stays low when traffic is light and throughput high when it is heavy.
/// </summary>
internal sealed class IngestWriter(IngestQueue queue, Database db, InboxFeed feed, TimeProvider time, ILogger<IngestWriter> log,
    Listening.TopicIndex? topics = null, Routing.RoutingRuntime? routing = null)
    : BackgroundService
{
    public const int MaxBatch = 1000;

    // The writer keeps one connection between batches, so the statements it compiled (CachedStatements on SQLite,
    // Npgsql's automatic preparation on PostgreSQL) serve light traffic too, where each batch is a post or two. Any
    // failure drops it: the next batch starts on a fresh connection.
    private System.Data.Common.DbConnection? _conn;

    public override void Dispose()
    {
        _conn?.Dispose();
        _conn = null;
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<IngestQueue.Item>(MaxBatch);
        while (await queue.Reader.WaitToReadAsync(stoppingToken))
        {
            batch.Clear();
            while (batch.Count < MaxBatch && queue.Reader.TryRead(out var item))
            {
                batch.Add(item);
            }

            try
            {
                await CommitAsync(batch, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                foreach (var b in batch)
                {
                    b.Done.TrySetCanceled(stoppingToken);
                }

                throw;
            }
            catch (Exception ex)
            {
                // Nothing of the batch was committed. One poison post must not take the others down with it, again
                // on every redelivery: the batch is written again one post at a time, and only what fails alone fails.
                log.LogError(ex, "Ingest batch of {Count} failed; writing its posts one at a time", batch.Count);
                await WriteOneByOneAsync(batch, ex, stoppingToken);
            }
        }
    }

    /// <summary>Writes the items' posts in one transaction, then completes each item and tells the inbox.</summary>
    private async Task CommitAsync(IReadOnlyList<IngestQueue.Item> items, CancellationToken ct)
    {
        var conn = _conn ??= await db.OpenAsync(ct);
        BatchResult result;
        try
        {
            result = await IngestBatch.WriteAsync(db, conn, [.. items.Select(b => b.Post)], time, ct, topics, routing, queue.Faults);
        }
        catch
        {
            _conn = null;
            await conn.DisposeAsync();
            throw;
        }

        queue.Faults?.Cross(FaultPoint.AfterCommit, items.Count);
        for (var i = 0; i < items.Count; i++)
        {
            items[i].Done.TrySetResult(result.Outcomes[i]);
        }

        if (result.Conversations.Count > 0)
        {
            feed.Publish(result.Conversations);
        }
    }

    private async Task WriteOneByOneAsync(List<IngestQueue.Item> batch, Exception batchError, CancellationToken ct)
    {
        foreach (var item in batch)
        {
            Exception error = batchError;
            if (batch.Count > 1)
            {
                try
                {
                    await CommitAsync([item], ct);
                    continue;
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    item.Done.TrySetCanceled(ct);
                    continue;
                }
                catch (Exception ex)
                {
                    error = ex;
                }
            }

            try
            {
                // Counted by (channel, id): the producer gets the error and may redeliver, until the post is parked.
                // A transient failure (the database away, busy or timing out) says nothing about the post: not counted.
                if (!Transient(error) && await DeadLetters.RecordFailureAsync(db, item.Post, error.Message, time, ct))
                {
                    log.LogWarning("Post {Channel}/{Id} failed {Attempts} times and is parked in dead_letters: {Error}",
                        item.Post.Channel, item.Post.Id, DeadLetters.MaxAttempts, error.Message);
                    item.Done.TrySetResult(IngestOutcome.DeadLettered);
                    continue;
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                log.LogError(ex, "Could not record the failed post {Channel}/{Id}", item.Post.Channel, item.Post.Id);
            }

            item.Done.TrySetException(error);
        }

        await Task.Delay(TimeSpan.FromMilliseconds(50), time, ct);
    }

    internal static bool Transient(Exception e) => e switch
    {
        Microsoft.Data.Sqlite.SqliteException { SqliteErrorCode: 5 or 6 or 10 or 13 } => true, // busy, locked, I/O error, disk full
        System.Data.Common.DbException { IsTransient: true } => true,
        TimeoutException or IOException or System.Net.Sockets.SocketException => true,
        _ => e.InnerException is { } inner && Transient(inner),
    };
}
