using System.Data.Common;
using Dapper;
using Switchboard.Auth;

namespace Switchboard.Reports;

/// <summary>What a report is about: a period, optionally one team or channel, always within the reader's scope.</summary>
internal sealed record ReportQuery(ReportPeriod Period, TimeSpan ResponseTarget, string? Team = null, string? Channel = null);

/// <summary>
/// Reads the facts a report is computed from (Domain/Reports/Kpis does the arithmetic). One row per conversation
/// started in the period, so every number can be traced back to conversations: the page links each one to the inbox
/// filtered the same way, and the CSV export is the same rows.
/// </summary>
internal static class KpiQueries
{
    public static async Task<KpiReport> LoadAsync(DbConnection conn, AccessScope scope, ReportQuery q, CancellationToken ct)
    {
        var names = await NamesAsync(conn, ct);
        var facts = await FactsAsync(conn, scope, q, names, ct);
        var messages = await MessagesAsync(conn, scope, q, ct);
        var topics = await TopicsAsync(conn, scope, q, ct);
        var report = Kpis.Compute(q.Period, q.ResponseTarget, facts, messages, topics);
        var before = q with { Period = q.Period.Previous };
        return report with
        {
            Previous = Kpis.Compare(before.Period, q.ResponseTarget, await FactsAsync(conn, scope, before, names, ct), await MessagesAsync(conn, scope, before, ct)),
        };
    }

    /// <summary>The WHERE clause on conversations `c` shared by every query of a report (no join: the team is a
    /// sub-select, so each row costs one index entry and no look-ups).</summary>
    static string Where(AccessScope scope, ReportQuery q, DynamicParameters p, string timeColumn)
    {
        var where = new List<string> { $"{timeColumn} >= @start", $"{timeColumn} < @end", scope.Sql(p) };
        p.Add("start", q.Period.Start.ToUnixTimeMilliseconds());
        p.Add("end", q.Period.End.ToUnixTimeMilliseconds());
        if (q.Team is not null)
        {
            where.Add("c.team_id = (SELECT id FROM teams WHERE slug = @team)");
            p.Add("team", q.Team);
        }

        if (q.Channel is not null)
        {
            where.Add("c.channel = @channel");
            p.Add("channel", q.Channel);
        }

        return string.Join(" AND ", where);
    }

    /// <summary>Teams and people are few: their names come from two small maps instead of two joins per conversation.</summary>
    sealed record Names(Dictionary<long, (long Id, string Slug, string Name)> Teams, Dictionary<long, string> People);

    static async Task<Names> NamesAsync(DbConnection conn, CancellationToken ct) => new(
        (await conn.QueryAsync<(long Id, string Slug, string Name)>(new CommandDefinition("SELECT id, slug, name FROM teams", cancellationToken: ct))).ToDictionary(t => t.Id),
        (await conn.QueryAsync<(long Id, string Name)>(new CommandDefinition("SELECT id, display_name FROM users", cancellationToken: ct))).ToDictionary(u => u.Id, u => u.Name));

    public static async Task<IReadOnlyList<ConversationFact>> FactsAsync(DbConnection conn, AccessScope scope, ReportQuery q, CancellationToken ct) =>
        await FactsAsync(conn, scope, q, await NamesAsync(conn, ct), ct);

    static async Task<IReadOnlyList<ConversationFact>> FactsAsync(DbConnection conn, AccessScope scope, ReportQuery q, Names names, CancellationToken ct)
    {
        var (teams, people) = names;

        // Breaches are few too: one pass over the period's breach rows rather than three probes per conversation.
        var bp = new DynamicParameters();
        var breaches = (await conn.QueryAsync<(long Id, string Metric)>(new CommandDefinition(
            $"""
            SELECT e.conversation_id, e.metric FROM sla_effects e
            JOIN conversations c ON c.id = e.conversation_id
            WHERE e.kind = 'Breach' AND {Where(scope, q, bp, "c.created_at")}
            """, bp, cancellationToken: ct))).ToLookup(b => b.Id, b => b.Metric);

        var p = new DynamicParameters();
        var where = Where(scope, q, p, "c.created_at");
        var facts = new List<ConversationFact>();
        // Read by hand: a quarter of a large workspace is ~100,000 rows, and mapping each through an intermediate
        // object was a third of the report's time (docs/benchmarks.md "Reports").
        await using var reader = await conn.ExecuteReaderAsync(new CommandDefinition(
            $"""
            SELECT c.id, c.channel, c.team_id, c.assignee_id, c.status, c.sentiment, c.created_at, c.first_response_at, c.resolved_at,
                   CAST(CASE WHEN c.sla_policy IS NULL THEN 0 ELSE 1 END AS BIGINT), c.escalation_level, c.escalated_at, c.acknowledged_at
            FROM conversations c
            WHERE {where}
            ORDER BY c.created_at, c.id
            """, p, cancellationToken: ct));
        var strings = new Dictionary<string, string>(StringComparer.Ordinal);
        string Shared(string s) => strings.TryGetValue(s, out var known) ? known : strings[s] = s;
        long? Long(int i) => reader.IsDBNull(i) ? null : reader.GetInt64(i);
        DateTimeOffset? At(int i) => reader.IsDBNull(i) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(i));
        while (await reader.ReadAsync(ct))
        {
            var id = reader.GetInt64(0);
            var team = Long(2) is { } t && teams.TryGetValue(t, out var tt) ? tt : default;
            var assignee = Long(3);
            var metrics = breaches[id];
            facts.Add(new ConversationFact(
                id,
                Shared(reader.GetString(1)),
                team.Slug,
                team.Name,
                assignee,
                assignee is { } a ? people.GetValueOrDefault(a) : null,
                Shared(reader.GetString(4)),
                reader.IsDBNull(5) ? null : Shared(reader.GetString(5)),
                At(6)!.Value,
                At(7),
                At(8),
                reader.GetInt64(9) != 0,
                metrics.Contains("first_response"),
                metrics.Any(m => m.StartsWith("next_response", StringComparison.Ordinal)),
                metrics.Any(m => m.StartsWith("resolution", StringComparison.Ordinal)),
                (int)reader.GetInt64(10),
                At(11),
                At(12)));
        }

        return facts;
    }

    static async Task<MessageVolume> MessagesAsync(DbConnection conn, AccessScope scope, ReportQuery q, CancellationToken ct)
    {
        var p = new DynamicParameters();
        var where = Where(scope, q, p, "m.created_at");
        var rows = await conn.QueryAsync<(string Direction, long Count)>(new CommandDefinition(
            $"""
            SELECT m.direction, COUNT(*) FROM messages m
            JOIN conversations c ON c.id = m.conversation_id
            WHERE {where}
            GROUP BY m.direction
            """, p, cancellationToken: ct));
        var counts = rows.ToDictionary(r => r.Direction, r => r.Count, StringComparer.Ordinal);
        return new MessageVolume(counts.GetValueOrDefault("in"), counts.GetValueOrDefault("out"));
    }

    static async Task<IReadOnlyList<(long Id, string Name, long Messages)>> TopicsAsync(DbConnection conn, AccessScope scope, ReportQuery q, CancellationToken ct)
    {
        var p = new DynamicParameters();
        var where = Where(scope, q, p, "m.created_at");
        var rows = await conn.QueryAsync<(long Id, string Name, long Messages)>(new CommandDefinition(
            $"""
            SELECT tp.id, tp.name, COUNT(*) FROM message_topics mt
            JOIN topics tp ON tp.id = mt.topic_id
            JOIN messages m ON m.id = mt.message_id
            JOIN conversations c ON c.id = mt.conversation_id
            WHERE {where}
            GROUP BY tp.id, tp.name
            """, p, cancellationToken: ct));
        return [.. rows];
    }
}
