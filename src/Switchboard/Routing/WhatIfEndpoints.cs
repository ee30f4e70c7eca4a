using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Serialization;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Switchboard.Api;
using Switchboard.Auth;
using Switchboard.Storage;

namespace Switchboard.Routing;

/// <summary>
/// A message to test the rules with. Either the fields directly, or <see cref="ConversationId"/> to take the channel,
/// text, language and author from a stored conversation's first inbound message (fields given here override it).
/// <see cref="Yaml"/>: a draft (unsaved) configuration to evaluate instead of the active version.
/// </summary>
internal sealed record WhatIfRequest(
    string? Text = null,
    string? Channel = null,
    string? Language = null,
    IReadOnlyList<string>? Topics = null,
    string? Sentiment = null,
    string? Intent = null,
    string? Department = null,
    string? Urgency = null,
    string? AuthorId = null,
    string? AuthorHandle = null,
    long? Followers = null,
    bool? Verified = null,
    DateTimeOffset? At = null,
    long? ConversationId = null,
    string? Yaml = null);

internal sealed record WhatIfDeadlineDto(string Metric, DateTimeOffset Due);

internal sealed record WhatIfResultDto(
    string Source,
    long? VersionId,
    IReadOnlyList<RuleTraceDto> Rules,
    string Team,
    string? Priority,
    IReadOnlyList<string> Labels,
    bool RequireApproval,
    bool Crisis,
    IReadOnlyList<string> Notify,
    string Explanation,
    string? Agent,
    string AssignmentReason,
    IReadOnlyList<CandidateTrace> Candidates,
    string? SlaPolicy,
    string? Calendar,
    IReadOnlyList<WhatIfDeadlineDto> Deadlines);

/// <summary>
/// What-if (issue 5): runs one message through the active or a draft rule set — routing rules, assignment candidates
/// with their current loads, SLA policy and deadlines — and stores nothing (no conversation, no cursor move, no
/// timer), so a manager can test a change before activating it.
/// </summary>
internal static class WhatIfEndpoints
{
    const int MaxTextChars = 20_000;
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        MaxDepth = 16,
    };

    public static RouteGroupBuilder MapWhatIfApi(this RouteGroupBuilder api)
    {
        // The handler reads its body itself (to bound it), so the body type is declared for the API description and
        // for the route-table tests that look for ids in bodies.
        api.MapPost("/rules/what-if", WhatIfAsync).Accepts<WhatIfRequest>("application/json").RequireAuthorization(RulesEndpoints.ManagePolicy).WithTags("Routing rules")
            .WithSummary("Route a message (or a stored conversation's first message) with the active or a draft rule set; stores nothing");
        api.MapPost("/rules/what-if/replay", (ReplayRequest req, ClaimsPrincipal user, Database db, ActiveRules rules, TimeProvider time, CancellationToken ct) =>
                WhatIfReplay.ReplayAsync(req, user, db, rules, time, ct))
            .RequireAuthorization(RulesEndpoints.ManagePolicy).WithTags("Routing rules")
            .WithSummary("Replay the last days' stored messages with the active rules and a draft, next to what happened; stores nothing");
        return api;
    }

    internal static async Task<Results<Ok<WhatIfResultDto>, ProblemHttpResult>> WhatIfAsync(HttpRequest request, ClaimsPrincipal user, Database db, ActiveRules rules,
        TimeProvider time, CancellationToken ct)
    {
        // The draft YAML rides inside the JSON, so the body may be a little larger than the configuration limit.
        var limit = Configuration.WorkspaceLoader.MaxBytes * 4L + 64 * 1024;
        if (request.ContentLength > limit)
            return Problems.BadRequest($"request larger than {limit} bytes");
        WhatIfRequest? req;
        try
        {
            using var bounded = new MemoryStream();
            var buffer = new byte[81920];
            int n;
            while ((n = await request.Body.ReadAsync(buffer, ct)) > 0)
            {
                if (bounded.Length + n > limit)
                    return Problems.BadRequest($"request larger than {limit} bytes");
                bounded.Write(buffer, 0, n);
            }
            bounded.Position = 0;
            req = await JsonSerializer.DeserializeAsync<WhatIfRequest>(bounded, Json, ct);
        }
        catch (JsonException ex)
        {
            return Problems.BadRequest("invalid JSON: " + ex.Message);
        }
        if (req is null)
            return Problems.BadRequest("expected a JSON object");
        return await EvaluateAsync(req, user, db, rules, time, ct);
    }

    /// <summary>The what-if itself, shared by the API and the rules page.</summary>
    internal static async Task<Results<Ok<WhatIfResultDto>, ProblemHttpResult>> EvaluateAsync(WhatIfRequest req, ClaimsPrincipal user, Database db, ActiveRules rules,
        TimeProvider time, CancellationToken ct)
    {
        if (req.Text is { Length: > MaxTextChars })
            return Problems.BadRequest($"text must be at most {MaxTextChars} characters");
        if (req.Yaml is { Length: > Configuration.WorkspaceLoader.MaxBytes })
            return Problems.BadRequest($"configuration larger than {Configuration.WorkspaceLoader.MaxBytes} characters");
        if (req.Topics is { Count: > 100 })
            return Problems.BadRequest("at most 100 topics");

        await using var conn = await db.OpenAsync(ct);
        var text = req.Text;
        var channel = req.Channel;
        var language = req.Language;
        var authorId = req.AuthorId;
        var handle = req.AuthorHandle;
        var followers = req.Followers;
        DateTimeOffset? at = req.At;
        if (req.ConversationId is { } cid)
        {
            // Managers see their own teams' conversations only (admins every team's): the what-if result (team,
            // labels, crisis, the rules that matched) is derived from the message, so a conversation outside the
            // caller's scope answers exactly like one that does not exist.
            var scope = await AccessScope.LoadAsync(conn, user);
            if (!await scope.SeesAsync(conn, cid))
                return Problems.NotFound($"no conversation {cid}");
            var m = await conn.QueryFirstOrDefaultAsync<(string Channel, string Text, string? Lang, long CreatedAt, string? ExternalAuthor, string? Handle, long? Followers)?>(
                """
                SELECT c.channel, m.text, m.lang, m.created_at, a.external_id, a.handle, a.followers
                FROM conversations c JOIN messages m ON m.conversation_id = c.id LEFT JOIN authors a ON a.id = m.author_id
                WHERE c.id = @cid AND m.direction = 'in' ORDER BY m.created_at, m.id LIMIT 1
                """, new { cid });
            if (m is null)
                return Problems.BadRequest($"conversation {cid} has no inbound message");
            var v = m.Value;
            channel ??= v.Channel;
            text ??= v.Text;
            language ??= v.Lang;
            authorId ??= v.ExternalAuthor;
            handle ??= v.Handle;
            followers ??= v.Followers;
            at ??= DateTimeOffset.FromUnixTimeMilliseconds(v.CreatedAt);
        }
        if (string.IsNullOrWhiteSpace(channel))
            return Problems.BadRequest("channel is required (or give conversationId)");
        if (text is null)
            return Problems.BadRequest("text is required (or give conversationId)");

        Configuration.Workspace workspace;
        long? versionId;
        string source;
        if (req.Yaml is { } draft)
        {
            var (ws, errors) = await RulesEndpoints.ValidateAsync(conn, draft);
            if (ws is null)
            {
                return TypedResults.Problem(
                    detail: "draft configuration is invalid: " + string.Join("; ", errors.Take(5).Select(e => $"{e.Path} (line {e.Line}, column {e.Column}): {e.Message}")),
                    statusCode: StatusCodes.Status400BadRequest, title: "Invalid configuration",
                    extensions: new Dictionary<string, object?> { ["errors"] = errors });
            }
            (workspace, versionId, source) = (ws, null, "draft");
        }
        else
        {
            var active = await rules.GetAsync(conn, null, ct);
            (workspace, versionId, source) = (active.Workspace, active.VersionId, "active");
        }

        var now = time.GetUtcNow();
        var when = at ?? now;
        var input = new RoutingInput(channel, text, when, language, req.Topics, req.Sentiment, req.Intent, req.Department, req.Urgency,
            authorId, handle, followers, req.Verified);
        var d = RoutingEngine.Route(input, workspace);

        // Agents and their current loads exactly as the live assigner would see them now; nothing is written.
        var agents = await AgentDirectory.LoadAsync(conn, null);
        var ws2 = agents.Apply(workspace);
        AssignmentDecision? assignment = null;
        if (ws2.Teams.ContainsKey(d.Team))
        {
            var cursor = await conn.ExecuteScalarAsync<long?>("SELECT position FROM routing_cursors WHERE team = @team", new { team = d.Team }) ?? -1;
            assignment = Assigner.Decide(new AssignmentRequest("what-if", d.Team, d.Skills, language), ws2, agents.LoadsFor(d.Team, ws2, now), (int)cursor);
        }
        var agentName = assignment?.Agent is { } key && long.TryParse(key, out var uid) && agents.ById.TryGetValue(uid, out var row) ? row.Email : assignment?.Agent;
        var candidates = assignment?.Candidates.Select(c => long.TryParse(c.Agent, out var id) && agents.ById.TryGetValue(id, out var r) ? c with { Agent = r.Email } : c).ToList()
            ?? [];

        var policy = ws2.PolicyFor(d.SlaPolicy, d.Team);
        var deadlines = new List<WhatIfDeadlineDto>();
        if (policy is not null)
        {
            try
            {
                if (policy.FirstResponse is { } fr)
                    deadlines.Add(new WhatIfDeadlineDto("first_response", policy.Calendar.AddBusinessTime(when, fr)));
                if (policy.Resolution is { } res)
                    deadlines.Add(new WhatIfDeadlineDto("resolution", policy.Calendar.AddBusinessTime(when, res)));
            }
            catch (InvalidOperationException ex)
            {
                // A calendar with no business time in its search horizon: say so instead of failing the request.
                return Problems.BadRequest($"SLA policy '{policy.Name}': {ex.Message}");
            }
        }
        return TypedResults.Ok(new WhatIfResultDto(source, versionId,
            [.. d.Trace.Select(t => new RuleTraceDto(t.Rule, t.Matched, t.Reason))],
            d.Team, d.Priority, d.Labels, d.RequireApproval, d.Crisis, d.Notify, d.Explain(),
            agentName, assignment?.Reason ?? (ws2.Teams.ContainsKey(d.Team) ? "" : $"team '{d.Team}' is not configured: no assignment"),
            candidates, policy?.Name, policy?.Calendar.Name, deadlines));
    }
}
