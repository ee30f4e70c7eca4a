using System.Data.Common;
using System.Text.Json;
using Dapper;
using Switchboard.Posts;
using Switchboard.Storage;
// A value tuple, not a record: Dapper fills tuples by position and converts PostgreSQL's int to long, where a record's
// constructor must match the column types exactly.
using Row = (string Channel, string ExternalId, string Error, long Attempts, long First, long Last, long? Parked, string Json);

namespace Switchboard.Ingest;

/// <summary>A parked post, as the API lists it.</summary>
internal sealed record DeadLetterDto(string Channel, string ExternalId, string Error, int Attempts, DateTimeOffset FirstFailedAt,
    DateTimeOffset LastFailedAt, DateTimeOffset? ParkedAt, string Post);

/// <summary>
/// Poison posts: one that fails on its own is counted by its (channel, id); at <see cref="MaxAttempts"/> it is parked,
/// and the writer answers its source as if it was stored, so a redelivering provider (Meta retries for 36 hours)
/// stops and the post waits here for an operator (who retries it once the cause is fixed, or discards it) instead of
/// failing every delivery.
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
        // One statement, so two writers failing the same post cannot both miss the attempt that parks it.
        var parkedAt = await conn.ExecuteScalarAsync<long?>(new CommandDefinition(
            """
            INSERT INTO dead_letters (channel, external_id, post_json, error, attempts, first_failed_at, last_failed_at, parked_at)
            VALUES (@channel, @id, @json, @error, 1, @now, @now, NULL)
            ON CONFLICT (channel, external_id) DO UPDATE SET attempts = dead_letters.attempts + 1, error = @error, last_failed_at = @now,
              parked_at = COALESCE(dead_letters.parked_at, CASE WHEN dead_letters.attempts + 1 >= @max THEN @now END)
            RETURNING parked_at
            """,
            new { channel = key.Channel, id = key.Id, json = JsonSerializer.Serialize(key), error = error.Length > 1000 ? error[..1000] : error, now, max = MaxAttempts },
            cancellationToken: ct));
        return parkedAt is not null;
    }

    public static async Task<IReadOnlyList<DeadLetterDto>> ListAsync(Database db, CancellationToken ct)
    {
        await using var conn = await db.OpenAsync(ct);
        var rows = await conn.QueryAsync<Row>(new CommandDefinition(
            $"{Select} ORDER BY last_failed_at DESC LIMIT 200", cancellationToken: ct));
        return [.. rows.Select(ToDto)];
    }

    public static async Task<DeadLetterDto?> FindAsync(DbConnection conn, string channel, string externalId, CancellationToken ct)
    {
        var rows = await conn.QueryAsync<Row>(new CommandDefinition(
            $"{Select} WHERE channel = @channel AND external_id = @externalId", new { channel, externalId }, cancellationToken: ct));
        return rows.Select(ToDto).FirstOrDefault();
    }

    /// <summary>The post as it was first stored here (its storable form), for a retry.</summary>
    public static Post? PostOf(DeadLetterDto letter)
    {
        try
        {
            return JsonSerializer.Deserialize<Post>(letter.Post);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public static Task<int> DeleteAsync(DbConnection conn, DbTransaction tx, string channel, string externalId) =>
        conn.ExecuteAsync("DELETE FROM dead_letters WHERE channel = @channel AND external_id = @externalId", new { channel, externalId }, tx);

    private const string Select =
        "SELECT channel, external_id, error, attempts, first_failed_at, last_failed_at, parked_at, post_json FROM dead_letters";


    private static DeadLetterDto ToDto(Row r) =>
        new(r.Channel, r.ExternalId, r.Error, (int)r.Attempts, DateTimeOffset.FromUnixTimeMilliseconds(r.First),
            DateTimeOffset.FromUnixTimeMilliseconds(r.Last), r.Parked is { } p ? DateTimeOffset.FromUnixTimeMilliseconds(p) : null, r.Json);
}
