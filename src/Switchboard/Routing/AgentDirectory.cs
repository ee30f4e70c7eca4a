using System.Data.Common;
using System.Globalization;
using Dapper;
using Switchboard.Routing.Configuration;

namespace Switchboard.Routing;

/// <summary>A user who can take conversations, as stored (users + team_members) with their current load.</summary>
internal sealed record AgentRow(long Id, string Email, string Name, string Role, bool Available, long? LastSeenAt, int Capacity,
    IReadOnlySet<string> Skills, IReadOnlySet<string> Languages, IReadOnlyList<string> Teams, IReadOnlySet<string> LeadOf);

/// <summary>
/// The agents the runtime assigns to come from the database, not from the YAML: users, their team memberships
/// (team_members, by team slug), skills, languages and capacity. The YAML <c>agents</c> section is only for
/// `switchboard simulate`. Online rule (docs/configuration.md): <c>users.available = 1</c> AND (seen within
/// <see cref="PresenceWindow"/> OR the team's calendar is open now) — an agent who marked themselves unavailable is
/// never assigned; one who is available counts as working during their team's hours even without an open page.
/// </summary>
internal sealed class AgentDirectory
{
    public static readonly TimeSpan PresenceWindow = TimeSpan.FromMinutes(10);

    readonly Dictionary<long, (int Open, long? LastAssignedAt)> _load;

    AgentDirectory(IReadOnlyList<AgentRow> agents, Dictionary<long, (int, long?)> load, Dictionary<string, long> teamIds)
    {
        Agents = agents;
        _load = load;
        TeamIds = teamIds;
        ById = agents.ToDictionary(a => a.Id);
    }

    public IReadOnlyList<AgentRow> Agents { get; }
    public IReadOnlyDictionary<long, AgentRow> ById { get; }
    public IReadOnlyDictionary<string, long> TeamIds { get; }

    public static async Task<AgentDirectory> LoadAsync(DbConnection conn, DbTransaction? tx)
    {
        var teamIds = (await conn.QueryAsync<(long Id, string Slug)>("SELECT id, slug FROM teams", transaction: tx)).ToDictionary(t => t.Slug, t => t.Id);
        var rows = await conn.QueryAsync<(long Id, string Email, string Name, string Role, long Available, long? LastSeen, long Capacity, string Skills, string Languages, string? Slug, long? Lead)>(
            """
            SELECT u.id, u.email, u.display_name, u.role, u.available, u.last_seen_at, u.capacity, u.skills, u.languages, t.slug, tm.is_lead
            FROM users u LEFT JOIN team_members tm ON tm.user_id = u.id LEFT JOIN teams t ON t.id = tm.team_id
            WHERE u.deactivated_at IS NULL
            ORDER BY u.id, t.id
            """, transaction: tx);
        var agents = rows.GroupBy(r => r.Id).Select(g =>
        {
            var f = g.First();
            return new AgentRow(f.Id, f.Email, f.Name, f.Role, f.Available == 1, f.LastSeen, (int)Math.Clamp(f.Capacity, 0, 100_000),
                Split(f.Skills), Split(f.Languages), [.. g.Where(r => r.Slug is not null).Select(r => r.Slug!)],
                g.Where(r => r.Lead == 1 && r.Slug is not null).Select(r => r.Slug!).ToHashSet(StringComparer.Ordinal));
        }).ToList();
        var load = (await conn.QueryAsync<(long Id, long Open, long? Last)>(
            "SELECT assignee_id, COUNT(*), MAX(assigned_at) FROM conversations WHERE assignee_id IS NOT NULL AND status <> 'resolved' GROUP BY assignee_id",
            transaction: tx)).ToDictionary(r => r.Id, r => ((int)r.Open, r.Last));
        return new AgentDirectory(agents, load, teamIds);
    }

    static HashSet<string> Split(string s) =>
        s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.OrdinalIgnoreCase);

    public static string Key(long userId) => userId.ToString(CultureInfo.InvariantCulture);

    /// <summary>The configuration with the stored agents in place of the YAML ones (ids are user ids as text).</summary>
    public Workspace Apply(Workspace ws) => new()
    {
        Calendars = ws.Calendars,
        TeamList = ws.TeamList,
        Agents = [.. Agents.Where(a => a.Teams.Count > 0).Select(a => new Agent(Key(a.Id), a.Name, a.Email, a.Role == "admin",
            [.. a.Teams.Where(ws.Teams.ContainsKey)], a.Skills, a.Languages, a.Capacity, null))],
        Policies = ws.Policies,
        Ladders = ws.Ladders,
        AuthorLists = ws.AuthorLists,
        Rules = ws.Rules,
        DefaultTeam = ws.DefaultTeam,
        DefaultPolicy = ws.DefaultPolicy,
        CrisisLadder = ws.CrisisLadder,
        Webhooks = ws.Webhooks,
    };

    /// <summary>Loads as the assigner sees them for a conversation in <paramref name="team"/> at <paramref name="now"/>.</summary>
    public Dictionary<string, AgentLoad> LoadsFor(string team, Workspace ws, DateTimeOffset now)
    {
        var open = ws.Teams.TryGetValue(team, out var t) && t.Calendar.IsOpen(now);
        var nowMs = now.ToUnixTimeMilliseconds();
        var d = new Dictionary<string, AgentLoad>();
        foreach (var a in Agents)
        {
            if (!a.Teams.Contains(team))
                continue;
            var seen = a.LastSeenAt is { } s && nowMs - s <= (long)PresenceWindow.TotalMilliseconds;
            var (n, last) = _load.GetValueOrDefault(a.Id);
            d[Key(a.Id)] = new AgentLoad(a.Available && (seen || open), n,
                last is { } l ? DateTimeOffset.FromUnixTimeMilliseconds(l) : null);
        }
        return d;
    }

    /// <summary>Keeps the in-memory load current within one batch or sweep.</summary>
    public void Assigned(long userId, long at)
    {
        var (n, _) = _load.GetValueOrDefault(userId);
        _load[userId] = (n + 1, at);
    }

    public void Freed(long userId)
    {
        var (n, last) = _load.GetValueOrDefault(userId);
        _load[userId] = (Math.Max(0, n - 1), last);
    }
}
