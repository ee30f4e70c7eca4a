using Switchboard.Routing.Configuration;

namespace Switchboard.Routing;

/// <summary>The facts rules look at: the message (already classified upstream) and the conversation.</summary>
internal sealed record RoutingInput(
    string Channel,
    string Text,
    DateTimeOffset At,
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
    string? CurrentTeam = null);

/// <summary>
/// Why a rule did or did not match: the first failing condition, or the conditions that held. The sentence is
/// formatted on first read: most traces are stored or discarded unread, and formatting dominated the decision cost.
/// </summary>
internal sealed class RuleTrace(string rule, bool matched, RuleConditions when, RoutingInput input, string? team, int failed)
{
    string? _reason;

    public string Rule => rule;
    public bool Matched => matched;
    public string Reason => _reason ??= matched ? RoutingEngine.DescribeMatch(when) : RoutingEngine.DescribeFailure(when, input, team, failed);
}

/// <summary>The outcome of routing. <see cref="Team"/> is never null: the workspace default team applies when no rule sets one.</summary>
internal sealed record RoutingDecision(
    string Team,
    string? Priority,
    IReadOnlyList<string> Labels,
    string? SlaPolicy,
    IReadOnlyList<string> Skills,
    bool RequireApproval,
    IReadOnlyList<string> Notify,
    bool Crisis,
    IReadOnlyList<RuleTrace> Trace)
{
    public IEnumerable<string> MatchedRules => Trace.Where(t => t.Matched).Select(t => t.Rule);

    /// <summary>Each label with the first matching rule that put it on (the label's source on the conversation).</summary>
    public IReadOnlyDictionary<string, string> LabelRules { get; init; } = new Dictionary<string, string>();

    public string Explain() => string.Join("; ", Trace.Where(t => t.Matched).Select(t => $"rule '{t.Rule}' matched ({t.Reason})")) is { Length: > 0 } s
        ? s : "no rule matched: default team";
}

/// <summary>
/// One engine for every rule set: evaluates rules in order; a matching rule's actions apply at once and later rules
/// see their effect (e.g. a rule on <c>team</c> sees the team an earlier rule set). Loop guard: each rule is
/// evaluated at most once per call and actions never re-trigger evaluation; time-based rules fire at most once per
/// customer message (<see cref="Sla.ConversationClock"/>), so no chain of rules can loop.
/// </summary>
internal static class RoutingEngine
{
    public static RoutingDecision Route(RoutingInput input, Workspace ws) => Evaluate(ws.MessageRules, input, ws);

    public static RoutingDecision Evaluate(IReadOnlyList<RoutingRule> rules, RoutingInput input, Workspace ws)
    {
        string? team = null, priority = null, policy = null;
        List<string>? labels = null, skills = null, notify = null;
        Dictionary<string, string>? labelRules = null;
        bool approval = false, crisis = false;
        var trace = new List<RuleTrace>(rules.Count);
        var currentTeam = input.CurrentTeam;
        for (var i = 0; i < rules.Count; i++)
        {
            var rule = rules[i];
            var failed = FirstFailure(rule.When, input, currentTeam, ws);
            trace.Add(new RuleTrace(rule.Name, failed < 0, rule.When, input, currentTeam, failed));
            if (failed >= 0)
                continue;
            var a = rule.Then;
            if (a.Team is not null)
                team = currentTeam = a.Team;
            priority = a.Priority ?? priority;
            policy = a.SlaPolicy ?? policy;
            foreach (var l in a.Labels)
            {
                if ((labels ??= []).Contains(l))
                    continue;
                labels.Add(l);
                (labelRules ??= [])[l] = rule.Name;
            }
            if (a.Skills.Count > 0)
                (skills ??= []).AddRange(a.Skills.Where(l => !skills.Contains(l)));
            if (a.Notify.Count > 0)
                (notify ??= []).AddRange(a.Notify);
            approval |= a.RequireApproval;
            crisis |= a.Crisis;
            if (a.Stop)
                break;
        }
        return new RoutingDecision(team ?? input.CurrentTeam ?? ws.DefaultTeam, priority, labels ?? [], policy, skills ?? [], approval,
            notify ?? [], crisis, trace)
        { LabelRules = labelRules ?? [] };
    }

    internal static string DescribeMatch(RuleConditions w)
    {
        var parts = new List<string>(4);
        if (w.Channels.Count > 0) parts.Add("channel");
        if (w.Topics.Count > 0) parts.Add("topic");
        if (w.Languages.Count > 0) parts.Add("language");
        if (w.Sentiments.Count > 0) parts.Add("sentiment");
        if (w.Intents.Count > 0) parts.Add("intent");
        if (w.Departments.Count > 0) parts.Add("department");
        if (w.Urgencies.Count > 0) parts.Add("urgency");
        if (w.Teams.Count > 0) parts.Add("team");
        if (w.MinFollowers is not null || w.Verified is not null) parts.Add("influence");
        if (w.AuthorIn.Count > 0 || w.AuthorNotIn.Count > 0) parts.Add("author lists");
        if (w.KeywordsAny.Count > 0 || w.KeywordsNone.Count > 0) parts.Add("keywords");
        if (w.TimeOfDay is not null) parts.Add("time of day");
        return parts.Count == 0 ? "no conditions" : string.Join(", ", parts) + " matched";
    }

    /// <summary>Index of the first condition that does not hold (see <see cref="DescribeFailure"/>), or -1 when all hold.</summary>
    static int FirstFailure(RuleConditions w, RoutingInput m, string? team, Workspace ws)
    {
        if (w.Channels.Count > 0 && !AnyChannel(w.Channels, m.Channel)) return 0;
        if (w.Topics.Count > 0 && (m.Topics is null || !m.Topics.Any(t => AnyEq(w.Topics, t)))) return 1;
        if (w.Languages.Count > 0 && !AnyEq(w.Languages, m.Language)) return 2;
        if (w.Sentiments.Count > 0 && !AnyEq(w.Sentiments, m.Sentiment)) return 3;
        if (w.Intents.Count > 0 && !AnyEq(w.Intents, m.Intent)) return 4;
        if (w.Departments.Count > 0 && !AnyEq(w.Departments, m.Department)) return 5;
        if (w.Urgencies.Count > 0 && !AnyEq(w.Urgencies, m.Urgency)) return 6;
        if (w.Teams.Count > 0 && !AnyEq(w.Teams, team)) return 7;
        if (w.MinFollowers is { } min && (m.Followers ?? 0) < min) return 8;
        if (w.Verified is { } v && (m.Verified ?? false) != v) return 9;
        if (w.AuthorIn.Count > 0 && !w.AuthorIn.Any(l => OnList(ws, l, m))) return 10;
        foreach (var l in w.AuthorNotIn)
        {
            if (OnList(ws, l, m)) return 11;
        }
        if (w.KeywordsAny.Count > 0 && !w.KeywordsAny.Any(k => ContainsWord(m.Text, k))) return 12;
        foreach (var k in w.KeywordsNone)
        {
            if (ContainsWord(m.Text, k)) return 13;
        }
        if (w.TimeOfDay is { } tod && !tod.Contains(m.At)) return 14;
        return -1;
    }

    /// <summary>The trace sentence for failed condition <paramref name="failed"/>.</summary>
    internal static string DescribeFailure(RuleConditions w, RoutingInput m, string? team, int failed) => failed switch
    {
        0 => $"channel '{m.Channel}' not in [{string.Join(", ", w.Channels)}]",
        1 => $"topics [{string.Join(", ", m.Topics ?? [])}] not in [{string.Join(", ", w.Topics)}]",
        2 => $"language '{m.Language}' not in [{string.Join(", ", w.Languages)}]",
        3 => $"sentiment '{m.Sentiment}' not in [{string.Join(", ", w.Sentiments)}]",
        4 => $"intent '{m.Intent}' not in [{string.Join(", ", w.Intents)}]",
        5 => $"department '{m.Department}' not in [{string.Join(", ", w.Departments)}]",
        6 => $"urgency '{m.Urgency}' not in [{string.Join(", ", w.Urgencies)}]",
        7 => $"team '{team}' not in [{string.Join(", ", w.Teams)}]",
        8 => $"followers {m.Followers ?? 0} < {w.MinFollowers}",
        9 => $"verified is {m.Verified ?? false}, wanted {w.Verified}",
        10 => $"author '{m.AuthorHandle ?? m.AuthorId}' on none of [{string.Join(", ", w.AuthorIn)}]",
        11 => $"author '{m.AuthorHandle ?? m.AuthorId}' is on one of [{string.Join(", ", w.AuthorNotIn)}]",
        12 => $"none of the keywords [{string.Join(", ", w.KeywordsAny)}] in the text",
        13 => $"text contains one of the excluded keywords [{string.Join(", ", w.KeywordsNone)}]",
        14 => $"{m.At:O} outside {w.TimeOfDay!.From:HH\\:mm}-{w.TimeOfDay.To:HH\\:mm} {w.TimeOfDay.Zone.Id}",
        _ => "matched",
    };

    /// <summary>
    /// A channel condition names a channel ("slack:T024BE7LD") or its kind ("slack"): connectors name their channels
    /// kind:account, so a rule about every Slack workspace or every Mastodon instance is written once.
    /// </summary>
    static bool AnyChannel(IReadOnlyList<string> values, string channel)
    {
        for (var i = 0; i < values.Count; i++)
        {
            var v = values[i];
            if (string.Equals(v, channel, StringComparison.OrdinalIgnoreCase)
                || (channel.Length > v.Length && channel[v.Length] == ':' && channel.StartsWith(v, StringComparison.OrdinalIgnoreCase)))
                return true;
        }

        return false;
    }

    static bool AnyEq(IReadOnlyList<string> values, string? value)
    {
        if (value is null)
            return false;
        for (var i = 0; i < values.Count; i++)
        {
            if (string.Equals(values[i], value, StringComparison.OrdinalIgnoreCase))
                return true;
        }
        return false;
    }

    static bool OnList(Workspace ws, string list, RoutingInput m) =>
        ws.AuthorLists.TryGetValue(list, out var names)
        && ((m.AuthorId is not null && names.Contains(m.AuthorId)) || (m.AuthorHandle is not null && names.Contains(m.AuthorHandle.TrimStart('@'))));

    /// <summary>Whole-word (or whole-phrase), case-insensitive: "refund" matches "Refund!" but not "refunded".</summary>
    internal static bool ContainsWord(string text, string word)
    {
        if (word.Length == 0)
            return false;
        var from = 0;
        while (from <= text.Length - word.Length)
        {
            var i = text.IndexOf(word, from, StringComparison.OrdinalIgnoreCase);
            if (i < 0)
                return false;
            var before = i == 0 || !char.IsLetterOrDigit(text[i - 1]);
            var end = i + word.Length;
            var after = end >= text.Length || !char.IsLetterOrDigit(text[end]);
            if (before && after)
                return true;
            from = i + 1;
        }
        return false;
    }
}
