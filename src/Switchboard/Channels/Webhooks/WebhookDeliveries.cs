using System.Globalization;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Switchboard.Channels.Accounts;
using Switchboard.Ingest;
using Switchboard.Posts;
using Switchboard.Storage;

namespace Switchboard.Channels.Webhooks;

/// <summary>
/// What every webhook endpoint shares: the bounded body read, the account lookup, and the hand-over of verified posts
/// to the ingest pipeline. Nothing here writes before a signature was verified, so a forged or replayed request leaves
/// the database exactly as it was (refusals are logged, not stored: an unauthenticated caller must not be able to make
/// us write).
/// </summary>
internal sealed class WebhookDeliveries(Database db, ChannelAccountStore accounts, IngestQueue ingest, WebhookLimiter limiter,
    TimeProvider time, ILogger<WebhookDeliveries> log)
{
    public TimeProvider Time => time;

    /// <summary>The account when it exists, is enabled and is of the expected kind; else the refusal to answer.</summary>
    public async Task<(ChannelAccount? Account, IResult? Refusal)> AccountAsync(long accountId, string kind, CancellationToken ct)
    {
        if (!limiter.TryAcquire(accountId))
            return (null, TypedResults.Problem("too many deliveries for this account; retry later", statusCode: StatusCodes.Status429TooManyRequests));
        var account = await accounts.GetAsync(accountId, ct);
        if (account is null || !account.Enabled || account.Kind != kind)
        {
            // One answer for unknown, disabled and other-kind accounts: a caller learns nothing about which ids exist.
            log.LogWarning("Webhook for {Kind} account {Id} refused: no such enabled account", kind, accountId);
            return (null, TypedResults.Problem($"no enabled {kind} account with this id", statusCode: StatusCodes.Status404NotFound));
        }
        return (account, null);
    }

    /// <summary>Reads at most <paramref name="maxBytes"/> (Content-Length checked first, then counted for chunked bodies).</summary>
    public static async Task<(byte[]? Body, IResult? Refusal)> ReadBodyAsync(HttpRequest request, int maxBytes, CancellationToken ct)
    {
        var tooLarge = TypedResults.Problem($"body larger than {maxBytes} bytes", statusCode: StatusCodes.Status413PayloadTooLarge);
        if (request.ContentLength > maxBytes)
            return (null, tooLarge);
        using var buffer = new MemoryStream();
        var chunk = new byte[16384];
        int n;
        while ((n = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + n > maxBytes)
                return (null, tooLarge);
            buffer.Write(chunk, 0, n);
        }
        return (buffer.ToArray(), null);
    }

    public IResult Refuse(ChannelAccount account, SignatureCheck check)
    {
        log.LogWarning("Webhook for {Account} refused: {Reason}", account, check.Reason);
        return TypedResults.Problem(check.Reason, statusCode: StatusCodes.Status401Unauthorized, title: "Signature refused");
    }

    public IResult BadRequest(ChannelAccount account, string reason)
    {
        log.LogWarning("Webhook for {Account} refused: {Reason}", account, reason);
        return TypedResults.Problem(reason, statusCode: StatusCodes.Status400BadRequest, title: "Bad request");
    }

    /// <summary>
    /// 400 when a verified body is not UTF-8, which JSON must be (RFC 8259), else null. Checked on the whole body before
    /// any parsing, the same for every provider: the JSON readers only notice bad bytes in a string they read, so a
    /// body with them elsewhere was stored, and one with them in a Slack text was acknowledged with nothing stored —
    /// either way the sender never learnt its delivery was broken.
    /// </summary>
    public IResult? RefuseUnlessUtf8(ChannelAccount account, byte[] body) =>
        System.Text.Unicode.Utf8.IsValid(body) ? null : BadRequest(account, "the body is not valid UTF-8");

    /// <summary>
    /// Queues the posts and waits until they are committed (the network gets its 2xx only then), marks them and their
    /// conversations with the account (so a reply leaves through the same account), and counts the delivery in the
    /// account's health. A repeated delivery is a duplicate for the pipeline and the marking is idempotent, so a retry
    /// after a crash between commit and marking completes the job. <paramref name="response"/> is where the answer (the
    /// network's ack) goes, for the after-ack test hook (<see cref="IngestFaults"/>).
    /// </summary>
    public async Task<IResult> DeliverAsync(ChannelAccount account, IReadOnlyList<Post> posts, HttpResponse response, CancellationToken ct)
    {
        // Channel names are stored lower-case (Slack team ids are upper-case in events).
        posts = [.. posts.Select(p => p with { Channel = Posts.Channels.Normalize(p.Channel) })];
        IngestOutcome[] outcomes;
        try
        {
            outcomes = await Task.WhenAll(posts.Select(p => ingest.IngestAsync(p, ct)));
            await MarkAsync(account.Id, posts, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            log.LogError(ex, "Webhook delivery for {Account} could not be stored", account);
            await RecordErrorAsync(account.Id, "delivery not stored: " + ex.Message, CancellationToken.None);
            return TypedResults.Problem("the delivery could not be stored; retry", statusCode: StatusCodes.Status503ServiceUnavailable);
        }
        ingest.Faults?.CrossAfterResponse(response, posts.Count);
        return TypedResults.Ok(new WebhookResponse(outcomes.Count(o => o == IngestOutcome.Stored), outcomes.Count(o => o == IngestOutcome.Duplicate)));
    }

    /// <summary>A verified delivery with nothing to store (handshake, bot message, unhandled event) still shows the source is alive.</summary>
    public async Task<IResult> AcknowledgeAsync(ChannelAccount account, string reason, CancellationToken ct)
    {
        await MarkAsync(account.Id, [], ct);
        return TypedResults.Ok(new WebhookResponse(0, 0, reason));
    }

    private async Task MarkAsync(long accountId, IReadOnlyList<Post> posts, CancellationToken ct)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        await using var conn = await db.OpenAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await AccountStamp.StampAsync(conn, tx, accountId, posts);
        await conn.ExecuteAsync(
            """
            INSERT INTO channel_health (account_id, last_delivery_at, last_attempt_at, deliveries, errors, updated_at)
            VALUES (@a, @now, @now, 1, 0, @now)
            ON CONFLICT (account_id) DO UPDATE SET last_delivery_at = excluded.last_delivery_at,
              last_attempt_at = excluded.last_attempt_at, deliveries = channel_health.deliveries + 1, updated_at = excluded.updated_at
            """, new { a = accountId, now }, tx);
        await tx.CommitAsync(ct);
    }

    private async Task RecordErrorAsync(long accountId, string error, CancellationToken ct)
    {
        try
        {
            var now = time.GetUtcNow().ToUnixTimeMilliseconds();
            await using var conn = await db.OpenAsync(ct);
            await conn.ExecuteAsync(
                """
                INSERT INTO channel_health (account_id, last_attempt_at, last_error, last_error_at, deliveries, errors, updated_at)
                VALUES (@a, @now, @error, @now, 0, 1, @now)
                ON CONFLICT (account_id) DO UPDATE SET last_attempt_at = excluded.last_attempt_at, last_error = excluded.last_error,
                  last_error_at = excluded.last_error_at, errors = channel_health.errors + 1, updated_at = excluded.updated_at
                """, new { a = accountId, now, error });
        }
        catch (Exception ex) when (ex is System.Data.Common.DbException or InvalidOperationException)
        {
            log.LogError(ex, "Could not record the webhook error of account {Id}", accountId.ToString(CultureInfo.InvariantCulture));
        }
    }
}

internal sealed record WebhookResponse(int Stored, int Duplicates, string? Ignored = null);
