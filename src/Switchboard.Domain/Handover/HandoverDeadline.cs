using Switchboard.Sla;

namespace Switchboard.Handover;

/// <summary>The hand-over's own clock: when the expert's answer is due and when to warn before it.</summary>
internal sealed record HandoverDeadline(DateTimeOffset DueAt, DateTimeOffset WarnAt)
{
    /// <summary>
    /// Due after <paramref name="duration"/> of business time on the calendar; the warning comes
    /// <paramref name="warnBefore"/> of business time earlier, but never before the question was asked
    /// (a warning longer than the whole window fires at once rather than never).
    /// </summary>
    public static HandoverDeadline Compute(DateTimeOffset askedAt, TimeSpan duration, TimeSpan warnBefore, BusinessCalendar calendar)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(duration, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(warnBefore, TimeSpan.Zero);
        if (!calendar.HasOpenTime)
        {
            calendar = BusinessCalendar.AlwaysOpen();
        }

        var due = calendar.AddBusinessTime(askedAt, duration);
        var warn = warnBefore >= duration ? askedAt : calendar.AddBusinessTime(askedAt, duration - warnBefore);
        return new HandoverDeadline(due, warn);
    }
}

/// <summary>What the timer does with an open hand-over at a given instant.</summary>
internal enum HandoverTimerStep
{
    None,
    Warn,
    Breach,
}

internal static class HandoverTimer
{
    /// <summary>Breach wins over a warning never sent (both at once would be noise); each fires at most once.</summary>
    public static HandoverTimerStep Next(DateTimeOffset now, HandoverDeadline deadline, bool warned, bool breached) =>
        breached ? HandoverTimerStep.None
        : now >= deadline.DueAt ? HandoverTimerStep.Breach
        : !warned && now >= deadline.WarnAt ? HandoverTimerStep.Warn
        : HandoverTimerStep.None;
}
