using Dapper;
using Switchboard.Storage;

namespace Switchboard.Channels.Connectors;

/// <summary>A connector's health row as the API and the page show it.</summary>
internal sealed record ChannelHealthRow(
    long AccountId, string? Cursor, long? LastDeliveryAt, long? LastAttemptAt, string? LastError, long? LastErrorAt,
    long Deliveries, long Errors, long Reconnects, long? LagMs, string AlertState, long? StartedAt, long ConsecutiveErrors,
    double ErrorRate, long Attempts);

/// <summary>
/// Writes what connectors do into channel_health. The cursor (resume point) is written only by
/// <see cref="RecordSuccessAsync"/>, which a connector calls after the posts it covers are committed by the ingest
/// writer: a crash in between replays them, and dedupe absorbs the replay.
/// </summary>
internal sealed class ChannelHealthStore(Database db, TimeProvider time)
{
    private const string Columns =
        "account_id AS AccountId, cursor AS Cursor, last_delivery_at AS LastDeliveryAt, last_attempt_at AS LastAttemptAt, " +
        "last_error AS LastError, last_error_at AS LastErrorAt, deliveries AS Deliveries, errors AS Errors, reconnects AS Reconnects, " +
        "lag_ms AS LagMs, alert_state AS AlertState, started_at AS StartedAt, consecutive_errors AS ConsecutiveErrors, " +
        "error_rate AS ErrorRate, attempts AS Attempts";

    private long Now => time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Creates the row if missing and marks the connector's start (silence is measured from it until a first delivery).</summary>
    public async Task StartAsync(long accountId, CancellationToken ct)
    {
        await using var conn = await db.OpenAsync(ct);
        await conn.ExecuteAsync(
            """
            INSERT INTO channel_health (account_id, started_at, updated_at) VALUES (@accountId, @now, @now)
            ON CONFLICT (account_id) DO UPDATE SET started_at = COALESCE(channel_health.started_at, excluded.started_at)
            """, new { accountId, now = Now });
    }

    public async Task<string?> CursorAsync(long accountId, CancellationToken ct)
    {
        await using var conn = await db.OpenAsync(ct);
        return await conn.ExecuteScalarAsync<string?>("SELECT cursor FROM channel_health WHERE account_id = @accountId", new { accountId });
    }

    public async Task<ChannelHealthRow?> GetAsync(long accountId, CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct);
        return await conn.QueryFirstOrDefaultAsync<ChannelHealthRow>($"SELECT {Columns} FROM channel_health WHERE account_id = @accountId", new { accountId });
    }

    public async Task<IReadOnlyList<ChannelHealthRow>> ListAsync(CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct);
        return [.. await conn.QueryAsync<ChannelHealthRow>($"SELECT {Columns} FROM channel_health ORDER BY account_id")];
    }

    /// <summary>
    /// A successful attempt (poll, page, batch of stream events) whose <paramref name="delivered"/> posts are committed.
    /// <paramref name="cursor"/> null keeps the stored one; <paramref name="lag"/> is how old the newest item was on arrival.
    /// </summary>
    public async Task RecordSuccessAsync(long accountId, int delivered, string? cursor, TimeSpan? lag, CancellationToken ct)
    {
        await using var conn = await db.OpenAsync(ct);
        await conn.ExecuteAsync(
            """
            UPDATE channel_health SET
              deliveries = deliveries + @delivered,
              last_delivery_at = CASE WHEN @delivered > 0 THEN @now ELSE last_delivery_at END,
              last_attempt_at = @now, attempts = attempts + 1, consecutive_errors = 0,
              error_rate = error_rate * @keep,
              cursor = COALESCE(@cursor, cursor),
              lag_ms = COALESCE(@lag, lag_ms),
              updated_at = @now
            WHERE account_id = @accountId
            """,
            new
            {
                accountId,
                delivered,
                cursor,
                now = Now,
                keep = 1 - new HealthRules().RateWeight,
                lag = lag is { } l ? (long?)Math.Max(0, (long)l.TotalMilliseconds) : null,
            });
    }

    /// <summary>A failed attempt. The message is the connector's own wording, never a request with credentials in it.</summary>
    public Task RecordErrorAsync(long accountId, string error, CancellationToken ct) => RecordErrorAsync(accountId, error, null, ct);

    /// <summary>Records a failed attempt; <paramref name="cursor"/>, when given, replaces the stored one (a poller's backoff).</summary>
    public async Task RecordErrorAsync(long accountId, string error, string? cursor, CancellationToken ct)
    {
        var w = new HealthRules().RateWeight;
        await using var conn = await db.OpenAsync(ct);
        await conn.ExecuteAsync(
            """
            UPDATE channel_health SET errors = errors + 1, consecutive_errors = consecutive_errors + 1, attempts = attempts + 1,
              error_rate = error_rate * @keep + @w, last_error = @error, last_error_at = @now, last_attempt_at = @now, updated_at = @now,
              cursor = COALESCE(@cursor, cursor)
            WHERE account_id = @accountId
            """, new { accountId, error = error.Length > 500 ? error[..500] : error, now = Now, keep = 1 - w, w, cursor });
    }

    public async Task RecordReconnectAsync(long accountId, CancellationToken ct)
    {
        await using var conn = await db.OpenAsync(ct);
        await conn.ExecuteAsync("UPDATE channel_health SET reconnects = reconnects + 1, updated_at = @now WHERE account_id = @accountId",
            new { accountId, now = Now });
    }
}
