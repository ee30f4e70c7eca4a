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
        var facts = await FactsAsync(conn, scope, q, ct);
        var messages = await MessagesAsync(conn, scope, q, ct);
        var topics = await TopicsAsync(conn, scope, q, ct);
        var report = Kpis.Compute(q.Period, q.ResponseTarget, facts, messages, topics);
        var before = q with { Period = q.Period.Previous };
        return report with
        {
            Previous = Kpis.Compare(before.Period, q.ResponseTarget, await FactsAsync(conn, scope, before, ct), await MessagesAsync(conn, scope, before, ct)),
        };
    }

    /// <summary>The WHERE clause on conversations `c` (joined to teams `t`) shared by every query of a report.</summary>
    static string Where(AccessScope scope, ReportQuery q, DynamicParameters p, string timeColumn)
    {
        var where = new List<string> { $"{timeColumn} >= @start", $"{timeColumn} < @end", scope.Sql(p) };
        p.Add("start", q.Period.Start.ToUnixTimeMilliseconds());
        p.Add("end", q.Period.End.ToUnixTimeMilliseconds());
        if (q.Team is not null)
        {
            where.Add("t.slug = @team");
            p.Add("team", q.Team);
        }

        if (q.Channel is not null)
        {
            where.Add("c.channel = @channel");
            p.Add("channel", q.Channel);
        }

        return string.Join(" AND ", where);
    }

    public static async Task<IReadOnlyList<ConversationFact>> FactsAsync(DbConnection conn, AccessScope scope, ReportQuery q, CancellationToken ct)
    {
        var p = new DynamicParameters();
        var where = Where(scope, q, p, "c.created_at");
        var rows = await conn.QueryAsync<FactRow>(new CommandDefinition(
            $"""
            SELECT c.id AS Id, c.channel AS Channel, t.slug AS Team, t.name AS TeamName, c.assignee_id AS AssigneeId,
                   u.display_name AS Assignee, c.status AS Status, c.sentiment AS Sentiment, c.created_at AS CreatedAt,
                   c.first_response_at AS FirstResponseAt, c.resolved_at AS ResolvedAt,
                   CASE WHEN c.sla_policy IS NULL THEN 0 ELSE 1 END AS HasSla,
                   c.escalation_level AS EscalationLevel, c.escalated_at AS EscalatedAt, c.acknowledged_at AS AcknowledgedAt
            FROM conversations c
            LEFT JOIN teams t ON t.id = c.team_id
            LEFT JOIN users u ON u.id = c.assignee_id
            WHERE {where}
            ORDER BY c.created_at, c.id
            """, p, cancellationToken: ct));

        // Breaches are few: one pass over the period's breach rows is cheaper than three probes per conversation.
        var bp = new DynamicParameters();
        var bwhere = Where(scope, q, bp, "c.created_at");
        var breaches = (await conn.QueryAsync<(long Id, string Metric)>(new CommandDefinition(
            $"""
            SELECT e.conversation_id, e.metric FROM sla_effects e
            JOIN conversations c ON c.id = e.conversation_id
            LEFT JOIN teams t ON t.id = c.team_id
            WHERE e.kind = 'Breach' AND {bwhere}
            """, bp, cancellationToken: ct))).ToLookup(b => b.Id, b => b.Metric);
        return [.. rows.Select(r =>
        {
            var metrics = breaches[r.Id];
            return r.ToFact(metrics.Contains("first_response"), metrics.Any(m => m.StartsWith("next_response", StringComparison.Ordinal)),
                metrics.Any(m => m.StartsWith("resolution", StringComparison.Ordinal)));
        })];
    }

    static async Task<MessageVolume> MessagesAsync(DbConnection conn, AccessScope scope, ReportQuery q, CancellationToken ct)
    {
        var p = new DynamicParameters();
        var where = Where(scope, q, p, "m.created_at");
        var rows = await conn.QueryAsync<(string Direction, long Count)>(new CommandDefinition(
            $"""
            SELECT m.direction, COUNT(*) FROM messages m
            JOIN conversations c ON c.id = m.conversation_id
            LEFT JOIN teams t ON t.id = c.team_id
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
            LEFT JOIN teams t ON t.id = c.team_id
            WHERE {where}
            GROUP BY tp.id, tp.name
            """, p, cancellationToken: ct));
        return [.. rows];
    }

    sealed class FactRow
    {
        public long Id { get; init; }
        public string Channel { get; init; } = "";
        public string? Team { get; init; }
        public string? TeamName { get; init; }
        public long? AssigneeId { get; init; }
        public string? Assignee { get; init; }
        public string Status { get; init; } = "";
        public string? Sentiment { get; init; }
        public long CreatedAt { get; init; }
        public long? FirstResponseAt { get; init; }
        public long? ResolvedAt { get; init; }
        public long HasSla { get; init; }
        public long EscalationLevel { get; init; }
        public long? EscalatedAt { get; init; }
        public long? AcknowledgedAt { get; init; }

        public ConversationFact ToFact(bool firstBreach, bool nextBreach, bool resolutionBreach) => new(Id, Channel, Team, TeamName, AssigneeId, Assignee, Status,
            Sentiment, At(CreatedAt)!.Value, At(FirstResponseAt), At(ResolvedAt), HasSla != 0, firstBreach, nextBreach, resolutionBreach, (int)EscalationLevel,
            At(EscalatedAt), At(AcknowledgedAt));

        static DateTimeOffset? At(long? ms) => ms is { } v ? DateTimeOffset.FromUnixTimeMilliseconds(v) : null;
    }
}
