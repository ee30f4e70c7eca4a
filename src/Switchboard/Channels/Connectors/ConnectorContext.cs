using Dapper;
using Switchboard.Audit;
using Switchboard.Channels.Accounts;
using Switchboard.Channels.SafeHttp;
using Switchboard.Inbox;
using Switchboard.Ingest;
using Switchboard.Posts;
using Switchboard.Storage;

namespace Switchboard.Channels.Connectors;

/// <summary>Timing knobs of the connector runtime; tests shorten them, production keeps the defaults.</summary>
internal sealed class ConnectorOptions
{
    /// <summary>How often the host re-reads accounts even without a change signal (another process may have edited them).</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>Wait before reconnecting after a stream ended cleanly.</summary>
    public TimeSpan ReconnectDelay { get; set; } = TimeSpan.FromMilliseconds(500);
    /// <summary>First wait after a failure; doubles per failure in a row up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan MinBackoff { get; set; } = TimeSpan.FromSeconds(2);
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromMinutes(5);
    /// <summary>How often the health monitor evaluates the alert rules.</summary>
    public TimeSpan MonitorInterval { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>A stream with no message (nor heartbeat) for this long is considered dead and reconnected.</summary>
    public TimeSpan StreamIdleTimeout { get; set; } = TimeSpan.FromSeconds(90);
}

/// <summary>
/// What every connector shares: the ingest queue (same dedupe → thread → classify → route pipeline as every other
/// source), the health store, the SSRF-safe HTTP settings, and the two effects the pipeline does not cover: an edit
/// or a delete the network reports for a stored message.
/// </summary>
internal sealed class ConnectorContext(
    IngestQueue queue, ChannelHealthStore health, Database db, InboxFeed feed, TimeProvider time, SafeHttpOptions http,
    ConnectorOptions options, ILoggerFactory logs)
{
    public ChannelHealthStore Health => health;
    public TimeProvider Time => time;
    public SafeHttpOptions Http => http;
    public ConnectorOptions Options => options;

    /// <summary>The ingest test hook (SWITCHBOARD_FAULTS); a stream connector reports after-ack once its cursor is saved.</summary>
    public IngestFaults? Faults => queue.Faults;
    public ILogger Logger(string category) => logs.CreateLogger("Switchboard.Channels." + category);

    /// <summary>
    /// Ingests posts and returns once ALL are committed (or found duplicate) and stamped with the account they came
    /// through: how many were new.
    /// </summary>
    public async Task<int> IngestAsync(long accountId, IReadOnlyCollection<Post> posts, CancellationToken ct)
    {
        if (posts.Count == 0)
            return 0;
        var outcomes = await Task.WhenAll(posts.Select(p => queue.IngestAsync(p, ct)));
        await StampAsync(accountId, posts, ct);
        return outcomes.Count(o => o == IngestOutcome.Stored);
    }

    /// <summary>Starts ingesting one post; the caller awaits the task, then <see cref="StampAsync"/>, before saving a cursor past it.</summary>
    public Task<IngestOutcome> Enqueue(Post post, CancellationToken ct) => queue.IngestAsync(post, ct);

    /// <summary>Marks committed posts with the account they arrived through (see <see cref="AccountStamp"/>).</summary>
    public async Task StampAsync(long accountId, IReadOnlyCollection<Post> posts, CancellationToken ct)
    {
        if (posts.Count == 0)
            return;
        await using var conn = await db.OpenAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await AccountStamp.StampAsync(conn, tx, accountId, posts);
        await tx.CommitAsync(ct);
    }

    /// <summary>The network says the message's text changed. Unknown or deleted messages are left alone.</summary>
    public Task<bool> ApplyEditAsync(string component, string channel, string externalId, string text, CancellationToken ct) =>
        ChangeAsync(component, "message.edited", channel, externalId,
            "UPDATE messages SET text = @text, edited_at = @now WHERE channel = @channel AND external_id = @externalId AND deleted_at IS NULL RETURNING id, conversation_id",
            text, ct);

    /// <summary>The author deleted the message: its text is cleared and it is marked deleted; the row stays for the thread.</summary>
    public Task<bool> ApplyDeleteAsync(string component, string channel, string externalId, CancellationToken ct) =>
        ChangeAsync(component, "message.deleted", channel, externalId,
            "UPDATE messages SET text = '', deleted_at = @now WHERE channel = @channel AND external_id = @externalId AND deleted_at IS NULL RETURNING id, conversation_id",
            null, ct);

    private async Task<bool> ChangeAsync(string component, string action, string channel, string externalId, string sql, string? text, CancellationToken ct)
    {
        await using var conn = await db.OpenAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var row = await conn.QueryFirstOrDefaultAsync<(long Id, long ConversationId)?>(sql,
            new { channel, externalId, text, now = time.GetUtcNow().ToUnixTimeMilliseconds() }, tx);
        if (row is not { } changed)
            return false;
        await AuditLog.WriteAsync(conn, tx, AuditEntry.BySystem(component, action, "message",
            changed.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), after: new { channel, externalId }), time);
        await tx.CommitAsync(ct);
        feed.Publish([changed.ConversationId]);
        return true;
    }
}

/// <summary>One long-running inbound connector for one account.</summary>
internal abstract class ConnectorRunner
{
    /// <summary>
    /// Runs until cancelled. Returning normally means the stream ended cleanly (the host reconnects soon, counting a
    /// reconnect); throwing means a failure (the host records the error and backs off).
    /// </summary>
    public abstract Task RunAsync(ChannelAccount account, CancellationToken ct);
}

/// <summary>A failure whose message is safe to store and show (no credentials, no raw response).</summary>
internal sealed class ConnectorException(string message) : Exception(message);
