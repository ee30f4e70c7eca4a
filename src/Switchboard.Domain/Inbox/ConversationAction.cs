namespace Switchboard.Inbox;

/// <summary>The state of a conversation that agent actions change.</summary>
public sealed record ConversationState(string Status, long? TeamId, long? AssigneeId, DateTimeOffset? SnoozedUntil);

/// <summary>An agent action on a conversation.</summary>
public abstract record ConversationAction
{
    public sealed record Assign(long? AssigneeId, long? TeamId) : ConversationAction;

    public sealed record Snooze(DateTimeOffset Until) : ConversationAction;

    public sealed record Resolve : ConversationAction;

    public sealed record Reopen : ConversationAction;

    public static readonly TimeSpan MaxSnooze = TimeSpan.FromDays(90);

    /// <summary>
    /// The state after the action, or the reason it cannot apply. Repeating an action is not an error (a retried
    /// request or a double click lands on the same state). Assignee membership is checked by the caller (data).
    /// </summary>
    public static (ConversationState? After, string? Error) Apply(ConversationState s, ConversationAction action, DateTimeOffset now) => action switch
    {
        Assign { AssigneeId: null, TeamId: null } => (null, "give an assignee, a team or both"),
        Assign a => (s with
        {
            TeamId = a.TeamId ?? s.TeamId,
            // Transferring to another team without naming an agent leaves the conversation unassigned in that team.
            AssigneeId = a.AssigneeId ?? (a.TeamId is not null && a.TeamId != s.TeamId ? null : s.AssigneeId),
            Status = s.Status == "resolved" ? "open" : s.Status,
        }, null),
        Snooze z when z.Until <= now => (null, "snooze until a time in the future"),
        Snooze z when z.Until - now > MaxSnooze => (null, $"snooze for at most {MaxSnooze.TotalDays:0} days"),
        Snooze when s.Status == "resolved" => (null, "a resolved conversation cannot be snoozed; reopen it first"),
        Snooze z => (s with { Status = "snoozed", SnoozedUntil = z.Until }, null),
        Resolve => (s with { Status = "resolved", SnoozedUntil = null }, null),
        Reopen => (s with { Status = "open", SnoozedUntil = null }, null),
        _ => (null, "unknown action"),
    };
}
