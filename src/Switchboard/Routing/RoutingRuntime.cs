using System.Data.Common;
using Dapper;
using Switchboard.Classification;
using Switchboard.Inbox;
using Switchboard.Notifications;
using Switchboard.Posts;
using Switchboard.Sla;
using Switchboard.Storage;

namespace Switchboard.Routing;

/// <summary>A new conversation's routing: the queue the ingest writes, and what the session needs after the insert.</summary>
internal sealed record RoutedPost(QueueDecision Queue, RoutingDecision Decision, RoutingInput Input, string Language);

/// <summary>
/// The ingest pipeline's hook into routing and SLA (the ingest edit is a few calls into here): routes new conversations
/// with the active rules, assigns or holds them, and feeds every message to the conversation's clocks.
/// </summary>
internal sealed class RoutingRuntime(Database db, ActiveRules rules, SlaSignal signal, InboxFeed feed, TimeProvider time)
{
    /// <summary>Starts the routing part of one ingest batch inside its transaction.</summary>
    public async Task<RoutingSession> BeginAsync(DbConnection conn, DbTransaction tx, CancellationToken ct) =>
        new(await SlaContext.CreateAsync(db, conn, tx, rules, time, "routing", ct), this);

    /// <summary>After the batch committed: wake the scheduler for new timers, send webhooks, refresh pages.</summary>
    internal void Committed(SlaContext ctx) => ctx.Announce(signal, feed);

    /// <summary>The classifier's urgency score as the level rules match on (same cut-offs as the priority).</summary>
    public static string UrgencyLevel(double urgency) => urgency >= 0.75 ? "urgent" : urgency >= 0.4 ? "high" : urgency >= 0.1 ? "normal" : "low";

    /// <summary>
    /// Clocks start when the message was written, but no earlier than <see cref="MaxClockBackdate"/> before it reached
    /// us: a backfill or an import of old posts must not raise a storm of breaches for messages nobody could answer.
    /// </summary>
    public static readonly TimeSpan MaxClockBackdate = TimeSpan.FromHours(1);

    internal TimeProvider Time => time;
}

/// <summary>Routing state for one ingest batch: the active rules and the agents' loads, kept current as it assigns.</summary>
internal sealed class RoutingSession(SlaContext ctx, RoutingRuntime runtime)
{
    public SlaContext Context => ctx;

    /// <summary>
    /// Pure: routes a new inbound post. <paramref name="topics"/> are the listening topics the post matched (names);
    /// the listening module computes them in IngestBatch.
    /// </summary>
    public RoutedPost Route(Post post, Triage triage, DateTimeOffset at, IReadOnlyList<string> topics)
    {
        var language = post.Lang ?? triage.Language;
        var input = new RoutingInput(post.Channel, post.Text, at, language, topics, triage.Sentiment, triage.Intent, triage.Department,
            RoutingRuntime.UrgencyLevel(triage.Urgency), post.Author?.Id, post.Author?.Handle, post.Author?.Followers, post.Author?.Verified);
        var d = RoutingEngine.Route(input, ctx.Rules.Workspace);
        var priority = d.Priority ?? (d.Crisis || triage.Urgency >= 0.75 ? "urgent" : triage.Urgency >= 0.4 ? "high" : "normal");
        return new RoutedPost(new QueueDecision(d.Team, priority, d.Explain()), d, input, language);
    }

    /// <summary>
    /// After the message row is written: a new routed conversation gets its trace, approval flag, notifications,
    /// assignment (or holding) and clocks; an existing one's clocks see the customer's message or the agent's reply.
    /// </summary>
    public async Task AfterMessageAsync(DbConnection conn, DbTransaction tx, long conversationId, bool isNew, Post post, RoutedPost? routed,
        DateTimeOffset createdAt)
    {
        var now = runtime.Time.GetUtcNow();
        var at = createdAt < now - RoutingRuntime.MaxClockBackdate ? now - RoutingRuntime.MaxClockBackdate : createdAt > now ? now : createdAt;
        var row = await ConversationRow.LoadAsync(ctx.Db, conn, tx, conversationId);
        if (row is null)
            return;
        if (isNew)
        {
            if (routed is null)
                return;
            await StartAsync(conn, tx, row, routed, at);
            return;
        }
        if (row.SlaState is null && row.TeamSlug is null)
            return; // a conversation routing never saw (outgoing-only thread, or stored before routing existed)
        var nowMs = now.ToUnixTimeMilliseconds();
        ConversationEvent ev;
        if (post.Outgoing)
        {
            ev = new Sla.AgentReplied(at, row.AssigneeId is { } a ? AgentDirectory.Key(a) : null);
            await conn.ExecuteCachedAsync(
                $"UPDATE conversations SET first_response_at = COALESCE(first_response_at, @at), last_outbound_at = {ctx.Db.Greatest}(COALESCE(last_outbound_at, 0), @at) WHERE id = @id",
                new { at = at.ToUnixTimeMilliseconds(), id = row.Id }, tx);
        }
        else
        {
            ev = new CustomerMessaged(at);
            // The customer wrote: a resolved, snoozed or waiting conversation is open again, as its clock is.
            await conn.ExecuteCachedAsync(
                $"UPDATE conversations SET last_inbound_at = {ctx.Db.Greatest}(COALESCE(last_inbound_at, 0), @at), status = CASE WHEN status IN ('resolved', 'snoozed', 'pending') THEN 'open' ELSE status END, snoozed_until = NULL, resolved_at = NULL, updated_at = @now WHERE id = @id",
                new { at = at.ToUnixTimeMilliseconds(), now = nowMs, id = row.Id }, tx);
        }
        var events = new List<ConversationEvent>();
        if (row.SlaState is null && row.TeamSlug is not null)
            events.Add(new Assigned(at, row.TeamSlug, row.AssigneeId is { } x ? AgentDirectory.Key(x) : null));
        events.Add(ev);
        await ConversationRuntime.ApplyAsync(conn, tx, ctx, row, events);
    }

    async Task StartAsync(DbConnection conn, DbTransaction tx, ConversationRow row, RoutedPost routed, DateTimeOffset at)
    {
        var d = routed.Decision;
        var ws = ctx.Workspace;
        var policy = ws.PolicyFor(d.SlaPolicy, d.Team);
        var trace = new RouteTrace(ctx.Rules.VersionId, runtime.Time.GetUtcNow(),
            [.. d.Trace.Select(t => new RuleTraceDto(t.Rule, t.Matched, t.Reason))],
            new RouteDecisionDto(d.Team, routed.Queue.Priority, d.Labels, policy?.Name, d.Skills, d.RequireApproval, d.Notify, d.Crisis, d.Explain(), routed.Language),
            null, null);
        await conn.ExecuteCachedAsync(
            "UPDATE conversations SET route_trace = @trace, requires_approval = @approval, sla_policy = @policy WHERE id = @id",
            new { trace = trace.ToJson(), approval = d.RequireApproval ? 1 : 0, policy = policy?.Name, id = row.Id }, tx);
        row = row with { RouteTrace = trace.ToJson() };
        await Inbox.ConversationLabels.AddFromRulesAsync(conn, tx, row.Id, d.Labels, d.LabelRules, runtime.Time.GetUtcNow().ToUnixTimeMilliseconds());
        foreach (var target in d.Notify)
        {
            foreach (var user in ResolveSimple(target, d.Team))
                await NotificationStore.AddAsync(conn, tx, user, "routed", row.Id, $"New conversation #{row.Id} for {d.Team}: {d.Explain()}", runtime.Time);
        }
        var events = new List<ConversationEvent> { new Assigned(at, d.Team, null), new PolicyChanged(at, d.SlaPolicy), new CustomerMessaged(at) };
        if (d.Crisis)
            events.Add(new CrisisStarted(at, "rule: " + string.Join(", ", d.MatchedRules)));
        if (ctx.Agents.TeamIds.ContainsKey(d.Team))
        {
            (var agent, row) = await Assignments.AssignAsync(conn, tx, ctx, row, d.Team, d.Skills, routed.Language, null);
            if (agent is { } a)
                events.Add(new Assigned(at, d.Team, AgentDirectory.Key(a)));
        }
        await ConversationRuntime.ApplyAsync(conn, tx, ctx, row, events);
    }

    IEnumerable<long> ResolveSimple(string target, string team) => target switch
    {
        "team_lead" => ctx.Agents.Agents.Where(a => a.LeadOf.Contains(team)).Select(a => a.Id),
        "team" => ctx.Agents.Agents.Where(a => a.Teams.Contains(team)).Select(a => a.Id),
        _ when target.StartsWith("role:", StringComparison.Ordinal) => ctx.Agents.Agents.Where(a => a.Role == target[5..]).Select(a => a.Id),
        _ => ctx.Agents.Agents.Where(a => string.Equals(a.Email, target, StringComparison.OrdinalIgnoreCase)).Select(a => a.Id),
    };

    /// <summary>Call after the batch's transaction committed.</summary>
    public void Committed() => runtime.Committed(ctx);
}
