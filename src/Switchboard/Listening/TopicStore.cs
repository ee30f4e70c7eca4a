using System.Data.Common;
using System.Security.Claims;
using Dapper;
using Switchboard.Audit;
using Switchboard.Storage;

namespace Switchboard.Listening;

/// <summary>A listening topic as stored, with its backfill progress.</summary>
internal sealed record Topic(
    long Id,
    string Name,
    string Query,
    string Status,
    long Version,
    long MatchCount,
    long BackfilledVersion,
    long BackfillCursor,
    long? BackfillTarget,
    long? CreatedBy,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt)
{
    /// <summary>True while stored messages are being re-scanned for the current query.</summary>
    public bool Backfilling => Status == TopicStatus.Active && BackfilledVersion < Version;

    /// <summary>Share of the current backfill done, 0..1 (1 when backfilled).</summary>
    public double BackfillProgress => !Backfilling ? 1
        : BackfillTarget is not { } target || target <= 0 ? 0
        : Math.Clamp((double)BackfillCursor / target, 0, 0.999);
}

internal enum TopicFailure
{
    None,
    Invalid,
    Conflict,
    NotFound,
}

/// <summary>The outcome of a topic change: the topic, or why not (a query error carries its column).</summary>
internal sealed record TopicResult(Topic? Topic, TopicFailure Failure = TopicFailure.None, string? Detail = null, QueryError? QueryError = null)
{
    public static TopicResult Invalid(string detail, QueryError? error = null) => new(null, TopicFailure.Invalid, detail, error);

    public static TopicResult NotFound(long id) => new(null, TopicFailure.NotFound, $"no topic {id}");
}

/// <summary>
/// Creates, edits, pauses, resumes and deletes listening topics: each change and its audit record in one transaction,
/// then the in-process index is updated and the backfill woken. Editing the query bumps the version, which is what
/// the backfill re-scans history for; renaming does not.
/// </summary>
internal sealed class TopicStore(Database db, TopicIndex index, TopicBackfill backfill, TimeProvider time)
{
    public const int MaxNameLength = 100;

    private const string Columns = """
        id AS Id, name AS Name, query AS Query, status AS Status, version AS Version, match_count AS MatchCount,
        backfilled_version AS BackfilledVersion, backfill_cursor AS BackfillCursor, backfill_target AS BackfillTarget,
        created_by AS CreatedBy, created_at AS CreatedAtMs, updated_at AS UpdatedAtMs
        """;

    /// <summary>Checks a name and a query: the reason (and, for the query, the column) of the first problem, or null.</summary>
    public static TopicResult? Validate(string? name, string? query)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            return TopicResult.Invalid("name is required");
        }

        if (name.Trim().Length > MaxNameLength)
        {
            return TopicResult.Invalid($"name is longer than {MaxNameLength} characters");
        }

        if (name.Any(char.IsControl))
        {
            return TopicResult.Invalid("name must not contain control characters");
        }

        var parsed = QueryParser.Parse(query);
        return parsed.Error is { } e ? TopicResult.Invalid($"query: {e}", e) : null;
    }

    public static async Task<IReadOnlyList<Topic>> ListAsync(DbConnection conn, CancellationToken ct = default) =>
        [.. (await conn.QueryAsync<Row>(new CommandDefinition($"SELECT {Columns} FROM topics ORDER BY LOWER(name), id", cancellationToken: ct)))
            .Select(r => r.ToTopic())];

    public static async Task<Topic?> GetAsync(DbConnection conn, long id, DbTransaction? tx = null, CancellationToken ct = default) =>
        (await conn.QueryFirstOrDefaultAsync<Row>(new CommandDefinition($"SELECT {Columns} FROM topics WHERE id = @id", new { id }, tx, cancellationToken: ct)))?.ToTopic();

    public async Task<TopicResult> CreateAsync(ClaimsPrincipal user, string? name, string? query, CancellationToken ct)
    {
        if (Validate(name, query) is { } invalid)
        {
            return invalid;
        }

        name = name!.Trim();
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        await using var conn = await db.OpenAsync(ct);
        await using var tx = await BeginAsync(conn, ct);
        if (await NameTakenAsync(conn, tx, name, null))
        {
            return Conflict(name);
        }

        long id;
        try
        {
            id = await conn.ExecuteScalarAsync<long>(
            """
            INSERT INTO topics (name, query, status, version, match_count, backfilled_version, backfill_cursor, backfill_target,
                created_by, created_at, updated_at)
            VALUES (@name, @query, 'active', 1, 0, 0, 0, NULL, @by, @now, @now)
            RETURNING id
            """, new { name, query, by = UserIdOrNull(user), now }, tx);
        }
        catch (DbException e) when (IsUniqueViolation(e))
        {
            return Conflict(name);
        }

        var topic = (await GetAsync(conn, id, tx, ct))!;
        await AuditLog.WriteAsync(conn, tx, AuditEntry.By(user, "topic.create", "topic", Id(id), after: Snapshot(topic)), time);
        await tx.CommitAsync(ct);
        await AfterChangeAsync(id, ct);
        return new TopicResult(topic);
    }

    /// <summary>Renames and/or changes the query. A new query bumps the version and restarts the backfill.</summary>
    public async Task<TopicResult> UpdateAsync(ClaimsPrincipal user, long id, string? name, string? query, CancellationToken ct)
    {
        if (Validate(name, query) is { } invalid)
        {
            return invalid;
        }

        name = name!.Trim();
        await using var conn = await db.OpenAsync(ct);
        await using var tx = await BeginAsync(conn, ct);
        var before = await GetAsync(conn, id, tx, ct);
        if (before is null)
        {
            return TopicResult.NotFound(id);
        }

        if (await NameTakenAsync(conn, tx, name, id))
        {
            return Conflict(name);
        }

        var queryChanged = before.Query != query;
        if (!queryChanged && before.Name == name)
        {
            return new TopicResult(before);
        }

        try
        {
            await conn.ExecuteAsync(
            """
            UPDATE topics SET name = @name, query = @query, updated_at = @updated,
              version = version + @bump,
              backfill_cursor = CASE WHEN @bump = 1 THEN 0 ELSE backfill_cursor END,
              backfill_target = CASE WHEN @bump = 1 THEN NULL ELSE backfill_target END
            WHERE id = @id
            """, new { id, name, query, bump = queryChanged ? 1L : 0L, updated = NextUpdatedAt(before) }, tx);
        }
        catch (DbException e) when (IsUniqueViolation(e))
        {
            return Conflict(name);
        }

        var after = (await GetAsync(conn, id, tx, ct))!;
        await AuditLog.WriteAsync(conn, tx, AuditEntry.By(user, "topic.update", "topic", Id(id), Snapshot(before), Snapshot(after)), time);
        await tx.CommitAsync(ct);
        await AfterChangeAsync(id, ct);
        return new TopicResult(after);
    }

    /// <summary>Pausing stops matching new posts (stored matches stay); resuming starts again and finishes any backfill.</summary>
    public async Task<TopicResult> SetStatusAsync(ClaimsPrincipal user, long id, string status, CancellationToken ct)
    {
        await using var conn = await db.OpenAsync(ct);
        await using var tx = await BeginAsync(conn, ct);
        var before = await GetAsync(conn, id, tx, ct);
        if (before is null)
        {
            return TopicResult.NotFound(id);
        }

        if (before.Status == status)
        {
            return new TopicResult(before);
        }

        await conn.ExecuteAsync("UPDATE topics SET status = @status, updated_at = @updated WHERE id = @id",
            new { id, status, updated = NextUpdatedAt(before) }, tx);
        var after = (await GetAsync(conn, id, tx, ct))!;
        var action = status == TopicStatus.Paused ? "topic.pause" : "topic.resume";
        await AuditLog.WriteAsync(conn, tx, AuditEntry.By(user, action, "topic", Id(id), Snapshot(before), Snapshot(after)), time);
        await tx.CommitAsync(ct);
        await AfterChangeAsync(id, ct);
        return new TopicResult(after);
    }

    /// <summary>Deletes the topic and every stored match of it.</summary>
    public async Task<TopicResult> DeleteAsync(ClaimsPrincipal user, long id, CancellationToken ct)
    {
        await using var conn = await db.OpenAsync(ct);
        await using var tx = await BeginAsync(conn, ct);
        var before = await GetAsync(conn, id, tx, ct);
        if (before is null)
        {
            return TopicResult.NotFound(id);
        }

        await conn.ExecuteAsync("DELETE FROM message_topics WHERE topic_id = @id", new { id }, tx);
        await conn.ExecuteAsync("DELETE FROM topics WHERE id = @id", new { id }, tx);
        await AuditLog.WriteAsync(conn, tx, AuditEntry.By(user, "topic.delete", "topic", Id(id), before: Snapshot(before)), time);
        await tx.CommitAsync(ct);
        await AfterChangeAsync(id, ct);
        return new TopicResult(before);
    }

    private async Task AfterChangeAsync(long id, CancellationToken ct)
    {
        // The index first, so posts ingested from now on are matched with the new query before the backfill fixes
        // the target (the highest message id it re-scans).
        await index.ApplyAsync(db, id, ct);
        backfill.Wake();
    }

    /// <summary>updated_at strictly increases on every change, so the other processes' cheap check always sees it.</summary>
    private long NextUpdatedAt(Topic before) =>
        Math.Max(time.GetUtcNow().ToUnixTimeMilliseconds(), before.UpdatedAt.ToUnixTimeMilliseconds() + 1);

    /// <summary>Names are unique ignoring case, so "Acme" and "acme" cannot both exist.</summary>
    private static async Task<bool> NameTakenAsync(DbConnection conn, DbTransaction tx, string name, long? except) =>
        await conn.ExecuteScalarAsync<long?>(
            "SELECT id FROM topics WHERE LOWER(name) = LOWER(@name) AND id <> @except",
            new { name, except = except ?? 0 }, tx) is not null;

    /// <summary>Two concurrent creates with one name: the unique constraint decides, and the loser gets a conflict.</summary>
    private static bool IsUniqueViolation(DbException e) =>
        e is Microsoft.Data.Sqlite.SqliteException { SqliteErrorCode: 19 } or Npgsql.PostgresException { SqlState: "23505" };

    private static TopicResult Conflict(string name) => new(null, TopicFailure.Conflict, $"a topic named '{name}' already exists");

    private static object Snapshot(Topic t) => new { t.Name, t.Query, t.Status, t.Version };

    private static long? UserIdOrNull(ClaimsPrincipal user) => Auth.Principal.UserId(user) is var id and > 0 ? id : null;

    private static string Id(long id) => id.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>SQLite: take the write lock up front (a deferred transaction that reads first can fail to upgrade).</summary>
    internal static async Task<DbTransaction> BeginAsync(DbConnection conn, CancellationToken ct) =>
        conn is Microsoft.Data.Sqlite.SqliteConnection s ? s.BeginTransaction(deferred: false) : await conn.BeginTransactionAsync(ct);

    private sealed class Row
    {
        public long Id { get; init; }
        public string Name { get; init; } = "";
        public string Query { get; init; } = "";
        public string Status { get; init; } = "";
        public long Version { get; init; }
        public long MatchCount { get; init; }
        public long BackfilledVersion { get; init; }
        public long BackfillCursor { get; init; }
        public long? BackfillTarget { get; init; }
        public long? CreatedBy { get; init; }
        public long CreatedAtMs { get; init; }
        public long UpdatedAtMs { get; init; }

        public Topic ToTopic() => new(Id, Name, Query, Status, Version, MatchCount, BackfilledVersion, BackfillCursor, BackfillTarget,
            CreatedBy, DateTimeOffset.FromUnixTimeMilliseconds(CreatedAtMs), DateTimeOffset.FromUnixTimeMilliseconds(UpdatedAtMs));
    }
}
