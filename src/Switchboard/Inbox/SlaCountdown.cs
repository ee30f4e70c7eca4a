namespace Switchboard.Inbox;

/// <summary>
/// The "due in 3h 05m" / "overdue 12m 30s" text of an SLA deadline. The server renders it once; inbox.js ticks the same
/// text every second from the element's <c>data-due</c>, so both must agree on the format.
/// </summary>
public static class SlaCountdown
{
    public static string Text(DateTimeOffset due, DateTimeOffset now)
    {
        var left = due - now;
        var abs = left.Duration();
        var text = abs.TotalHours >= 1 ? $"{(int)abs.TotalHours}h {abs.Minutes:00}m" : $"{abs.Minutes}m {abs.Seconds:00}s";
        return left < TimeSpan.Zero ? "overdue " + text : "due in " + text;
    }
}
