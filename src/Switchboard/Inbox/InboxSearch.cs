using System.Data.Common;
using System.Globalization;
using Dapper;
using Switchboard.Auth;
using Switchboard.Storage;

namespace Switchboard.Inbox;

/// <summary>
/// Full-text search over message texts and author handles/names: SQLite FTS5 (messages_fts, authors_fts) or
/// PostgreSQL tsvector columns with GIN indexes (migration 0008). Results are conversations in the caller's scope,
/// newest activity first.
/// </summary>
internal static class InboxSearch
{
    /// <summary>Matching messages are read newest first in batches; a scoped user whose teams hold few of the
    /// matches stops after this many batches rather than walking a million postings.</summary>
    private const int Batch = 500;
    private const int MaxBatches = 8;

    public static async Task<IReadOnlyList<ConversationSummary>> SearchAsync(
        DbConnection conn, Database db, SearchText search, AccessScope scope, int limit, CancellationToken ct)
    {
        limit = Math.Clamp(limit, 1, ConversationQueries.MaxPageSize);
        var found = new List<ConversationSummary>();
        var seen = new HashSet<long>();

        // Authors first: a search for a handle should show that person's conversations even if their texts do not
        // contain it.
        var authorSql = db.IsSqlite
            ? "SELECT rowid FROM authors_fts WHERE authors_fts MATCH @q LIMIT 200"
            : "SELECT id FROM authors WHERE search @@ to_tsquery('simple', @q) LIMIT 200";
        var authorIds = (await conn.QueryAsync<long>(new CommandDefinition(authorSql, new { q = Query(db, search) }, cancellationToken: ct))).ToList();
        if (authorIds.Count > 0)
        {
            await AddAsync(conn, $"c.author_id IN ({Ids(authorIds)})", scope, limit, found, seen, ct);
        }

        long? before = null;
        for (var batch = 0; batch < MaxBatches && found.Count < limit; batch++)
        {
            var messageSql = db.IsSqlite
                ? $"""
                   SELECT f.rowid AS Id, m.conversation_id AS ConversationId FROM messages_fts f JOIN messages m ON m.id = f.rowid
                   WHERE messages_fts MATCH @q {(before is null ? "" : "AND f.rowid < @before")} ORDER BY f.rowid DESC LIMIT {Batch}
                   """
                : $"""
                   SELECT m.id AS Id, m.conversation_id AS ConversationId FROM messages m
                   WHERE m.search @@ to_tsquery('simple', @q) {(before is null ? "" : "AND m.id < @before")} ORDER BY m.id DESC LIMIT {Batch}
                   """;
            var hits = (await conn.QueryAsync<(long Id, long ConversationId)>(new CommandDefinition(messageSql, new { q = Query(db, search), before }, cancellationToken: ct))).ToList();
            var fresh = hits.Select(h => h.ConversationId).Where(id => !seen.Contains(id)).Distinct().ToList();
            if (fresh.Count > 0)
            {
                await AddAsync(conn, $"c.id IN ({Ids(fresh)})", scope, limit - found.Count, found, seen, ct);
            }

            if (hits.Count < Batch)
            {
                break;
            }

            before = hits[^1].Id;
        }

        return [.. found.OrderByDescending(c => c.LastMessageAt).ThenByDescending(c => c.Id).Take(limit)];
    }

    private static string Query(Database db, SearchText s) => db.IsSqlite ? s.ToFts5() : s.ToTsQuery();

    private static string Ids(IEnumerable<long> ids) => string.Join(',', ids.Select(i => i.ToString(CultureInfo.InvariantCulture)));

    private static async Task AddAsync(DbConnection conn, string condition, AccessScope scope, int limit, List<ConversationSummary> found, HashSet<long> seen, CancellationToken ct)
    {
        var filter = new ConversationFilter { Scope = scope, Conditions = [new SqlCondition(condition, new Dictionary<string, object?>())] };
        var page = await ConversationQueries.ListAsync(conn, filter, null, Math.Max(1, limit), ct);
        foreach (var c in page.Items.Where(c => seen.Add(c.Id)))
        {
            found.Add(c);
        }
    }
}
