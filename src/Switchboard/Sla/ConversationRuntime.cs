using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using Dapper;
using Switchboard.Audit;
using Switchboard.Notifications;
using Switchboard.Routing;
using Switchboard.Storage;

namespace Switchboard.Sla;

/// <summary>
/// The effectful shell around <see cref="ConversationClock"/>: applies events to a stored conversation's clock state
/// and performs the effects inside the caller's transaction. Every timer effect is first recorded in
/// <c>sla_effects</c> (unique per conversation, policy, metric, level); its consequences run only when that insert
/// succeeded, so an effect happens once whichever path (ingest, API, any scheduler instance) fires it.
/// </summary>
internal static class ConversationRuntime
{
    // Loop guard: consequences can feed events back (a reassignment is an Assigned event); a handful per call is normal.
    const int MaxRounds = 8;

    /// <summary>Applies <paramref name="events"/> in order, handles every effect, saves. False on a lost version race.</summary>
    public static async Task<bool> ApplyAsync(DbConnection conn, DbTransaction tx, SlaContext ctx, ConversationRow row,
        IEnumerable<ConversationEvent> events, List<ClockEffect>? sink = null)
    {
        var ws = ctx.Workspace;
        var state = ClockStore.Read(row.SlaState, row.Id);
        var pending = new Queue<ConversationEvent>(events);
        var rounds = 0;
        var assignee = row.AssigneeId;
        // Effects with a ledger key (warnings, escalations, reassignment, no-reply rules) may rewrite the route trace;
        // until one runs, the row's trace is the stored one and need not be read again.
        var traceRewritten = false;
        while (pending.Count > 0)
        {
            if (++rounds > MaxRounds * 4)
                throw new InvalidOperationException($"conversation {row.Id}: too many follow-up events (loop guard)");
            var ev = pending.Dequeue();
            var (next, effects) = ConversationClock.Apply(state, ev, ws);
            state = next;
            sink?.AddRange(effects);
            foreach (var e in effects)
            {
                traceRewritten |= e.Key is not null;
                foreach (var follow in await HandleAsync(conn, tx, ctx, row with { AssigneeId = assignee, TeamSlug = state.Team ?? row.TeamSlug }, e))
                {
                    if (follow is Assigned a)
                        assignee = a.Agent is null ? null : long.Parse(a.Agent, CultureInfo.InvariantCulture);
                    pending.Enqueue(follow);
                }
            }
        }
        if (!await ClockStore.SaveAsync(conn, tx, row.Id, state, ws, row.SlaVersion, ctx.Time))
            return false;
        ctx.TimersWritten = true;
        ctx.Touched.Add(row.Id);
        await UpdateSlaTraceAsync(conn, tx, ctx, row.Id, state, traceRewritten ? null : row.RouteTrace);
        return true;
    }

    /// <summary>
    /// The SLA part of the trace: policy, calendar and each running clock's deadline with its reason.
    /// <paramref name="stored"/> is the trace as stored when the caller knows it (null: read it).
    /// </summary>
    static async Task UpdateSlaTraceAsync(DbConnection conn, DbTransaction tx, SlaContext ctx, long id, ConversationClockState s, string? stored)
    {
        var json = stored ?? await conn.ExecuteScalarCachedAsync<string?>("SELECT route_trace FROM conversations WHERE id = @id", new { id }, tx);
        if (RouteTrace.Parse(json) is not { } trace)
            return;
        var policyName = s.Clocks.LastOrDefault(c => c.Active)?.Policy ?? ctx.Workspace.PolicyFor(s.Policy, s.Team)?.Name;
        var policy = policyName is null ? null : ctx.Workspace.Policies.GetValueOrDefault(policyName);
        var deadlines = s.Clocks.Where(c => c.Active).Select(c => new DeadlineDto(c.MetricKey, c.Due,
            c.Status == ClockStatus.Paused
                ? $"paused with {c.Consumed.TotalMinutes:0.#} of {c.Target.TotalMinutes:0.#} business min used"
                : $"{c.Target.TotalMinutes:0.#} business min on calendar '{policy?.Calendar.Name}' ({policy?.Calendar.Zone.Id}) from {Since(c.RunningSince, policy?.Calendar.Zone)}"
                  + (c.Consumed > TimeSpan.Zero ? $", {c.Consumed.TotalMinutes:0.#} min already used" : ""))).ToList();
        var sla = new SlaTraceDto(policyName, policy?.Calendar.Name, policy?.Calendar.Zone.Id, deadlines);
        var updated = (trace with { Sla = sla }).ToJson();
        if (updated != json)
            await conn.ExecuteCachedAsync("UPDATE conversations SET route_trace = @t WHERE id = @id", new { t = updated, id }, tx);
    }

    // When a clock started, as the calendar's people read it ("Fri 4 Dec 18:53"): the trace is read by agents, and the
    // zone is named right before it.
    static string Since(DateTimeOffset? at, TimeZoneInfo? zone) =>
        at is not { } t ? "now" : (zone is null ? t : TimeZoneInfo.ConvertTime(t, zone)).ToString("ddd d MMM HH:mm", CultureInfo.InvariantCulture);

    /// <summary>Assigns a held conversation if an agent is eligible now, starting its reassignment timer.</summary>
    public static async Task<bool> AssignHeldAsync(DbConnection conn, DbTransaction tx, SlaContext ctx, long id)
    {
        var row = await ConversationRow.LoadAsync(ctx.Db, conn, tx, id);
        if (row is null || row.TeamSlug is null || row.AssigneeId is not null || row.HoldingSince is null)
            return false;
        var decision = RouteTrace.Parse(row.RouteTrace)?.Decision;
        var (agent, fresh) = await Assignments.AssignAsync(conn, tx, ctx, row, row.TeamSlug, decision?.Skills ?? [], decision?.Language, null);
        if (agent is null)
            return false;
        return await ApplyAsync(conn, tx, ctx, fresh, [new Assigned(ctx.Time.GetUtcNow(), row.TeamSlug, AgentDirectory.Key(agent.Value))]);
    }

    /// <summary>(conversation|policy|metric|level) → its parts; the policy part may itself contain '|'.</summary>
    static (string Policy, string Metric, string Level) SplitKey(string key)
    {
        var parts = key.Split('|');
        return (string.Join('|', parts[1..^2]), parts[^2], parts[^1]);
    }

    /// <summary>Performs one effect; returns the follow-up events for the clock (a changed team or assignee, a policy, a crisis).</summary>
    static async Task<IReadOnlyList<ConversationEvent>> HandleAsync(DbConnection conn, DbTransaction tx, SlaContext ctx, ConversationRow row, ClockEffect e)
    {
        if (e.Key is null)
            return []; // event-time effects (started, met, resolved) are visible in the state and the trace
        var (policy, metric, level) = SplitKey(e.Key);
        var now = ctx.NowMs;
        var effectId = await conn.ExecuteScalarCachedAsync<long?>(
            """
            INSERT INTO sla_effects (conversation_id, policy, metric, level, kind, due_at, fired_at, processed_by, reason)
            VALUES (@conv, @policy, @metric, @level, @kind, @due, @now, @by, @reason)
            ON CONFLICT (conversation_id, policy, metric, level) DO NOTHING RETURNING id
            """,
            new { conv = row.Id, policy, metric, level, kind = e.Kind.ToString(), due = e.At.ToUnixTimeMilliseconds(), now, by = ctx.Actor, reason = e.Reason }, tx);
        if (effectId is null)
            return []; // already happened: exactly once
        ctx.Touched.Add(row.Id);
        await AuditLog.WriteAsync(conn, tx, AuditEntry.BySystem(ctx.Actor, "sla." + e.Kind.ToString().ToLowerInvariant(), "conversation",
            row.Id.ToString(CultureInfo.InvariantCulture), null, new { policy, metric, level, due = e.At, e.Reason }), ctx.Time);
        switch (e.Kind)
        {
            case EffectKind.Warning:
                await NotifyAsync(conn, tx, ctx, row, effectId.Value, ["assignee"], "sla_warning", $"SLA warning on #{row.Id}: {e.Reason}");
                return [];
            case EffectKind.Breach:
                await NotifyAsync(conn, tx, ctx, row, effectId.Value, ["assignee"], "sla_breach", $"SLA breached on #{row.Id}: {e.Reason}");
                return [];
            case EffectKind.Escalated:
                {
                    var n = long.TryParse(level, CultureInfo.InvariantCulture, out var l) ? l : 1;
                    await conn.ExecuteCachedAsync(
                        $"UPDATE conversations SET escalation_level = {ctx.Db.Greatest}(escalation_level, @n), escalated_at = @now, updated_at = @now WHERE id = @id",
                        new { n, now, id = row.Id }, tx);
                    await NotifyAsync(conn, tx, ctx, row, effectId.Value, e.Targets, "escalation", $"Escalation level {n} on #{row.Id} “{row.Subject}”: {e.Reason}");
                    return [];
                }
            case EffectKind.ReassignDue:
                {
                    if (row.AssigneeId is not { } current || row.TeamSlug is null)
                        return [];
                    var decision = RouteTrace.Parse(row.RouteTrace)?.Decision;
                    var (agent, _) = await Assignments.AssignAsync(conn, tx, ctx, row, row.TeamSlug, decision?.Skills ?? [], decision?.Language, current);
                    return agent is null ? [] : [new Assigned(ctx.Time.GetUtcNow(), row.TeamSlug, AgentDirectory.Key(agent.Value))];
                }
            case EffectKind.NoReplyRuleDue:
                return await NoReplyRuleAsync(conn, tx, ctx, row, effectId.Value, e);
            case EffectKind.SnoozeEnded:
                await conn.ExecuteAsync("UPDATE conversations SET status = 'open', snoozed_until = NULL, updated_at = @now WHERE id = @id AND status = 'snoozed'",
                    new { now, id = row.Id }, tx);
                return [];
            default:
                return [];
        }
    }

    /// <summary>
    /// A time-based rule came due ("no reply 15 minutes after the customer's last message → …"): its conditions are
    /// evaluated now, on the conversation as it is, and every action applies as it would at routing time: priority,
    /// approval, labels (added to the trace's decision), notifications, a move to another team (the assignee is
    /// released and the new team's assignment runs, or the conversation waits in its holding queue), a new SLA
    /// policy, and the crisis path. The effect row already made this exactly once per customer message.
    /// </summary>
    static async Task<IReadOnlyList<ConversationEvent>> NoReplyRuleAsync(DbConnection conn, DbTransaction tx, SlaContext ctx, ConversationRow row, long effectId, ClockEffect e)
    {
        var rule = ctx.Workspace.NoReplyRules.FirstOrDefault(r => r.Name == e.Policy);
        if (rule is null)
            return [];
        var now = ctx.Time.GetUtcNow();
        var input = new RoutingInput(row.Channel, row.Subject, now, Sentiment: row.Sentiment, Intent: row.Intent,
            Department: row.Department, Urgency: RoutingRuntime.UrgencyLevel(row.Urgency), CurrentTeam: row.TeamSlug);
        var d = RoutingEngine.Evaluate([rule], input, ctx.Workspace);
        if (!d.Trace[0].Matched)
            return [];
        await conn.ExecuteAsync(
            "UPDATE conversations SET priority = COALESCE(@p, priority), requires_approval = CASE WHEN @a = 1 THEN 1 ELSE requires_approval END, updated_at = @now WHERE id = @id",
            new { p = d.Priority, a = d.RequireApproval ? 1 : 0, now = ctx.NowMs, id = row.Id }, tx);
        var moveTo = rule.Then.Team;
        var moving = moveTo is not null && moveTo != row.TeamSlug && ctx.Agents.TeamIds.ContainsKey(moveTo);
        if (RouteTrace.Parse(row.RouteTrace) is { } trace)
        {
            // The trace records what the time-based rule did, so "why is this here?" still answers after a move.
            var decision = trace.Decision with
            {
                Team = moving ? moveTo! : trace.Decision.Team,
                Priority = d.Priority ?? trace.Decision.Priority,
                Labels = [.. trace.Decision.Labels.Union(d.Labels, StringComparer.Ordinal)],
                SlaPolicy = rule.Then.SlaPolicy ?? trace.Decision.SlaPolicy,
                RequireApproval = trace.Decision.RequireApproval || d.RequireApproval,
                Crisis = trace.Decision.Crisis || d.Crisis,
                Explanation = trace.Decision.Explanation + $"; then rule '{rule.Name}' ({e.Reason})",
            };
            var rules = trace.Rules.Append(new RuleTraceDto(rule.Name, true, e.Reason ?? "no reply")).ToList();
            await conn.ExecuteAsync("UPDATE conversations SET route_trace = @t WHERE id = @id",
                new { t = (trace with { Decision = decision, Rules = rules }).ToJson(), id = row.Id }, tx);
        }
        await Inbox.ConversationLabels.AddFromRulesAsync(conn, tx, row.Id, d.Labels, d.LabelRules, ctx.NowMs);
        if (d.Notify.Count > 0)
            await NotifyAsync(conn, tx, ctx, row, effectId, d.Notify, "rule", $"Rule '{rule.Name}' on #{row.Id}: {e.Reason}");

        var follow = new List<ConversationEvent>();
        if (moving && ctx.Agents.TeamIds.TryGetValue(moveTo!, out var teamId))
        {
            await conn.ExecuteAsync(
                "UPDATE conversations SET team_id = @teamId, assignee_id = NULL, assigned_at = NULL, holding_since = NULL, updated_at = @now WHERE id = @id",
                new { teamId, now = ctx.NowMs, id = row.Id }, tx);
            if (row.AssigneeId is { } previous)
                ctx.Agents.Freed(previous);
            var moved = (await ConversationRow.LoadAsync(ctx.Db, conn, tx, row.Id))!;
            var routed = RouteTrace.Parse(moved.RouteTrace)?.Decision;
            var (agent, _) = await Assignments.AssignAsync(conn, tx, ctx, moved, moveTo!, d.Skills.Count > 0 ? d.Skills : routed?.Skills ?? [], routed?.Language, null);
            follow.Add(new Assigned(now, moveTo!, agent is { } a ? AgentDirectory.Key(a) : null));
        }
        if (rule.Then.SlaPolicy is { } policy)
        {
            await conn.ExecuteAsync("UPDATE conversations SET sla_policy = @policy WHERE id = @id", new { policy, id = row.Id }, tx);
            follow.Add(new PolicyChanged(now, policy));
        }
        if (d.Crisis)
            follow.Add(new CrisisStarted(now, $"rule: {rule.Name}"));
        return follow;
    }

    /// <summary>
    /// Resolves targets to users (assignee, team_lead, team, role:NAME, an email) and webhooks, and notifies each once.
    /// With nobody to notify (no assignee, no lead) the team's leads and then managers are told, so no escalation is silent.
    /// </summary>
    static async Task NotifyAsync(DbConnection conn, DbTransaction tx, SlaContext ctx, ConversationRow row, long effectId,
        IReadOnlyList<string> targets, string kind, string text)
    {
        var users = new SortedSet<long>();
        var agents = ctx.Agents.Agents;
        var team = row.TeamSlug;
        IEnumerable<long> Leads()
        {
            var leads = agents.Where(a => team is not null && a.LeadOf.Contains(team)).Select(a => a.Id).ToList();
            if (team is not null && ctx.Workspace.Teams.TryGetValue(team, out var t) && t.Lead is { } email)
                leads.AddRange(agents.Where(a => string.Equals(a.Email, email, StringComparison.OrdinalIgnoreCase)).Select(a => a.Id));
            return leads;
        }
        foreach (var target in targets)
        {
            if (target == "assignee")
            {
                if (row.AssigneeId is { } a)
                    users.Add(a);
                else
                    users.UnionWith(Leads());
            }
            else if (target == "team_lead")
                users.UnionWith(Leads());
            else if (target == "team")
                users.UnionWith(agents.Where(a => team is not null && a.Teams.Contains(team)).Select(a => a.Id));
            else if (target.StartsWith("role:", StringComparison.Ordinal))
                users.UnionWith(agents.Where(a => a.Role == target[5..]).Select(a => a.Id));
            else if (target.StartsWith("webhook:", StringComparison.Ordinal))
                await QueueWebhookAsync(conn, tx, ctx, effectId, target[8..], text);
            else
                users.UnionWith(agents.Where(a => string.Equals(a.Email, target, StringComparison.OrdinalIgnoreCase)).Select(a => a.Id));
        }
        if (users.Count == 0 && !targets.Any(t => t.StartsWith("webhook:", StringComparison.Ordinal)))
        {
            users.UnionWith(Leads());
            if (users.Count == 0)
                users.UnionWith(agents.Where(a => a.Role is "manager" or "admin").Select(a => a.Id));
        }
        foreach (var u in users)
            await NotificationStore.AddAsync(conn, tx, u, kind, row.Id, text, ctx.Time);
    }

    /// <summary>Outbox: the webhook row commits with the effect and is sent after commit (<see cref="WebhookSender"/>).</summary>
    static async Task QueueWebhookAsync(DbConnection conn, DbTransaction tx, SlaContext ctx, long effectId, string name, string text)
    {
        if (!ctx.Workspace.Webhooks.TryGetValue(name, out var url))
            return; // the loader accepts webhook:NAME without a URL; such a target only appears in the trace
        var body = JsonSerializer.Serialize(new { text = "Switchboard: " + text });
        await conn.ExecuteAsync(
            "INSERT INTO webhook_outbox (effect_id, name, url, body, status, attempts, next_attempt_at, created_at) VALUES (@effectId, @name, @url, @body, 'pending', 0, @now, @now)",
            new { effectId, name, url = url.ToString(), body, now = ctx.NowMs }, tx);
        ctx.WebhooksQueued = true;
    }
}
