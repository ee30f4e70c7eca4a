using System.Data.Common;
using System.Text;
using Dapper;
using Switchboard.Auth;
using Switchboard.Inbox;

namespace Switchboard.Audit;

public sealed record AuditRecord(long Id, DateTimeOffset At, long? ActorId, string Actor, string Action, string Entity, string? EntityId, string? Before, string? After);

/// <summary>Filters of the audit trail; null means any. Times are inclusive-exclusive Unix ms.</summary>
public sealed record AuditFilter(string? Actor = null, string? Action = null, string? Entity = null, string? EntityId = null, long? FromMs = null, long? ToMs = null);

/// <summary>Reads the audit trail newest first (keyset on id) and writes it as formula-safe CSV.</summary>
internal static class AuditQuery
{
    public const int MaxPage = 500;
    public const int MaxExport = 100_000;

    /// <summary>
    /// Records about one conversation (its own, its messages', replies' and hand-overs') carry what its team wrote:
    /// reply texts, notes, questions to experts. They are shown only to who sees the conversation (the inbox's
    /// <see cref="AccessScope"/>), like the conversation itself; workspace records (rules, topics, channels, people…)
    /// stay visible to every manager. Entity ids of these four kinds are always written as numbers, and CASE keeps
    /// PostgreSQL from casting any other kind's id.
    /// </summary>
    internal static string? ScopeSql(AccessScope scope, DynamicParameters p)
    {
        if (scope.AllTeams && scope.Channels.Count == 0)
        {
            return null;
        }

        string Through(string table) =>
            $"EXISTS (SELECT 1 FROM {table} x JOIN conversations c ON c.id = x.conversation_id WHERE x.id = CAST(audit_log.entity_id AS BIGINT) AND {scope.Sql(p)})";
        return "(CASE audit_log.entity"
            + $" WHEN 'conversation' THEN EXISTS (SELECT 1 FROM conversations c WHERE c.id = CAST(audit_log.entity_id AS BIGINT) AND {scope.Sql(p)})"
            + $" WHEN 'message' THEN {Through("messages")}"
            + $" WHEN 'reply' THEN {Through("replies")}"
            + $" WHEN 'handover' THEN {Through("handovers")}"
            + " ELSE 1 = 1 END)";
    }

    public static async Task<IReadOnlyList<AuditRecord>> ListAsync(DbConnection conn, AuditFilter f, AccessScope scope, long? beforeId, int limit, CancellationToken ct)
    {
        var where = new List<string>();
        var p = new DynamicParameters();
        if (ScopeSql(scope, p) is { } scoped)
        {
            where.Add(scoped);
        }
        void Eq(string column, string name, object? value)
        {
            if (value is not null)
            {
                where.Add($"{column} = @{name}");
                p.Add(name, value);
            }
        }

        Eq("actor", "actor", f.Actor);
        Eq("entity", "entity", f.Entity);
        Eq("entity_id", "entityId", f.EntityId);
        if (f.Action is not null)
        {
            // "conversation." selects a family of actions; a full name selects one.
            where.Add(f.Action.EndsWith('.') ? "action LIKE @action" : "action = @action");
            p.Add("action", f.Action.EndsWith('.') ? f.Action.Replace("%", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal) + "%" : f.Action);
        }

        if (f.FromMs is { } from)
        {
            where.Add("at >= @from");
            p.Add("from", from);
        }

        if (f.ToMs is { } to)
        {
            where.Add("at < @to");
            p.Add("to", to);
        }

        if (beforeId is { } b)
        {
            where.Add("id < @before");
            p.Add("before", b);
        }

        p.Add("limit", limit);
        var rows = await conn.QueryAsync<(long Id, long At, long? ActorId, string Actor, string Action, string Entity, string? EntityId, string? Before, string? After)>(new CommandDefinition(
            $"SELECT id, at, actor_id, actor, action, entity, entity_id, before_json, after_json FROM audit_log {(where.Count > 0 ? "WHERE " + string.Join(" AND ", where) : "")} ORDER BY id DESC LIMIT @limit",
            p, cancellationToken: ct));
        return [.. rows.Select(r => new AuditRecord(r.Id, DateTimeOffset.FromUnixTimeMilliseconds(r.At), r.ActorId, r.Actor, r.Action, r.Entity, r.EntityId, r.Before, r.After))];
    }

    public static string CsvHeader => CsvField.Row(["id", "at_utc", "actor_id", "actor", "action", "entity", "entity_id", "before", "after"]);

    public static string CsvRow(AuditRecord r) => CsvField.Row(
    [
        r.Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
        r.At.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture),
        r.ActorId?.ToString(System.Globalization.CultureInfo.InvariantCulture),
        r.Actor, r.Action, r.Entity, r.EntityId, r.Before, r.After,
    ]);

    /// <summary>Streams the whole filtered trail (up to MaxExport rows) in pages, so memory stays flat.</summary>
    public static async Task WriteCsvAsync(DbConnection conn, AuditFilter f, AccessScope scope, Stream output, CancellationToken ct)
    {
        await using var w = new StreamWriter(output, new UTF8Encoding(false), leaveOpen: true);
        await w.WriteAsync(CsvHeader);
        long? before = null;
        var written = 0;
        while (written < MaxExport)
        {
            var page = await ListAsync(conn, f, scope, before, MaxPage, ct);
            foreach (var r in page)
            {
                await w.WriteAsync(CsvRow(r));
            }

            written += page.Count;
            if (page.Count < MaxPage)
            {
                break;
            }

            before = page[^1].Id;
        }

        await w.FlushAsync(ct);
    }
}
