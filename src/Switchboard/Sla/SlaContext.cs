using System.Data.Common;
using Dapper;
using Switchboard.Routing;
using Switchboard.Routing.Configuration;
using Switchboard.Storage;

namespace Switchboard.Sla;

/// <summary>
/// One unit of routing/SLA work (an ingest batch, an API call, a scheduler claim): the active configuration with the
/// stored agents, who acts (for the audit trail and the effect ledger) and what changed, for the after-commit hooks.
/// </summary>
internal sealed class SlaContext(Database db, RulesSnapshot rules, AgentDirectory agents, TimeProvider time, string actor, Workspace? workspace = null)
{
    public Database Db { get; } = db;
    public RulesSnapshot Rules { get; } = rules;
    public AgentDirectory Agents { get; } = agents;
    public Workspace Workspace { get; } = workspace ?? agents.Apply(rules.Workspace);

    /// <summary>The same configuration and agents for the next unit of work (a scheduler batch shares one load).</summary>
    public SlaContext Fresh() => new(Db, Rules, Agents, Time, Actor, Workspace);
    public TimeProvider Time { get; } = time;
    public string Actor { get; } = actor;
    public long NowMs => Time.GetUtcNow().ToUnixTimeMilliseconds();
    public HashSet<long> Touched { get; } = [];
    public bool TimersWritten { get; set; }
    public bool WebhooksQueued { get; set; }

    /// <summary>After the unit of work committed: wake the scheduler for new timers and the webhook sender, refresh open pages.</summary>
    public void Announce(SlaSignal signal, Inbox.InboxFeed feed)
    {
        if (TimersWritten)
            signal.Wake();
        if (WebhooksQueued)
            signal.WakeWebhooks();
        if (Touched.Count > 0)
            feed.Publish(Touched);
    }

    public static async Task<SlaContext> CreateAsync(Database db, DbConnection conn, DbTransaction? tx, ActiveRules rules, TimeProvider time, string actor,
        CancellationToken ct) =>
        new(db, await rules.GetAsync(conn, tx, ct), await AgentDirectory.LoadAsync(conn, tx), time, actor);
}

/// <summary>The columns routing and the clocks need; read with a row lock on PostgreSQL (SQLite transactions are exclusive).</summary>
internal sealed record ConversationRow(long Id, string Channel, long? AuthorId, long? TeamId, string? TeamSlug, long? AssigneeId, string Status,
    string Priority, string Subject, string? Sentiment, string? Intent, string? Department, double Urgency, string? RouteTrace, string? SlaState,
    long SlaVersion, long? HoldingSince)
{
    public static Task<ConversationRow?> LoadAsync(Database db, DbConnection conn, DbTransaction tx, long id) =>
        conn.QueryFirstOrDefaultCachedAsync<ConversationRow>(
            $"""
            SELECT c.id AS Id, c.channel AS Channel, c.author_id AS AuthorId, c.team_id AS TeamId, t.slug AS TeamSlug, c.assignee_id AS AssigneeId,
              c.status AS Status, c.priority AS Priority, c.subject AS Subject, c.sentiment AS Sentiment, c.intent AS Intent,
              c.department AS Department, c.urgency AS Urgency, c.route_trace AS RouteTrace, c.sla_state AS SlaState,
              c.sla_version AS SlaVersion, c.holding_since AS HoldingSince
            FROM conversations c LEFT JOIN teams t ON t.id = c.team_id WHERE c.id = @id{(db.IsSqlite ? "" : " FOR UPDATE OF c")}
            """, new { id }, tx);
}
