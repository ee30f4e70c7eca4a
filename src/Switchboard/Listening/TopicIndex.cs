using System.Data.Common;
using System.Globalization;
using Dapper;
using Switchboard.Posts;
using Switchboard.Storage;

namespace Switchboard.Listening;

/// <summary>
/// The matcher over this workspace's ACTIVE listening topics, shared by everything in the process that ingests posts.
/// <para>
/// The index is never rebuilt: a create, edit, pause, resume or delete made here is applied to it right after its
/// commit (<see cref="ApplyAsync"/>), one topic at a time. Changes made by another process (an `import` next to the
/// server, a second server on the same PostgreSQL) are found by <see cref="RefreshAsync"/>, which the pipeline calls
/// once per batch: one aggregate over the small topics table, and only when it differs from the last one seen are the
/// rows read and the changed topics (by version and status) upserted or removed.
/// </para>
/// <para>
/// <see cref="ListeningIndex"/> is not thread-safe, so matching and index changes take one lock; matching a post costs
/// microseconds, so the lock is never held long. Index changes are additionally serialised (reading the rows and
/// applying them is one step), so a slow refresh can never apply rows older than a change applied after it.
/// </para>
/// </summary>
internal sealed class TopicIndex(ILogger<TopicIndex>? log = null)
{
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _changes = new(1, 1);
    private readonly ListeningIndex _index = new();
    private readonly PostDocument _doc = new();
    private readonly List<string> _results = [];
    /// <summary>Topic id → version currently in the index (active topics only).</summary>
    private readonly Dictionary<long, long> _versions = [];
    /// <summary>Topic id → name (active topics only): routing rules name topics, and a rename bumps no version.</summary>
    private readonly Dictionary<long, string> _names = [];
    private Fingerprint? _seen;

    /// <summary>What the per-batch check compares: any create, edit, pause, resume or delete changes it.</summary>
    private sealed record Fingerprint(long Count, long UpdatedAt, long Versions);

    internal sealed record TopicState(long Id, string Name, string Query, string Status, long Version);

    /// <summary>Number of topics in the index (the active ones).</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _index.Count;
            }
        }
    }

    /// <summary>
    /// The ids of the active topics whose query matches the post, ascending; empty for most posts. The post should
    /// carry the language the pipeline stores for it, so `lang:` matches live posts and backfilled ones alike.
    /// </summary>
    public IReadOnlyList<long> Match(Post post)
    {
        lock (_gate)
        {
            if (_index.Count == 0)
            {
                return [];
            }

            _doc.Load(post);
            _results.Clear();
            _index.Match(_doc, _results);
            if (_results.Count == 0)
            {
                return [];
            }

            var ids = new long[_results.Count];
            for (var i = 0; i < ids.Length; i++)
            {
                ids[i] = long.Parse(_results[i], CultureInfo.InvariantCulture);
            }

            Array.Sort(ids);
            return ids;
        }
    }

    /// <summary>The names of matched topics (as <see cref="Match"/> returned them), for routing rules that name topics.</summary>
    public IReadOnlyList<string> NamesOf(IReadOnlyList<long> ids)
    {
        if (ids.Count == 0)
        {
            return [];
        }

        lock (_gate)
        {
            return [.. ids.Select(id => _names.TryGetValue(id, out var name) ? name : null).OfType<string>()];
        }
    }

    /// <summary>
    /// Brings the index up to date with the topics table when another process changed it: one cheap aggregate when
    /// nothing changed (the common case, once per ingest batch). Safe inside the caller's transaction.
    /// </summary>
    public async Task RefreshAsync(DbConnection conn, DbTransaction? tx, CancellationToken ct = default)
    {
        var now = await ReadFingerprintAsync(conn, tx, ct);
        lock (_gate)
        {
            if (now == _seen)
            {
                return;
            }
        }

        await _changes.WaitAsync(ct);
        try
        {
            // Read the fingerprint before the rows: a change between the two makes the next check read again.
            now = await ReadFingerprintAsync(conn, tx, ct);
            var rows = (await conn.QueryAsync<TopicState>(new CommandDefinition(
                "SELECT id AS Id, name AS Name, query AS Query, status AS Status, version AS Version FROM topics", transaction: tx, cancellationToken: ct))).ToList();
            lock (_gate)
            {
                var present = new HashSet<long>();
                foreach (var row in rows)
                {
                    present.Add(row.Id);
                    ApplyLocked(row.Id, row);
                }

                foreach (var id in _versions.Keys.Where(id => !present.Contains(id)).ToList())
                {
                    ApplyLocked(id, null);
                }

                _seen = now;
            }
        }
        finally
        {
            _changes.Release();
        }
    }

    /// <summary>Applies one topic's committed state (or its deletion) to the index: called after every change made here.</summary>
    public async Task ApplyAsync(Database db, long topicId, CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct);
        await _changes.WaitAsync(ct);
        try
        {
            var row = await conn.QueryFirstOrDefaultAsync<TopicState>(new CommandDefinition(
                "SELECT id AS Id, name AS Name, query AS Query, status AS Status, version AS Version FROM topics WHERE id = @topicId",
                new { topicId }, cancellationToken: ct));
            lock (_gate)
            {
                ApplyLocked(topicId, row);
            }
        }
        finally
        {
            _changes.Release();
        }
    }

    private void ApplyLocked(long id, TopicState? row)
    {
        var key = id.ToString(CultureInfo.InvariantCulture);
        if (row is null || row.Status != TopicStatus.Active)
        {
            _names.Remove(id);
            if (_versions.Remove(id))
            {
                _index.Remove(key);
            }

            return;
        }

        _names[id] = row.Name;

        if (_versions.TryGetValue(id, out var version) && version == row.Version)
        {
            return;
        }

        var parsed = QueryParser.Parse(row.Query);
        if (parsed.Query is null)
        {
            // Stored queries were valid when saved; one that a newer parser rejects must not stop ingestion.
            log?.LogWarning("Topic {Id} is not matched: its query is invalid ({Error})", id, parsed.Error);
            _versions.Remove(id);
            _index.Remove(key);
            return;
        }

        _index.Upsert(key, parsed.Query);
        _versions[id] = row.Version;
    }

    private static async Task<Fingerprint> ReadFingerprintAsync(DbConnection conn, DbTransaction? tx, CancellationToken ct)
    {
        var (count, updatedAt, versions) = await conn.QueryFirstAsync<(long, long, long)>(new CommandDefinition(
            """
            SELECT COUNT(*), CAST(COALESCE(MAX(updated_at), 0) AS BIGINT), CAST(COALESCE(SUM(version), 0) AS BIGINT)
            FROM topics
            """, transaction: tx, cancellationToken: ct));
        return new Fingerprint(count, updatedAt, versions);
    }
}

/// <summary>The states of a topic (topics.status).</summary>
internal static class TopicStatus
{
    public const string Active = "active";
    public const string Paused = "paused";
}
