using System.Threading.Channels;
using Switchboard.Posts;

namespace Switchboard.Ingest;

/// <summary>
/// The bounded queue between every source (demo stream, API deliveries, connectors) and the single ingest writer.
/// When it is full, producers wait: back-pressure reaches the source instead of memory growing without bound.
/// Each item carries a completion that is set only after its batch has COMMITTED, so a source acknowledges a
/// delivery (HTTP 2xx, stream cursor) only when the post is durable.
/// </summary>
internal sealed class IngestQueue(IngestFaults? faults = null)
{
    public const int Capacity = 10_000;

    private readonly Channel<Item> _channel = Channel.CreateBounded<Item>(new BoundedChannelOptions(Capacity)
    {
        FullMode = BoundedChannelFullMode.Wait,
        SingleReader = true,
        SingleWriter = false,
    });

    internal sealed record Item(Post Post, TaskCompletionSource<IngestOutcome> Done);

    internal ChannelReader<Item> Reader => _channel.Reader;

    /// <summary>The test hook (SWITCHBOARD_FAULTS) every stage of the ingest path reports to; null in production.</summary>
    internal IngestFaults? Faults => faults;

    /// <summary>Enqueues a post and completes when it is stored (or found to be a duplicate).</summary>
    public async Task<IngestOutcome> IngestAsync(Post post, CancellationToken ct = default)
    {
        faults?.Cross(FaultPoint.AfterReceive, 1);
        var done = new TaskCompletionSource<IngestOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        await _channel.Writer.WriteAsync(new Item(post, done), ct);
        return await done.Task.WaitAsync(ct);
    }

    public void Complete() => _channel.Writer.TryComplete();
}
