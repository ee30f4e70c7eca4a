using System.Text.Json;
using Dapper;
using Switchboard.Posts;
using Switchboard.Storage;

namespace Switchboard.Ingest;

/// <summary>A parked post, as the API lists it.</summary>
internal sealed record DeadLetterDto(string Channel, string ExternalId, string Error, int Attempts, DateTimeOffset FirstFailedAt,
    DateTimeOffset LastFailedAt, DateTimeOffset? ParkedAt, string Post);

/// <summary>
/// Poison posts: one that fails on its own is counted by its (channel, id); at <see cref="MaxAttempts"/> it is parked,
/// and the writer answers its source as if it was stored, so a redelivering provider (Meta retries for 36 hours)
/// stops and the post waits here for an operator instead of failing every delivery.
/// </summary>
internal static class DeadLetters
{
    public const int MaxAttempts = 3;

    /// <summary>Records one more failure; true when the post is now parked.</summary>
    public static async Task<bool> RecordFailureAsync(Database db, Post post, string error, TimeProvider time, CancellationToken ct)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var key = post.Storable();
        await using var conn = await db.OpenAsync(ct);
        var attempts = await conn.ExecuteScalarAsync<long>(new CommandDefinition(
            """
            INSERT INTO dead_letters (channel, external_id, post_json, error, attempts, first_failed_at, last_failed_at, parked_at)
            VALUES (@channel, @id, @json, @error, 1, @now, @now, NULL)
            ON CONFLICT (channel, external_id) DO UPDATE SET attempts = dead_letters.attempts + 1, error = @error, last_failed_at = @now
            RETURNING attempts
            """,
            new { channel = key.Channel, id = key.Id, json = JsonSerializer.Serialize(key), error = error.Length > 1000 ? error[..1000] : error, now },
            cancellationToken: ct));
        if (attempts < MaxAttempts)
            return false;
        await conn.ExecuteAsync(new CommandDefinition(
            "UPDATE dead_letters SET parked_at = COALESCE(parked_at, @now) WHERE channel = @channel AND external_id = @id",
            new { channel = key.Channel, id = key.Id, now }, cancellationToken: ct));
        return true;
    }

    public static async Task<IReadOnlyList<DeadLetterDto>> ListAsync(Database db, CancellationToken ct)
    {
        await using var conn = await db.OpenAsync(ct);
        var rows = await conn.QueryAsync<(string Channel, string ExternalId, string Error, long Attempts, long First, long Last, long? Parked, string Json)>(
            new CommandDefinition(
                "SELECT channel, external_id, error, attempts, first_failed_at, last_failed_at, parked_at, post_json FROM dead_letters ORDER BY last_failed_at DESC LIMIT 200",
                cancellationToken: ct));
        return [.. rows.Select(r => new DeadLetterDto(r.Channel, r.ExternalId, r.Error, (int)r.Attempts, DateTimeOffset.FromUnixTimeMilliseconds(r.First),
            DateTimeOffset.FromUnixTimeMilliseconds(r.Last), r.Parked is { } p ? DateTimeOffset.FromUnixTimeMilliseconds(p) : null, r.Json))];
    }
}
