namespace Switchboard.Routing;

/// <summary>When a rule is considered: on every inbound message that opens or reopens a conversation, or a time after the customer's last unanswered message.</summary>
internal enum RuleTrigger
{
    Message,
    NoReply,
}

/// <summary>
/// Conditions of a rule; all present ones must hold (AND), each list matches any of its values (OR).
/// Text comparisons ignore case. Null/empty means "no condition".
/// </summary>
internal sealed record RuleConditions
{
    public IReadOnlyList<string> Channels { get; init; } = [];
    public IReadOnlyList<string> Topics { get; init; } = [];
    public IReadOnlyList<string> Languages { get; init; } = [];
    public IReadOnlyList<string> Sentiments { get; init; } = [];
    public IReadOnlyList<string> Intents { get; init; } = [];
    public IReadOnlyList<string> Departments { get; init; } = [];
    public IReadOnlyList<string> Urgencies { get; init; } = [];
    public IReadOnlyList<string> Teams { get; init; } = [];
    public long? MinFollowers { get; init; }
    public bool? Verified { get; init; }
    /// <summary>Names of author lists; the author (id or handle) must be on one of them.</summary>
    public IReadOnlyList<string> AuthorIn { get; init; } = [];
    public IReadOnlyList<string> AuthorNotIn { get; init; } = [];
    /// <summary>Any of these words or phrases in the text (whole words, case-insensitive).</summary>
    public IReadOnlyList<string> KeywordsAny { get; init; } = [];
    public IReadOnlyList<string> KeywordsNone { get; init; } = [];
    public TimeOfDayCondition? TimeOfDay { get; init; }
}

/// <summary>Local time window (overnight when To ≤ From) on the given days in an IANA zone.</summary>
internal sealed record TimeOfDayCondition(TimeOnly From, TimeOnly To, TimeZoneInfo Zone, IReadOnlySet<DayOfWeek> Days)
{
    public bool Contains(DateTimeOffset instant)
    {
        var local = TimeZoneInfo.ConvertTime(instant, Zone).DateTime;
        var tod = TimeOnly.FromDateTime(local);
        if (From < To)
            return Days.Contains(local.DayOfWeek) && tod >= From && tod < To;
        // Overnight: the early-morning part belongs to the window that started the previous evening.
        if (tod >= From)
            return Days.Contains(local.DayOfWeek);
        var prev = (DayOfWeek)(((int)local.DayOfWeek + 6) % 7);
        return tod < To && Days.Contains(prev);
    }
}

/// <summary>What a matching rule does. Null/empty means "leave as is".</summary>
internal sealed record RuleActions
{
    public string? Team { get; init; }
    public string? Priority { get; init; }
    public IReadOnlyList<string> Labels { get; init; } = [];
    public string? SlaPolicy { get; init; }
    public IReadOnlyList<string> Skills { get; init; } = [];
    public bool RequireApproval { get; init; }
    public IReadOnlyList<string> Notify { get; init; } = [];
    public bool Crisis { get; init; }
    public bool Stop { get; init; }
}

/// <summary>A routing rule. <see cref="After"/> is set for <see cref="RuleTrigger.NoReply"/> rules (wall-clock).</summary>
internal sealed record RoutingRule(string Name, RuleTrigger Trigger, TimeSpan? After, RuleConditions When, RuleActions Then);
