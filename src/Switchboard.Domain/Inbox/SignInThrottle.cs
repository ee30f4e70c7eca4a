namespace Switchboard.Inbox;

/// <summary>
/// When repeated sign-in failures lock an account or an address out, and for how long. Pure: the caller keeps the
/// recent failure times per key and asks before checking a password.
/// </summary>
public static class SignInThrottle
{
    /// <summary>Failures tolerated inside the window before the key is locked.</summary>
    public const int AccountLimit = 5;

    /// <summary>An office behind one NAT address shares it, so the address limit is higher.</summary>
    public const int AddressLimit = 20;

    public static readonly TimeSpan Window = TimeSpan.FromMinutes(15);

    /// <summary>
    /// How long the key must wait, or null when it may try now. Locked once `limit` failures fall inside the window;
    /// the lock lasts until the oldest of the last `limit` failures leaves the window, so a steady attacker gets
    /// at most `limit` guesses per window.
    /// </summary>
    public static TimeSpan? RetryAfter(IReadOnlyList<DateTimeOffset> failures, int limit, DateTimeOffset now)
    {
        var recent = failures.Where(f => now - f < Window).OrderBy(f => f).ToList();
        if (recent.Count < limit)
        {
            return null;
        }

        var wait = recent[^limit] + Window - now;
        return wait > TimeSpan.Zero ? wait : null;
    }
}
