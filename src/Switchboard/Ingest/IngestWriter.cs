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
                await using var conn = await db.OpenAsync(stoppingToken);
                var result = await IngestBatch.WriteAsync(db, conn, [.. batch.Select(b => b.Post)], time, stoppingToken, topics, routing);
                for (var i = 0; i < batch.Count; i++)
                {
                    batch[i].Done.TrySetResult(result.Outcomes[i]);
                }

                if (result.Conversations.Count > 0)
                {
                    feed.Publish(result.Conversations);
                }
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
                // Nothing of the batch was committed; its producers get the error and may retry (deliveries are
                // idempotent). The writer itself keeps going so one bad batch cannot stop ingestion.
                log.LogError(ex, "Ingest batch of {Count} failed", batch.Count);
                foreach (var b in batch)
                {
                    b.Done.TrySetException(ex);
                }

                await Task.Delay(TimeSpan.FromMilliseconds(200), time, stoppingToken);
            }
        }
    }
}
