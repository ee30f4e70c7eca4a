using Dapper;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Logging.Abstractions;
using Switchboard.Channels.Accounts;
using Switchboard.Channels.Outbound;
using Switchboard.Channels.SafeHttp;
using Switchboard.Inbox;
using Switchboard.Ingest;
using Switchboard.Posts;
using Switchboard.Storage;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Channels.Outbound;

/// <summary>
/// The outbound pieces wired as the server wires them (real database, ingest queue and writer, account store, the
/// SSRF-safe client allowed to reach loopback fakes), without the server's own worker, so a test drives every pass.
/// </summary>
internal sealed class OutboundHarness : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly IngestWriter _writer;

    private OutboundHarness(Database db, IngestQueue queue, IngestWriter writer, ChannelAccountStore accounts, OutboundHttp http)
    {
        Db = db;
        Queue = queue;
        _writer = writer;
        Accounts = accounts;
        Http = http;
    }

    public Database Db { get; }

    public IngestQueue Queue { get; }

    public ChannelAccountStore Accounts { get; }

    public OutboundHttp Http { get; }

    public TimeProvider Time { get; } = TimeProvider.System;

    public static async Task<OutboundHarness> StartAsync(string provider, TimeSpan? httpTimeout = null)
    {
        var db = await TestDatabases.CreateMigratedAsync(provider);
        var queue = new IngestQueue();
        var writer = new IngestWriter(queue, db, new InboxFeed(), TimeProvider.System, NullLogger<IngestWriter>.Instance);
        var accounts = new ChannelAccountStore(db, new EphemeralDataProtectionProvider(), TimeProvider.System);
        var http = new OutboundHttp(new SafeHttpClient(new SafeHttpOptions { AllowLoopbackForTests = true, Timeout = httpTimeout ?? TimeSpan.FromSeconds(10) }));
        var harness = new OutboundHarness(db, queue, writer, accounts, http);
        await writer.StartAsync(harness._stop.Token);
        return harness;
    }

    public OutboundSender Sender(params OutboundAdapter[] adapters) =>
        new(Db, adapters, Queue, new InboxFeed(), Time, new OutboundSchedule());

    public OutboundWorker Worker(OutboundSender sender) =>
        new(Db, sender, new OutboundSchedule(), Time, NullLogger<OutboundWorker>.Instance);

    public async Task<long> AccountAsync(string kind, Dictionary<string, string> settings, Dictionary<string, string> secrets, string? name = null)
    {
        await using var conn = await Db.OpenAsync();
        return await Accounts.CreateAsync(conn, null, kind, name ?? kind + "-" + Guid.NewGuid().ToString("N")[..6], settings, secrets, null);
    }

    /// <summary>An inbound post (ingested through the pipeline, marked with the account) and a reply to it.</summary>
    public async Task<long> ReplyAsync(Post inbound, long? accountId, string text, string status = "approved", int needsApproval = 0, int requiredTiers = 0)
    {
        await Queue.IngestAsync(inbound);
        var now = Time.GetUtcNow().ToUnixTimeMilliseconds();
        await using var conn = await Db.OpenAsync();
        var user = await conn.ExecuteScalarAsync<long?>("SELECT id FROM users WHERE email = 'agent@test'")
            ?? await conn.ExecuteScalarAsync<long>(
                "INSERT INTO users (email, display_name, role, created_at) VALUES ('agent@test', 'Agent', 'agent', @now) RETURNING id", new { now });
        var (messageId, conversationId) = await conn.QueryFirstAsync<(long, long)>(
            "SELECT id, conversation_id FROM messages WHERE channel = @c AND external_id = @e", new { c = inbound.Channel, e = inbound.Id });
        if (accountId is not null)
        {
            await conn.ExecuteAsync("UPDATE conversations SET account_id = @a WHERE id = @id", new { a = accountId, id = conversationId });
        }

        return await conn.ExecuteScalarAsync<long>(
            """
            INSERT INTO replies (conversation_id, in_reply_to_message_id, author_id, channel, text, status, needs_approval, required_tiers,
              idempotency_key, created_at, updated_at)
            VALUES (@conversationId, @messageId, @user, @channel, @text, @status, @needsApproval, @requiredTiers, @key, @now, @now) RETURNING id
            """,
            new { conversationId, messageId, user, channel = inbound.Channel, text, status, needsApproval, requiredTiers, key = "reply-" + Guid.NewGuid().ToString("N"), now });
    }

    public async Task<ReplyState> StateAsync(long replyId)
    {
        await using var conn = await Db.OpenAsync();
        return await conn.QueryFirstAsync<ReplyState>(
            "SELECT status AS Status, external_id AS ExternalId, error AS Error, next_attempt_at AS NextAttemptAt, attempts AS Attempts FROM replies WHERE id = @replyId",
            new { replyId });
    }

    public async Task<long> OutgoingMessagesAsync()
    {
        await using var conn = await Db.OpenAsync();
        return await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM messages WHERE direction = 'out'");
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _writer.StopAsync(CancellationToken.None);
        }
        catch (OperationCanceledException)
        {
        }

        _writer.Dispose();
        Http.Dispose();
    }
}

internal sealed record ReplyState(string Status, string? ExternalId, string? Error, long? NextAttemptAt, long Attempts);
