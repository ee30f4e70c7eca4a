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

/// <summary>Why a rule did or did not match: the first failing condition, or the conditions that held.</summary>
internal sealed record RuleTrace(string Rule, bool Matched, string Reason);

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
        bool approval = false, crisis = false;
        var trace = new List<RuleTrace>(rules.Count);
        var currentTeam = input.CurrentTeam;
        for (var i = 0; i < rules.Count; i++)
        {
            var rule = rules[i];
            var failure = FirstFailure(rule.When, input, currentTeam, ws);
            if (failure is not null)
            {
                trace.Add(new(rule.Name, false, failure));
                continue;
            }
            trace.Add(new(rule.Name, true, DescribeMatch(rule.When)));
            var a = rule.Then;
            if (a.Team is not null)
                team = currentTeam = a.Team;
            priority = a.Priority ?? priority;
            policy = a.SlaPolicy ?? policy;
            if (a.Labels.Count > 0)
                (labels ??= []).AddRange(a.Labels.Where(l => !labels.Contains(l)));
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
            notify ?? [], crisis, trace);
    }

    static string DescribeMatch(RuleConditions w)
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

    /// <summary>The first condition that does not hold, as a sentence for the trace; null when all hold.</summary>
    static string? FirstFailure(RuleConditions w, RoutingInput m, string? team, Workspace ws)
    {
        if (w.Channels.Count > 0 && !AnyEq(w.Channels, m.Channel))
            return $"channel '{m.Channel}' not in [{string.Join(", ", w.Channels)}]";
        if (w.Topics.Count > 0 && (m.Topics is null || !m.Topics.Any(t => AnyEq(w.Topics, t))))
            return $"topics [{string.Join(", ", m.Topics ?? [])}] not in [{string.Join(", ", w.Topics)}]";
        if (w.Languages.Count > 0 && !AnyEq(w.Languages, m.Language))
            return $"language '{m.Language}' not in [{string.Join(", ", w.Languages)}]";
        if (w.Sentiments.Count > 0 && !AnyEq(w.Sentiments, m.Sentiment))
            return $"sentiment '{m.Sentiment}' not in [{string.Join(", ", w.Sentiments)}]";
        if (w.Intents.Count > 0 && !AnyEq(w.Intents, m.Intent))
            return $"intent '{m.Intent}' not in [{string.Join(", ", w.Intents)}]";
        if (w.Departments.Count > 0 && !AnyEq(w.Departments, m.Department))
            return $"department '{m.Department}' not in [{string.Join(", ", w.Departments)}]";
        if (w.Urgencies.Count > 0 && !AnyEq(w.Urgencies, m.Urgency))
            return $"urgency '{m.Urgency}' not in [{string.Join(", ", w.Urgencies)}]";
        if (w.Teams.Count > 0 && !AnyEq(w.Teams, team))
            return $"team '{team}' not in [{string.Join(", ", w.Teams)}]";
        if (w.MinFollowers is { } min && (m.Followers ?? 0) < min)
            return $"followers {m.Followers ?? 0} < {min}";
        if (w.Verified is { } v && (m.Verified ?? false) != v)
            return $"verified is {m.Verified ?? false}, wanted {v}";
        if (w.AuthorIn.Count > 0 && !w.AuthorIn.Any(l => OnList(ws, l, m)))
            return $"author '{m.AuthorHandle ?? m.AuthorId}' on none of [{string.Join(", ", w.AuthorIn)}]";
        foreach (var l in w.AuthorNotIn)
        {
            if (OnList(ws, l, m))
                return $"author '{m.AuthorHandle ?? m.AuthorId}' is on list '{l}'";
        }
        if (w.KeywordsAny.Count > 0 && !w.KeywordsAny.Any(k => ContainsWord(m.Text, k)))
            return $"none of the keywords [{string.Join(", ", w.KeywordsAny)}] in the text";
        foreach (var k in w.KeywordsNone)
        {
            if (ContainsWord(m.Text, k))
                return $"text contains excluded keyword '{k}'";
        }
        if (w.TimeOfDay is { } tod && !tod.Contains(m.At))
            return $"{m.At:O} outside {tod.From:HH\\:mm}-{tod.To:HH\\:mm} {tod.Zone.Id}";
        return null;
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
