using System.Globalization;
using System.Security.Claims;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Switchboard.Api;
using Switchboard.Auth;
using Switchboard.Posts;
using Switchboard.Routing.Configuration;
using Switchboard.Routing.Simulation;
using Switchboard.Storage;

namespace Switchboard.Routing;

internal sealed record ReplayRequest(string? Yaml = null, int Days = 7);

internal sealed record ReplayTeamDto(string Team, long Actual, long Active, long Draft);

internal sealed record ReplayChangeDto(long Conversation, string Subject, string? Actual, string? Active, string? Draft);

internal sealed record ReplayResultDto(
    DateTimeOffset From,
    DateTimeOffset To,
    long Messages,
    bool Truncated,
    long Conversations,
    long ChangedTeam,
    IReadOnlyList<ReplayTeamDto> Teams,
    IReadOnlyDictionary<string, long> ActiveEvents,
    IReadOnlyDictionary<string, long> DraftEvents,
    IReadOnlyList<ReplayChangeDto> Changes);

/// <summary>
/// The what-if over stored traffic (issue 5): replays the last days' messages through the simulator twice, with the
/// active rules and with a draft, on the same simulated clock (no agent answers, agents online in their calendar
/// hours, as <c>switchboard simulate</c> does), and sets both next to what actually happened. Each message keeps its
/// stored conversation, so the three columns compare the same conversations. Stores nothing.
/// </summary>
internal static class WhatIfReplay
{
    public const int MaxMessages = 50_000;
    const int MaxChanges = 50;

    /// <summary>The subject shown for a changed conversation outside the caller's teams.</summary>
    public const string HiddenSubject = "(another team's conversation)";

    internal static async Task<Results<Ok<ReplayResultDto>, ProblemHttpResult>> ReplayAsync(ReplayRequest req, ClaimsPrincipal user, Database db, ActiveRules rules,
        TimeProvider time, CancellationToken ct)
    {
        if (req.Days is < 1 or > 31)
            return Problems.BadRequest("days must be between 1 and 31");
        if (req.Yaml is { Length: > WorkspaceLoader.MaxBytes })
            return Problems.BadRequest($"configuration larger than {WorkspaceLoader.MaxBytes} characters");
        var active = await rules.GetAsync(ct);
        var draft = active.Workspace;
        if (!string.IsNullOrWhiteSpace(req.Yaml))
        {
            var loaded = WorkspaceLoader.LoadText(req.Yaml);
            if (!loaded.Ok)
                return Problems.BadRequest("the draft is invalid: " + string.Join("; ", loaded.Errors.Select(e => e.ToString())));
            draft = loaded.Workspace!;
        }

        var to = time.GetUtcNow();
        var from = to.AddDays(-req.Days);
        await using var conn = await db.OpenAsync(ct);
        var rows = (await conn.QueryAsync<MessageRow>(
            """
            SELECT m.external_id AS ExternalId, m.channel AS Channel, m.text AS Text, m.lang AS Lang, m.created_at AS CreatedAt,
                   m.in_reply_to AS InReplyTo, m.direction AS Direction, m.conversation_id AS ConversationId,
                   m.sentiment AS Sentiment, m.intent AS Intent, m.department AS Department, m.urgency AS Urgency,
                   a.external_id AS AuthorId, a.handle AS Handle, a.followers AS Followers, a.verified AS Verified,
                   t.slug AS Team, c.subject AS Subject
            FROM messages m JOIN conversations c ON c.id = m.conversation_id LEFT JOIN teams t ON t.id = c.team_id
              LEFT JOIN authors a ON a.id = m.author_id
            WHERE m.created_at >= @from AND m.created_at <= @to AND m.deleted_at IS NULL
            ORDER BY m.created_at, m.id
            LIMIT @limit
            """, new { from = from.ToUnixTimeMilliseconds(), to = to.ToUnixTimeMilliseconds(), limit = MaxMessages + 1 })).ToList();
        var truncated = rows.Count > MaxMessages;
        if (truncated)
            rows.RemoveAt(rows.Count - 1);
        var topics = (await conn.QueryAsync<(string ExternalId, string Channel, string Name)>(
            """
            SELECT m.external_id, m.channel, t.name FROM message_topics mt JOIN messages m ON m.id = mt.message_id JOIN topics t ON t.id = mt.topic_id
            WHERE m.created_at >= @from AND m.created_at <= @to
            """, new { from = from.ToUnixTimeMilliseconds(), to = to.ToUnixTimeMilliseconds() }))
            .GroupBy(t => (t.Channel, t.ExternalId)).ToDictionary(g => g.Key, g => string.Join(',', g.Select(t => t.Name)));
        var inputs = rows.Select((r, i) => (SimInput)new SimPost(DateTimeOffset.FromUnixTimeMilliseconds(r.CreatedAt), i + 1,
            new Post(r.ExternalId, r.Channel, r.Text, DateTimeOffset.FromUnixTimeMilliseconds(r.CreatedAt),
                r.AuthorId is null && r.Handle is null ? null : new Author(r.AuthorId, r.Handle, null, r.Followers, r.Verified is null ? null : r.Verified != 0),
                r.Lang, null, r.InReplyTo, r.Direction == "out"),
            Fields(r, topics))).ToList();

        var activeTeams = Run(inputs, active.Workspace, out var activeEvents);
        var draftTeams = Run(inputs, draft, out var draftEvents);
        var ids = rows.Select(r => r.ConversationId).Distinct().ToList();
        var actual = new Dictionary<long, (string? Team, string Subject)>();
        foreach (var r in rows)
            actual[r.ConversationId] = (r.Team, r.Subject);

        var teams = new SortedDictionary<string, (long Actual, long Active, long Draft)>(StringComparer.Ordinal);
        void Count(string? team, int column)
        {
            var key = team ?? "(none)";
            var v = teams.GetValueOrDefault(key);
            teams[key] = column switch { 0 => v with { Actual = v.Actual + 1 }, 1 => v with { Active = v.Active + 1 }, _ => v with { Draft = v.Draft + 1 } };
        }
        var changes = new List<ReplayChangeDto>();
        long changed = 0;
        foreach (var id in ids)
        {
            var key = id.ToString(CultureInfo.InvariantCulture);
            var a = activeTeams.GetValueOrDefault(key);
            var d = draftTeams.GetValueOrDefault(key);
            var (real, subject) = actual.GetValueOrDefault(id);
            Count(real, 0);
            Count(a, 1);
            Count(d, 2);
            if (a != d)
            {
                changed++;
                if (changes.Count < MaxChanges)
                    changes.Add(new ReplayChangeDto(id, subject ?? "", real, a, d));
            }
        }
        // The replay routes the whole workspace (rules move conversations between teams, so the counts are the
        // workspace's), but a manager sees only their own teams' conversations: another team's subject is not shown.
        var scope = await AccessScope.LoadAsync(conn, user);
        if (!scope.AllTeams && changes.Count > 0)
        {
            var p = new DynamicParameters();
            var listed = string.Join(',', changes.Select(c => c.Conversation.ToString(CultureInfo.InvariantCulture)));
            var visible = (await conn.QueryAsync<long>($"SELECT c.id FROM conversations c WHERE c.id IN ({listed}) AND {scope.Sql(p)}", p)).ToHashSet();
            changes = [.. changes.Select(c => visible.Contains(c.Conversation) ? c : c with { Subject = HiddenSubject })];
        }

        return TypedResults.Ok(new ReplayResultDto(from, to, rows.Count, truncated, ids.Count, changed,
            [.. teams.Select(t => new ReplayTeamDto(t.Key, t.Value.Actual, t.Value.Active, t.Value.Draft))], activeEvents, draftEvents, changes));
    }

    /// <summary>The simulator's team per conversation (the last routing decision wins: time-based rules may move it) and its event counts.</summary>
    static Dictionary<string, string?> Run(List<SimInput> inputs, Workspace ws, out IReadOnlyDictionary<string, long> events)
    {
        var teams = new Dictionary<string, string?>(StringComparer.Ordinal);
        var summary = Simulator.Run(inputs, ws, e =>
        {
            if (e.Event == "routed")
                teams[e.Conversation] = e.Team;
        });
        events = summary.Events;
        return teams;
    }

    static Dictionary<string, string> Fields(MessageRow r, Dictionary<(string, string), string> topics)
    {
        var f = new Dictionary<string, string>(StringComparer.Ordinal) { ["conversation"] = r.ConversationId.ToString(CultureInfo.InvariantCulture) };
        if (r.Sentiment is not null) f["sentiment"] = r.Sentiment;
        if (r.Intent is not null) f["intent"] = r.Intent;
        if (r.Department is not null) f["department"] = r.Department;
        if (r.Urgency is { } u) f["urgency"] = RoutingRuntime.UrgencyLevel(u);
        if (topics.TryGetValue((r.Channel, r.ExternalId), out var t)) f["topics"] = t;
        return f;
    }

    sealed record MessageRow(string ExternalId, string Channel, string Text, string? Lang, long CreatedAt, string? InReplyTo, string Direction,
        long ConversationId, string? Sentiment, string? Intent, string? Department, double? Urgency, string? AuthorId, string? Handle,
        long? Followers, long? Verified, string? Team, string Subject);
}
