using System.Text.RegularExpressions;

namespace Switchboard.People;

/// <summary>A seat in a team; a lead is notified by `team_lead` escalations and sees the team's approvals.</summary>
public sealed record TeamSeat(string Team, bool Lead);

/// <summary>
/// A person's working profile as admins and managers set it: what the assignment engine, the access scope and the
/// hand-over read (role, team seats, channel scope, skills, languages, capacity, expert areas).
/// </summary>
public sealed record PersonProfile(
    string Name,
    string Role,
    IReadOnlyList<TeamSeat> Teams,
    IReadOnlyList<string> Channels,
    IReadOnlyList<string> Skills,
    IReadOnlyList<string> Languages,
    int Capacity,
    IReadOnlyList<string> ExpertAreas);

/// <summary>
/// The checks on a profile and on who may change it, as pure functions: the API, the /people page and the tests
/// call the same rules. Errors name the field they are about (<c>teams[1].team: unknown team 'sales'</c>).
/// </summary>
public static partial class PersonRules
{
    public static readonly string[] Roles = ["admin", "manager", "agent", "trainee", "approver", "analyst"];

    /// <summary>The skills of the enterprise social media function (seed 002); any other skill may be added.</summary>
    public static readonly string[] StandardSkills = ["Strategy", "Content Development", "Training", "Change Management", "Communicating", "Technical"];

    public const int MaxName = 100;
    public const int MaxCapacity = 500;
    public const int MaxTeams = 20;
    public const int MaxChannels = 20;
    public const int MaxSkills = 30;
    public const int MaxSkillLength = 40;
    public const int MaxLanguages = 20;
    public const int MaxAreas = 10;
    public const int MaxAreaLength = 60;

    [GeneratedRegex("^[a-z0-9][a-z0-9_.-]{0,39}$")]
    private static partial Regex ChannelName();

    [GeneratedRegex("^[a-z]{2}$")]
    private static partial Regex LanguageCode();

    /// <summary>Trims and normalises the profile (skills to their standard spelling, codes to lower case, duplicates dropped) and checks every field.</summary>
    public static (PersonProfile? Profile, IReadOnlyList<string> Errors) Check(PersonProfile input, IReadOnlySet<string> knownTeams)
    {
        var errors = new List<string>();
        var name = (input.Name ?? "").Trim();
        if (name.Length == 0)
            errors.Add("name: required");
        else if (name.Length > MaxName || name.Any(char.IsControl))
            errors.Add($"name: at most {MaxName} printable characters");

        var role = (input.Role ?? "").Trim().ToLowerInvariant();
        if (!Roles.Contains(role))
            errors.Add($"role: '{Clip(input.Role)}' is not one of {string.Join(", ", Roles)}");

        var teams = new List<TeamSeat>();
        var seats = input.Teams ?? [];
        if (seats.Count > MaxTeams)
            errors.Add($"teams: at most {MaxTeams}");
        for (var i = 0; i < seats.Count && i < MaxTeams; i++)
        {
            var slug = (seats[i]?.Team ?? "").Trim().ToLowerInvariant();
            if (!knownTeams.Contains(slug))
                errors.Add($"teams[{i}].team: unknown team '{Clip(seats[i]?.Team)}'");
            else if (teams.Any(t => t.Team == slug))
                errors.Add($"teams[{i}].team: '{slug}' is listed twice");
            else
                teams.Add(new TeamSeat(slug, seats[i]!.Lead));
        }

        var channels = Normalise(input.Channels, MaxChannels, "channels", errors, c => c.ToLowerInvariant(),
            c => ChannelName().IsMatch(c) ? null : "lower-case letters, digits, '.', '_' or '-' (at most 40), e.g. mastodon");
        var skills = Normalise(input.Skills, MaxSkills, "skills", errors,
            s => StandardSkills.FirstOrDefault(k => string.Equals(k, s, StringComparison.OrdinalIgnoreCase)) ?? s,
            // Skills are stored comma-separated: a comma would split one skill into two.
            s => s.Length <= MaxSkillLength && !s.Contains(',', StringComparison.Ordinal) && !s.Any(char.IsControl) ? null : $"at most {MaxSkillLength} printable characters, no comma");
        var languages = Normalise(input.Languages, MaxLanguages, "languages", errors, l => l.ToLowerInvariant(),
            l => LanguageCode().IsMatch(l) ? null : "a two-letter ISO 639-1 code, e.g. en");
        var (areas, areaErrors) = CheckAreas(input.ExpertAreas, "expert_areas");
        errors.AddRange(areaErrors);

        if (input.Capacity is < 0 or > MaxCapacity)
            errors.Add($"capacity: between 0 and {MaxCapacity} open conversations (0: never assigned automatically)");

        return errors.Count > 0
            ? (null, errors)
            : (new PersonProfile(name, role, teams, channels, skills, languages, input.Capacity, areas), errors);
    }

    /// <summary>
    /// Whether <paramref name="editorRole"/> may move a person from <paramref name="currentRole"/> (null: a new person)
    /// to <paramref name="newRole"/>. Admins may do anything but demote themselves (an installation must keep an admin
    /// who can undo mistakes); managers manage everyone but admins, and cannot make anyone an admin or change their own role.
    /// </summary>
    public static string? MayChange(string editorRole, bool self, string? currentRole, string newRole)
    {
        if (editorRole == "admin")
            return self && currentRole == "admin" && newRole != "admin" ? "an admin cannot remove their own admin role; ask another admin" : null;
        if (editorRole != "manager")
            return "only admins and managers manage people";
        if (currentRole == "admin" || newRole == "admin")
            return "only an admin can grant the admin role or change an admin";
        if (self && currentRole != newRole)
            return "a manager cannot change their own role";
        return null;
    }

    /// <summary>
    /// Whether <paramref name="editorRole"/> may deactivate or reactivate a person holding <paramref name="targetRole"/>.
    /// Nobody deactivates themselves (so the last admin cannot lock everyone out), and only admins touch admins.
    /// </summary>
    public static string? MayDeactivate(string editorRole, bool self, string targetRole)
    {
        if (editorRole is not ("admin" or "manager"))
            return "only admins and managers manage people";
        if (self)
            return "you cannot deactivate yourself; ask another admin or manager";
        if (editorRole == "manager" && targetRole == "admin")
            return "only an admin can deactivate or reactivate an admin";
        return null;
    }

    /// <summary>
    /// Whether a person's team seats and channel scope may change as asked. Admins reach everyone. A manager's reach
    /// is their own teams, as it is in the inbox: they manage people who sit in one of those teams or in none (a new
    /// hire not yet seated), they add, remove or change seats only in those teams (seats elsewhere stay as they were),
    /// and they cannot widen their own access: their own seats and channels are an admin's to change. Without this a
    /// manager could seat themselves in another team and read its conversations.
    /// </summary>
    /// <param name="editorTeams">The teams the editor sits in.</param>
    /// <param name="before">The person's seats and channels now; null for a new person.</param>
    public static string? MayReach(string editorRole, bool self, IReadOnlySet<string> editorTeams,
        (IReadOnlyList<TeamSeat> Teams, IReadOnlyList<string> Channels)? before, PersonProfile after)
    {
        if (editorRole == "admin")
            return null;
        var seats = before?.Teams ?? [];
        if (OutOfReach(editorRole, editorTeams, seats) is { } outside)
            return outside;
        if (self && before is { } mine && (!SameSeats(mine.Teams, after.Teams) || !mine.Channels.Order(StringComparer.Ordinal).SequenceEqual(after.Channels.Order(StringComparer.Ordinal))))
            return "teams: a manager cannot change their own team seats or channels; ask an admin";
        var changed = seats.Where(s => !after.Teams.Contains(s)).Concat(after.Teams.Where(s => !seats.Contains(s)))
            .Select(s => s.Team).Where(t => !editorTeams.Contains(t)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        return changed.Count > 0
            ? $"teams: only an admin or a manager of {string.Join(", ", changed.Select(t => $"'{t}'"))} can change seats there"
            : null;
    }

    /// <summary>
    /// Expert areas as the people form and the experts endpoint both take them: trimmed, blanks dropped, duplicates
    /// (ignoring case) merged, at most <see cref="MaxAreas"/> of at most <see cref="MaxAreaLength"/> printable characters.
    /// </summary>
    public static (IReadOnlyList<string> Areas, IReadOnlyList<string> Errors) CheckAreas(IReadOnlyList<string>? areas, string field = "areas")
    {
        var errors = new List<string>();
        var list = Normalise(areas, MaxAreas, field, errors, a => a,
            a => a.Length <= MaxAreaLength && !a.Any(char.IsControl) ? null : $"at most {MaxAreaLength} printable characters");
        return (list, errors);
    }

    /// <summary>
    /// Whether <paramref name="editorRole"/> may make someone an expert or change their areas: the same reach as editing
    /// their profile (<see cref="MayChange"/> for admins, <see cref="OutOfReach"/> for a manager's teams).
    /// </summary>
    public static string? MayChangeExpertise(string editorRole, IReadOnlySet<string> editorTeams, string targetRole, IReadOnlyList<TeamSeat> targetSeats)
    {
        if (editorRole == "admin")
            return null;
        if (editorRole != "manager")
            return "only admins and managers manage experts";
        return targetRole == "admin" ? "only an admin can change an admin" : OutOfReach(editorRole, editorTeams, targetSeats);
    }

    /// <summary>Whether the person sitting in <paramref name="seats"/> is within a manager's reach (see <see cref="MayReach"/>).</summary>
    public static string? OutOfReach(string editorRole, IReadOnlySet<string> editorTeams, IReadOnlyList<TeamSeat> seats) =>
        editorRole == "admin" || seats.Count == 0 || seats.Any(s => editorTeams.Contains(s.Team))
            ? null
            : $"this person sits in none of your teams ({string.Join(", ", seats.Select(s => s.Team))}); ask an admin or a manager of their team";

    static bool SameSeats(IReadOnlyList<TeamSeat> a, IReadOnlyList<TeamSeat> b) =>
        a.Count == b.Count && a.All(b.Contains);

    static List<string> Normalise(IReadOnlyList<string>? values, int max, string field, List<string> errors, Func<string, string> canonical, Func<string, string?> invalid)
    {
        var list = new List<string>();
        var items = values ?? [];
        if (items.Count > max)
        {
            errors.Add($"{field}: at most {max}");
            return list;
        }
        for (var i = 0; i < items.Count; i++)
        {
            var v = (items[i] ?? "").Trim();
            if (v.Length == 0)
                continue;
            v = canonical(v);
            if (invalid(v) is { } why)
                errors.Add($"{field}[{i}]: '{Clip(items[i])}' — {why}");
            else if (!list.Contains(v, StringComparer.OrdinalIgnoreCase))
                list.Add(v);
        }
        return list;
    }

    static string Clip(string? s) => s is null ? "" : s.Length > 60 ? s[..60] + "…" : s;
}
