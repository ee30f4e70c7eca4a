using System.Globalization;
using System.Text.RegularExpressions;
using Switchboard.Configuration;
using Switchboard.Sla;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace Switchboard.Routing.Configuration;

/// <summary>A refusal: the path of the offending element (e.g. <c>routing[3].actions.team</c>), its position and why.</summary>
internal sealed record ConfigError(string Path, long Line, long Column, string Message)
{
    public override string ToString() => Line > 0 ? $"{Path}: {Message} (line {Line}, column {Column})" : $"{Path}: {Message}";
}

/// <summary>Either a workspace or the list of every error found (never both).</summary>
internal sealed record WorkspaceLoadResult(Workspace? Workspace, IReadOnlyList<ConfigError> Errors)
{
    public bool Ok => Workspace is not null;
}

/// <summary>
/// Loads and validates the routing/SLA YAML (docs/configuration.md). Strict: unknown fields, wrong types, unknown
/// references, impossible calendars and ladder cycles are refused with the element's path; nothing partial is
/// returned, so a host keeps the active version in force when a new one is refused. Hostile input: size is capped,
/// anchors/aliases are refused (no alias bombs), duplicate keys are refused.
/// </summary>
internal static partial class WorkspaceLoader
{
    public const int MaxBytes = 1 << 20;

    static readonly string[] TopFields = ["version", "defaults", "calendars", "teams", "agents", "sla_policies", "ladders", "author_lists", "routing", "webhooks", "digests"];
    static readonly string[] Priorities = ["low", "normal", "high", "urgent"];
    static readonly string[] SpecialTargets = ["assignee", "team_lead", "team"];

    public static WorkspaceLoadResult Load(TextReader reader)
    {
        var buffer = new char[MaxBytes + 1];
        var n = reader.ReadBlock(buffer, 0, buffer.Length);
        if (n > MaxBytes)
            return Fail("$", $"configuration larger than {MaxBytes} characters");
        return LoadText(new string(buffer, 0, n));
    }

    public static WorkspaceLoadResult LoadText(string yaml)
    {
        if (yaml.Length > MaxBytes)
            return Fail("$", $"configuration larger than {MaxBytes} characters");
        var (root, refusal) = StrictYaml.Read(yaml);
        if (refusal is not null)
            return Fail("$", refusal.Message, refusal.Mark);
        if (root is null)
            return Fail("$", "empty configuration");
        return new Builder().Build(root);
    }

    static WorkspaceLoadResult Fail(string path, string message, Mark? mark = null) =>
        new(null, [new ConfigError(path, mark?.Line ?? 0, mark?.Column ?? 0, message)]);

    [GeneratedRegex(@"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")]
    private static partial Regex DurationPattern();

    [GeneratedRegex(@"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")]
    private static partial Regex ShiftPattern();

    /// <summary>"90s", "15m", "1h30m", "2d" (a day is 24 hours); "0" is zero.</summary>
    internal static TimeSpan? ParseDuration(string s)
    {
        if (s == "0")
            return TimeSpan.Zero;
        var m = DurationPattern().Match(s);
        if (!m.Success || s.Length == 0)
            return null;
        long Part(int g) => m.Groups[g].Success ? long.Parse(m.Groups[g].Value, CultureInfo.InvariantCulture) : 0;
        try
        {
            return checked(TimeSpan.FromDays(Part(1)) + TimeSpan.FromHours(Part(2)) + TimeSpan.FromMinutes(Part(3)) + TimeSpan.FromSeconds(Part(4)));
        }
        catch (Exception e) when (e is OverflowException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    sealed class Builder
    {
        readonly List<ConfigError> _errors = [];

        void Error(string path, YamlNode? node, string message) =>
            _errors.Add(new ConfigError(path, node?.Start.Line ?? 0, node?.Start.Column ?? 0, message));

        // ---- typed accessors: each reports a path-qualified error and returns null on failure ----

        Dictionary<string, YamlNode>? Fields(YamlNode? node, string path, string[] allowed)
        {
            if (node is not YamlMappingNode map)
            {
                Error(path, node, "expected a mapping");
                return null;
            }
            var result = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
            foreach (var (k, v) in map.Children)
            {
                if (k is not YamlScalarNode { Value: { } key })
                {
                    Error(path, k, "keys must be plain strings");
                    continue;
                }
                if (!allowed.Contains(key))
                {
                    Error($"{path}.{key}", k, $"unknown field '{key}' (expected one of: {string.Join(", ", allowed)})");
                    continue;
                }
                result[key] = v;
            }
            return result;
        }

        string? Str(Dictionary<string, YamlNode> f, string key, string path, bool required = false)
        {
            if (!f.TryGetValue(key, out var node) || node is YamlScalarNode { Value: null or "" } && !required)
            {
                if (required)
                    Error($"{path}.{key}", null, "required field missing");
                return null;
            }
            if (node is not YamlScalarNode { Value: { } v } || (required && v.Length == 0))
            {
                Error($"{path}.{key}", node, "expected a non-empty string");
                return null;
            }
            if (v.Length > 2000)
            {
                Error($"{path}.{key}", node, "value longer than 2000 characters");
                return null;
            }
            return v;
        }

        List<string> StrList(Dictionary<string, YamlNode> f, string key, string path)
        {
            if (!f.TryGetValue(key, out var node))
                return [];
            return StrList(node, $"{path}.{key}");
        }

        List<string> StrList(YamlNode node, string path)
        {
            if (node is YamlScalarNode { Value: { Length: > 0 } one })
                return [one];
            if (node is not YamlSequenceNode seq)
            {
                Error(path, node, "expected a list of strings");
                return [];
            }
            var list = new List<string>();
            for (var i = 0; i < seq.Children.Count; i++)
            {
                if (seq.Children[i] is YamlScalarNode { Value: { Length: > 0 } v })
                    list.Add(v);
                else
                    Error($"{path}[{i}]", seq.Children[i], "expected a non-empty string");
            }
            return list;
        }

        TimeSpan? Dur(Dictionary<string, YamlNode> f, string key, string path)
        {
            var s = Str(f, key, path);
            if (s is null)
                return null;
            var d = ParseDuration(s);
            if (d is null)
                Error($"{path}.{key}", f[key], $"invalid duration '{s}' (use e.g. 90s, 15m, 1h30m, 2d)");
            return d;
        }

        bool? Bool(Dictionary<string, YamlNode> f, string key, string path)
        {
            var s = Str(f, key, path);
            if (s is null)
                return null;
            if (bool.TryParse(s, out var b))
                return b;
            Error($"{path}.{key}", f[key], $"expected true or false, got '{s}'");
            return null;
        }

        long? Long(Dictionary<string, YamlNode> f, string key, string path, long min, long max)
        {
            var s = Str(f, key, path);
            if (s is null)
                return null;
            if (long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v >= min && v <= max)
                return v;
            Error($"{path}.{key}", f[key], $"expected an integer between {min} and {max}, got '{s}'");
            return null;
        }

        IEnumerable<(YamlNode Node, string Path)> Items(Dictionary<string, YamlNode> f, string key)
        {
            if (!f.TryGetValue(key, out var node))
                yield break;
            if (node is not YamlSequenceNode seq)
            {
                Error(key, node, "expected a list");
                yield break;
            }
            for (var i = 0; i < seq.Children.Count; i++)
                yield return (seq.Children[i], $"{key}[{i}]");
        }

        bool Name(string? name, string path, YamlNode? node, HashSet<string> seen, string what)
        {
            if (name is null)
                return false;
            if (name.Contains('|', StringComparison.Ordinal))
            {
                Error($"{path}.name", node, $"{what} name must not contain '|'");
                return false;
            }
            if (!seen.Add(name))
            {
                Error($"{path}.name", node, $"duplicate {what} '{name}'");
                return false;
            }
            return true;
        }

        // ---- the document ----

        public WorkspaceLoadResult Build(YamlNode root)
        {
            var top = Fields(root, "$", TopFields);
            if (top is null)
                return new(null, _errors);
            if (Str(top, "version", "$") is { } version && version != "1")
                Error("version", top["version"], $"unsupported version '{version}' (expected 1)");

            // Pass 1: everything that others refer to, by name.
            var calendars = new Dictionary<string, BusinessCalendar>(StringComparer.Ordinal);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (node, path) in Items(top, "calendars"))
            {
                var f = Fields(node, path, ["name", "zone", "hours", "holidays"]);
                if (f is null)
                    continue;
                var name = Str(f, "name", path, required: true);
                var cal = Calendar(f, path, name ?? "?");
                if (Name(name, path, node, seen, "calendar") && cal is not null)
                    calendars[name!] = cal;
            }
            if (!top.ContainsKey("calendars"))
                Error("calendars", null, "at least one calendar is required");

            var rawLadders = new List<(string Name, string Path, YamlNode Node, List<EscalationLevel> Levels, string? Then)>();
            seen.Clear();
            foreach (var (node, path) in Items(top, "ladders"))
            {
                var f = Fields(node, path, ["name", "levels", "then"]);
                if (f is null)
                    continue;
                var name = Str(f, "name", path, required: true);
                var levels = new List<EscalationLevel>();
                foreach (var (ln, lp) in Items(f, "levels").Select(x => (x.Node, $"{path}.{x.Path}")))
                {
                    var lf = Fields(ln, lp, ["after", "notify"]);
                    if (lf is null)
                        continue;
                    var after = Dur(lf, "after", lp) ?? TimeSpan.Zero;
                    var targets = StrList(lf, "notify", lp);
                    if (targets.Count == 0)
                        Error($"{lp}.notify", ln, "a level needs at least one target");
                    levels.Add(new EscalationLevel(after, targets));
                }
                if (levels.Count == 0)
                    Error($"{path}.levels", node, "a ladder needs at least one level");
                if (Name(name, path, node, seen, "ladder"))
                    rawLadders.Add((name!, path, node, levels, Str(f, "then", path)));
            }
            var ladders = FlattenLadders(rawLadders);

            seen.Clear();
            var authorLists = new Dictionary<string, IReadOnlySet<string>>(StringComparer.Ordinal);
            if (top.TryGetValue("author_lists", out var listsNode))
            {
                if (listsNode is YamlMappingNode lm)
                {
                    foreach (var (k, v) in lm.Children)
                    {
                        var key = (k as YamlScalarNode)?.Value ?? "?";
                        authorLists[key] = StrList(v, $"author_lists.{key}").Select(h => h.TrimStart('@')).ToHashSet(StringComparer.OrdinalIgnoreCase);
                    }
                }
                else
                {
                    Error("author_lists", listsNode, "expected a mapping of list name to handles");
                }
            }

            // Named outbound webhooks (Slack-compatible JSON) that ladder levels and rules notify as "webhook:NAME".
            var webhooks = new Dictionary<string, Uri>(StringComparer.Ordinal);
            if (top.TryGetValue("webhooks", out var hooksNode))
            {
                if (hooksNode is YamlMappingNode hm)
                {
                    foreach (var (k, v) in hm.Children)
                    {
                        var key = (k as YamlScalarNode)?.Value ?? "?";
                        var url = (v as YamlScalarNode)?.Value;
                        if (url is null || !Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != "https" && uri.Scheme != "http"))
                            Error($"webhooks.{key}", v, "expected an absolute http(s) URL");
                        else
                            webhooks[key] = uri;
                    }
                }
                else
                {
                    Error("webhooks", hooksNode, "expected a mapping of webhook name to URL");
                }
            }

            var policies = new Dictionary<string, SlaPolicy>(StringComparer.Ordinal);
            foreach (var (node, path) in Items(top, "sla_policies"))
            {
                var f = Fields(node, path, ["name", "calendar", "first_response", "next_response", "resolution", "warn_before", "ladder"]);
                if (f is null)
                    continue;
                var name = Str(f, "name", path, required: true);
                var cal = CalendarRef(f, path, calendars, required: true);
                var fr = Dur(f, "first_response", path);
                var nr = Dur(f, "next_response", path);
                var res = Dur(f, "resolution", path);
                var warn = Dur(f, "warn_before", path) ?? TimeSpan.Zero;
                var ladder = LadderRef(f, path, ladders);
                if (fr is null && nr is null && res is null)
                    Error(path, node, "a policy needs at least one of first_response, next_response, resolution");
                foreach (var (key, value) in new[] { ("first_response", fr), ("next_response", nr), ("resolution", res) })
                {
                    if (value is { } v && v <= TimeSpan.Zero)
                        Error($"{path}.{key}", f[key], "target must be positive");
                }
                if (Name(name, path, node, seen, "policy") && cal is not null)
                    policies[name!] = new SlaPolicy(name!, cal, fr, nr, res, warn, ladder);
            }

            // Teams and agents refer to each other (lead ↔ teams): read both, then check references.
            var teamNames = new HashSet<string>(StringComparer.Ordinal);
            var teamRaw = new List<(string Name, string Path, YamlNode Node, Dictionary<string, YamlNode> F)>();
            foreach (var (node, path) in Items(top, "teams"))
            {
                var f = Fields(node, path, ["name", "calendar", "sla_policy", "selector", "reassign_after", "max_reassignments", "lead", "ladder"]);
                if (f is null)
                    continue;
                var name = Str(f, "name", path, required: true);
                if (Name(name, path, node, teamNames, "team"))
                    teamRaw.Add((name!, path, node, f));
            }
            if (teamRaw.Count == 0)
                Error("teams", null, "at least one team is required");

            var agents = new List<Agent>();
            var agentIds = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var (node, path) in Items(top, "agents"))
            {
                var f = Fields(node, path, ["email", "name", "admin", "teams", "skills", "languages", "capacity", "calendar"]);
                if (f is null)
                    continue;
                var email = Str(f, "email", path, required: true);
                if (email is not null && (!email.Contains('@', StringComparison.Ordinal) || email.Contains('|', StringComparison.Ordinal)))
                    Error($"{path}.email", f["email"], $"'{email}' is not an email address");
                if (email is not null && !agentIds.Add(email))
                    Error($"{path}.email", f["email"], $"duplicate agent '{email}'");
                var teams = StrList(f, "teams", path);
                for (var i = 0; i < teams.Count; i++)
                {
                    if (!teamNames.Contains(teams[i]))
                        Error($"{path}.teams[{i}]", f["teams"], $"unknown team '{teams[i]}'");
                }
                if (teams.Count == 0)
                    Error($"{path}.teams", node, "an agent must belong to at least one team");
                var capacity = (int)(Long(f, "capacity", path, 1, 10_000) ?? 5);
                var cal = CalendarRef(f, path, calendars, required: false);
                if (email is not null)
                {
                    agents.Add(new Agent(email, Str(f, "name", path) ?? email, email, Bool(f, "admin", path) ?? false, teams,
                        StrList(f, "skills", path).ToHashSet(StringComparer.OrdinalIgnoreCase),
                        StrList(f, "languages", path).ToHashSet(StringComparer.OrdinalIgnoreCase), capacity, cal));
                }
            }

            var teamList = new List<Team>();
            foreach (var (name, path, node, f) in teamRaw)
            {
                var cal = CalendarRef(f, path, calendars, required: true);
                var policy = Str(f, "sla_policy", path);
                if (policy is not null && !policies.ContainsKey(policy))
                    Error($"{path}.sla_policy", f["sla_policy"], $"unknown SLA policy '{policy}'");
                var selector = Str(f, "selector", path) switch
                {
                    null or "round_robin" => AssignmentSelector.RoundRobin,
                    "least_loaded" => AssignmentSelector.LeastLoaded,
                    "best_skill_match" => AssignmentSelector.BestSkillMatch,
                    var other => Invalid(path + ".selector", f["selector"], $"unknown selector '{other}' (round_robin, least_loaded, best_skill_match)"),
                };
                var lead = Str(f, "lead", path);
                if (lead is not null && !agentIds.Contains(lead))
                    Error($"{path}.lead", f["lead"], $"unknown agent '{lead}'");
                var reassign = Dur(f, "reassign_after", path);
                if (reassign is { } r && r <= TimeSpan.Zero)
                    Error($"{path}.reassign_after", f["reassign_after"], "must be positive");
                if (cal is not null)
                    teamList.Add(new Team(name, cal, policy, selector, reassign, lead, LadderRef(f, path, ladders),
                        (int)(Long(f, "max_reassignments", path, 0, 100) ?? 3)));
            }

            var rules = new List<RoutingRule>();
            seen.Clear();
            foreach (var (node, path) in Items(top, "routing"))
            {
                var rule = Rule(node, path, teamNames, policies, authorLists, agentIds);
                if (rule is not null && Name(rule.Name, path, node, seen, "rule"))
                    rules.Add(rule);
            }

            var digests = new List<Reports.DigestSchedule>();
            seen.Clear();
            foreach (var (node, path) in Items(top, "digests"))
            {
                var digest = Digest(node, path, teamNames, webhooks);
                if (digest is not null && Name(digest.Name, path, node, seen, "digest"))
                    digests.Add(digest);
            }

            string? defaultTeam = null, defaultPolicy = null;
            EscalationLadder? crisis = null;
            if (top.TryGetValue("defaults", out var dn) && Fields(dn, "defaults", ["team", "sla_policy", "crisis_ladder"]) is { } d)
            {
                defaultTeam = Str(d, "team", "defaults");
                if (defaultTeam is not null && !teamNames.Contains(defaultTeam))
                    Error("defaults.team", d["team"], $"unknown team '{defaultTeam}'");
                defaultPolicy = Str(d, "sla_policy", "defaults");
                if (defaultPolicy is not null && !policies.ContainsKey(defaultPolicy))
                    Error("defaults.sla_policy", d["sla_policy"], $"unknown SLA policy '{defaultPolicy}'");
                var cl = Str(d, "crisis_ladder", "defaults");
                if (cl is not null && !ladders.TryGetValue(cl, out crisis))
                    Error("defaults.crisis_ladder", d["crisis_ladder"], $"unknown ladder '{cl}'");
            }
            defaultTeam ??= teamRaw.Count > 0 ? teamRaw[0].Name : null;

            if (_errors.Count > 0 || defaultTeam is null)
                return new(null, _errors);
            return new(new Workspace
            {
                Calendars = calendars,
                TeamList = teamList,
                Agents = agents,
                Policies = policies,
                Ladders = ladders,
                AuthorLists = authorLists,
                Rules = rules,
                DefaultTeam = defaultTeam,
                DefaultPolicy = defaultPolicy,
                CrisisLadder = crisis,
                Webhooks = webhooks,
                Digests = digests,
            }, []);
        }

        static readonly string[] Weekdays = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];

        /// <summary>One `digests[i]`: a KPI report posted to a named webhook every day or week (docs/reports.md).</summary>
        Reports.DigestSchedule? Digest(YamlNode node, string path, IReadOnlySet<string> teamNames, IReadOnlyDictionary<string, Uri> webhooks)
        {
            var f = Fields(node, path, ["name", "webhook", "every", "on", "at", "zone", "team"]);
            if (f is null)
                return null;
            var before = _errors.Count;
            var name = Str(f, "name", path, required: true);
            var webhook = Str(f, "webhook", path, required: true);
            if (webhook is not null && !webhooks.ContainsKey(webhook))
                Error($"{path}.webhook", f["webhook"], $"unknown webhook '{webhook}' (name one from webhooks:)");
            var every = Str(f, "every", path, required: true) switch
            {
                "day" => Reports.DigestEvery.Day,
                "week" => Reports.DigestEvery.Week,
                null => Reports.DigestEvery.Day,
                var other => Fault(Reports.DigestEvery.Day, $"{path}.every", f["every"], $"unknown period '{other}' (day or week)"),
            };
            var weekday = DayOfWeek.Monday;
            var on = Str(f, "on", path);
            if (every == Reports.DigestEvery.Week)
            {
                if (on is null)
                    Error($"{path}.on", f.GetValueOrDefault("on") ?? node, "a weekly digest needs the day it is sent (monday … sunday)");
                else if (Array.IndexOf(Weekdays, on.ToLowerInvariant()) is var i and >= 0)
                    weekday = (DayOfWeek)i;
                else
                    Error($"{path}.on", f["on"], $"unknown day '{on}' (monday … sunday)");
            }
            else if (on is not null)
            {
                Error($"{path}.on", f["on"], "only a weekly digest has a day; a daily one is sent every day");
            }
            var atText = Str(f, "at", path, required: true);
            var at = TimeOnly.MinValue;
            if (atText is not null && !TimeOnly.TryParseExact(atText, "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out at))
                Error($"{path}.at", f["at"], $"expected a time of day such as 08:00, not '{atText}'");
            var zone = TimeZoneInfo.Utc;
            var zoneId = Str(f, "zone", path);
            if (zoneId is not null && !TimeZoneInfo.TryFindSystemTimeZoneById(zoneId, out zone!))
            {
                Error($"{path}.zone", f["zone"], $"unknown time zone '{zoneId}' (use an IANA id such as Europe/Berlin)");
                zone = TimeZoneInfo.Utc;
            }
            var team = Str(f, "team", path);
            if (team is not null && !teamNames.Contains(team))
                Error($"{path}.team", f["team"], $"unknown team '{team}'");
            return _errors.Count > before || name is null || webhook is null ? null : new Reports.DigestSchedule(name, webhook, every, weekday, at, zone, team);
        }

        T Fault<T>(T fallback, string path, YamlNode node, string message)
        {
            Error(path, node, message);
            return fallback;
        }

        AssignmentSelector Invalid(string path, YamlNode node, string message)
        {
            Error(path, node, message);
            return AssignmentSelector.RoundRobin;
        }

        BusinessCalendar? CalendarRef(Dictionary<string, YamlNode> f, string path, Dictionary<string, BusinessCalendar> calendars, bool required)
        {
            var name = Str(f, "calendar", path, required);
            if (name is null)
                return null;
            if (calendars.TryGetValue(name, out var cal))
                return cal;
            Error($"{path}.calendar", f["calendar"], $"unknown calendar '{name}'");
            return null;
        }

        EscalationLadder? LadderRef(Dictionary<string, YamlNode> f, string path, Dictionary<string, EscalationLadder> ladders)
        {
            var name = Str(f, "ladder", path);
            if (name is null)
                return null;
            if (ladders.TryGetValue(name, out var l))
                return l;
            Error($"{path}.ladder", f["ladder"], $"unknown ladder '{name}'");
            return null;
        }

        static readonly Dictionary<string, DayOfWeek[]> DayNames = new(StringComparer.OrdinalIgnoreCase)
        {
            ["mon"] = [DayOfWeek.Monday],
            ["tue"] = [DayOfWeek.Tuesday],
            ["wed"] = [DayOfWeek.Wednesday],
            ["thu"] = [DayOfWeek.Thursday],
            ["fri"] = [DayOfWeek.Friday],
            ["sat"] = [DayOfWeek.Saturday],
            ["sun"] = [DayOfWeek.Sunday],
        };

        static readonly DayOfWeek[] WeekOrder =
            [DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday, DayOfWeek.Friday, DayOfWeek.Saturday, DayOfWeek.Sunday];

        /// <summary>"mon", "mon-fri", "sat,sun", "daily".</summary>
        static DayOfWeek[]? ParseDays(string spec)
        {
            if (spec.Equals("daily", StringComparison.OrdinalIgnoreCase))
                return WeekOrder;
            var result = new List<DayOfWeek>();
            foreach (var part in spec.Split(',', StringSplitOptions.TrimEntries))
            {
                var range = part.Split('-', StringSplitOptions.TrimEntries);
                if (range.Length == 1 && DayNames.TryGetValue(range[0], out var one))
                {
                    result.AddRange(one);
                }
                else if (range.Length == 2 && DayNames.TryGetValue(range[0], out var a) && DayNames.TryGetValue(range[1], out var b))
                {
                    var i = Array.IndexOf(WeekOrder, a[0]);
                    var j = Array.IndexOf(WeekOrder, b[0]);
                    if (j < i)
                        return null;
                    result.AddRange(WeekOrder[i..(j + 1)]);
                }
                else
                {
                    return null;
                }
            }
            return [.. result];
        }

        BusinessCalendar? Calendar(Dictionary<string, YamlNode> f, string path, string name)
        {
            var zoneId = Str(f, "zone", path, required: true);
            TimeZoneInfo? zone = null;
            if (zoneId is not null)
            {
                try
                {
                    zone = TimeZoneInfo.FindSystemTimeZoneById(zoneId);
                }
                catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
                {
                    Error($"{path}.zone", f["zone"], $"unknown time zone '{zoneId}' (use an IANA id such as Europe/Berlin)");
                }
            }
            var shifts = new List<Shift>();
            if (!f.TryGetValue("hours", out var hoursNode) || hoursNode is not YamlMappingNode hours)
            {
                Error($"{path}.hours", f.GetValueOrDefault("hours"), "expected a mapping of days to shifts, e.g. mon-fri: [\"09:00-17:00\"]");
            }
            else
            {
                foreach (var (k, v) in hours.Children)
                {
                    var spec = (k as YamlScalarNode)?.Value ?? "";
                    var dpath = $"{path}.hours.{spec}";
                    var days = ParseDays(spec);
                    if (days is null)
                    {
                        Error(dpath, k, $"invalid days '{spec}' (use mon..sun, ranges like mon-fri, lists like sat,sun, or daily)");
                        continue;
                    }
                    var list = StrList(v, dpath);
                    for (var i = 0; i < list.Count; i++)
                    {
                        var shift = ParseShift(list[i]);
                        if (shift is null)
                        {
                            Error($"{dpath}[{i}]", v, $"invalid shift '{list[i]}' (HH:MM-HH:MM; end before start is overnight; 00:00-24:00 is a whole day)");
                            continue;
                        }
                        shifts.AddRange(days.Select(d => new Shift(d, shift.Value.Start, shift.Value.End)));
                    }
                }
            }
            var holidays = new List<DateOnly>();
            if (f.TryGetValue("holidays", out var hn))
            {
                var list = StrList(hn, $"{path}.holidays");
                for (var i = 0; i < list.Count; i++)
                {
                    if (DateOnly.TryParseExact(list[i], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
                        holidays.Add(date);
                    else
                        Error($"{path}.holidays[{i}]", hn, $"invalid date '{list[i]}' (yyyy-MM-dd)");
                }
            }
            if (zone is null)
                return null;
            var cal = new BusinessCalendar(name, zone, shifts, holidays);
            if (!cal.HasOpenTime && f.ContainsKey("hours"))
            {
                Error($"{path}.hours", hoursNode, "impossible calendar: no business hours in the week");
                return null;
            }
            return cal;
        }

        static (TimeOnly Start, TimeOnly End)? ParseShift(string s)
        {
            var m = ShiftPattern().Match(s);
            if (!m.Success)
                return null;
            int P(int g) => int.Parse(m.Groups[g].Value, CultureInfo.InvariantCulture);
            var (sh, sm, eh, em) = (P(1), P(2), P(3), P(4));
            if (sh > 23 || sm > 59 || em > 59 || eh > 24 || (eh == 24 && em != 0))
                return null;
            var start = new TimeOnly(sh, sm);
            var end = eh == 24 ? TimeOnly.MinValue : new TimeOnly(eh, em);
            // Equal times would be ambiguous (empty or 24 hours); only "24:00" spells a full day.
            if (start == end && !(eh == 24 && sh == 0 && sm == 0))
                return null;
            return (start, end);
        }

        Dictionary<string, EscalationLadder> FlattenLadders(List<(string Name, string Path, YamlNode Node, List<EscalationLevel> Levels, string? Then)> raw)
        {
            var byName = raw.ToDictionary(r => r.Name, StringComparer.Ordinal);
            var result = new Dictionary<string, EscalationLadder>(StringComparer.Ordinal);
            foreach (var r in raw)
            {
                var levels = new List<EscalationLevel>(r.Levels);
                var chain = new List<string> { r.Name };
                var current = r;
                var ok = true;
                while (current.Then is { } next)
                {
                    if (!byName.TryGetValue(next, out var n))
                    {
                        if (current.Name == r.Name)
                            Error($"{r.Path}.then", r.Node, $"unknown ladder '{next}'");
                        ok = current.Name != r.Name;
                        break;
                    }
                    if (chain.Contains(next))
                    {
                        // Report once, on the ladder that closes the cycle from its own start.
                        if (next == r.Name)
                            Error($"{r.Path}.then", r.Node, $"cycle in ladder chain: {string.Join(" → ", chain)} → {next}");
                        ok = false;
                        break;
                    }
                    chain.Add(next);
                    levels.AddRange(n.Levels);
                    current = n;
                }
                if (ok)
                    result[r.Name] = new EscalationLadder(r.Name, levels);
            }
            return result;
        }

        static readonly string[] ConditionFields =
            ["channel", "topic", "language", "sentiment", "intent", "department", "urgency", "team", "min_followers", "verified",
             "author_in", "author_not_in", "keywords", "keywords_none", "time_of_day"];

        static readonly string[] ActionFields = ["team", "priority", "labels", "sla_policy", "skills", "require_approval", "notify", "crisis", "stop"];

        RoutingRule? Rule(YamlNode node, string path, HashSet<string> teams, Dictionary<string, SlaPolicy> policies,
            Dictionary<string, IReadOnlySet<string>> authorLists, HashSet<string> agents)
        {
            var f = Fields(node, path, ["name", "trigger", "after", "conditions", "actions", "enabled"]);
            if (f is null)
                return null;
            var name = Str(f, "name", path, required: true);
            var trigger = Str(f, "trigger", path) switch
            {
                null or "message" => RuleTrigger.Message,
                "no_reply" => RuleTrigger.NoReply,
                var other => InvalidTrigger($"{path}.trigger", f["trigger"], other),
            };
            var after = Dur(f, "after", path);
            if (trigger == RuleTrigger.NoReply && (after is null || after <= TimeSpan.Zero))
                Error($"{path}.after", node, "a no_reply rule needs a positive 'after' duration");
            if (trigger == RuleTrigger.Message && after is not null)
                Error($"{path}.after", f["after"], "'after' only applies to trigger: no_reply");

            var conditions = new RuleConditions();
            if (f.TryGetValue("conditions", out var cn) && Fields(cn, $"{path}.conditions", ConditionFields) is { } c)
            {
                var cp = $"{path}.conditions";
                var condTeams = StrList(c, "team", cp);
                foreach (var t in condTeams.Where(t => !teams.Contains(t)))
                    Error($"{cp}.team", c["team"], $"unknown team '{t}'");
                var authorIn = StrList(c, "author_in", cp);
                var authorNotIn = StrList(c, "author_not_in", cp);
                foreach (var l in authorIn.Concat(authorNotIn).Where(l => !authorLists.ContainsKey(l)))
                    Error($"{cp}.{(authorIn.Contains(l) ? "author_in" : "author_not_in")}", cn, $"unknown author list '{l}'");
                conditions = new RuleConditions
                {
                    Channels = StrList(c, "channel", cp),
                    Topics = StrList(c, "topic", cp),
                    Languages = StrList(c, "language", cp),
                    Sentiments = StrList(c, "sentiment", cp),
                    Intents = StrList(c, "intent", cp),
                    Departments = StrList(c, "department", cp),
                    Urgencies = StrList(c, "urgency", cp),
                    Teams = condTeams,
                    MinFollowers = Long(c, "min_followers", cp, 0, long.MaxValue),
                    Verified = Bool(c, "verified", cp),
                    AuthorIn = authorIn,
                    AuthorNotIn = authorNotIn,
                    KeywordsAny = StrList(c, "keywords", cp),
                    KeywordsNone = StrList(c, "keywords_none", cp),
                    TimeOfDay = c.TryGetValue("time_of_day", out var tn) ? TimeOfDay(tn, $"{cp}.time_of_day") : null,
                };
            }

            var actions = new RuleActions();
            if (f.TryGetValue("actions", out var an) && Fields(an, $"{path}.actions", ActionFields) is { } a)
            {
                var ap = $"{path}.actions";
                var team = Str(a, "team", ap);
                if (team is not null && !teams.Contains(team))
                    Error($"{ap}.team", a["team"], $"unknown team '{team}'");
                var policy = Str(a, "sla_policy", ap);
                if (policy is not null && !policies.ContainsKey(policy))
                    Error($"{ap}.sla_policy", a["sla_policy"], $"unknown SLA policy '{policy}'");
                var priority = Str(a, "priority", ap);
                if (priority is not null && !Priorities.Contains(priority))
                    Error($"{ap}.priority", a["priority"], $"unknown priority '{priority}' ({string.Join(", ", Priorities)})");
                var notify = StrList(a, "notify", ap);
                for (var i = 0; i < notify.Count; i++)
                    CheckTarget(notify[i], $"{ap}.notify[{i}]", a["notify"], agents);
                // Labels land on the conversation, so they follow the inbox's one spelling (Inbox/ConversationLabel).
                var labels = new List<string>();
                foreach (var (raw, i) in StrList(a, "labels", ap).Select((l, i) => (l, i)))
                {
                    var (label, why) = Inbox.ConversationLabel.Normalize(raw);
                    if (label is null)
                        Error($"{ap}.labels[{i}]", a["labels"], why!);
                    else if (!labels.Contains(label))
                        labels.Add(label);
                }
                actions = new RuleActions
                {
                    Team = team,
                    Priority = priority,
                    Labels = labels,
                    SlaPolicy = policy,
                    Skills = StrList(a, "skills", ap),
                    RequireApproval = Bool(a, "require_approval", ap) ?? false,
                    Notify = notify,
                    Crisis = Bool(a, "crisis", ap) ?? false,
                    Stop = Bool(a, "stop", ap) ?? false,
                };
            }
            else if (!f.ContainsKey("actions"))
            {
                Error($"{path}.actions", node, "a rule needs actions");
            }
            if (Bool(f, "enabled", path) == false)
                return null;
            return name is null ? null : new RoutingRule(name, trigger, after, conditions, actions);
        }

        void CheckTarget(string target, string path, YamlNode node, HashSet<string> agents)
        {
            if (SpecialTargets.Contains(target) || target.StartsWith("role:", StringComparison.Ordinal) || target.StartsWith("webhook:", StringComparison.Ordinal))
                return;
            if (!agents.Contains(target))
                Error(path, node, $"unknown notification target '{target}' (assignee, team_lead, team, role:NAME, webhook:NAME or an agent email)");
        }

        RuleTrigger InvalidTrigger(string path, YamlNode node, string value)
        {
            Error(path, node, $"unknown trigger '{value}' (message, no_reply)");
            return RuleTrigger.Message;
        }

        TimeOfDayCondition? TimeOfDay(YamlNode node, string path)
        {
            var f = Fields(node, path, ["from", "to", "zone", "days"]);
            if (f is null)
                return null;
            var from = Str(f, "from", path, required: true);
            var to = Str(f, "to", path, required: true);
            var zoneId = Str(f, "zone", path) ?? "UTC";
            TimeZoneInfo? zone = null;
            try
            {
                zone = TimeZoneInfo.FindSystemTimeZoneById(zoneId);
            }
            catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
            {
                Error($"{path}.zone", f.GetValueOrDefault("zone"), $"unknown time zone '{zoneId}'");
            }
            var shift = from is null || to is null ? null : ParseShift($"{from}-{to}");
            if (from is not null && to is not null && shift is null)
                Error(path, node, $"invalid window '{from}'-'{to}' (HH:MM, different times)");
            var days = WeekOrder.ToHashSet();
            if (f.TryGetValue("days", out var dn))
            {
                var spec = string.Join(",", StrList(dn, $"{path}.days"));
                if (ParseDays(spec) is { } parsed)
                    days = [.. parsed];
                else
                    Error($"{path}.days", dn, $"invalid days '{spec}'");
            }
            return zone is null || shift is null ? null : new TimeOfDayCondition(shift.Value.Start, shift.Value.End, zone, days);
        }
    }
}
