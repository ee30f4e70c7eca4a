using System.Collections.Concurrent;
using Switchboard.Inbox;

namespace Switchboard.Auth;

/// <summary>
/// Remembers recent sign-in failures per account and per client address (in memory: a restart forgets them, which
/// only gives an attacker one more window). The limits and lock arithmetic are <see cref="SignInThrottle"/>.
/// </summary>
internal sealed class LoginThrottle(TimeProvider time)
{
    private const int MaxKeys = 100_000;
    private readonly ConcurrentDictionary<string, List<DateTimeOffset>> _failures = new(StringComparer.Ordinal);

    /// <summary>How long this attempt must wait, or null when it may proceed to the password check.</summary>
    public TimeSpan? RetryAfter(string email, string? address)
    {
        var now = time.GetUtcNow();
        var account = SignInThrottle.RetryAfter(Snapshot("a:" + Normalize(email)), SignInThrottle.AccountLimit, now);
        var ip = address is null ? null : SignInThrottle.RetryAfter(Snapshot("i:" + address), SignInThrottle.AddressLimit, now);
        return account is null ? ip : ip is null ? account : (account > ip ? account : ip);
    }

    public void Failed(string email, string? address)
    {
        var now = time.GetUtcNow();
        if (_failures.Count > MaxKeys)
        {
            Prune(now);
        }

        Add("a:" + Normalize(email), now);
        if (address is not null)
        {
            Add("i:" + address, now);
        }
    }

    /// <summary>A successful sign-in clears the account's failures (not the address's: one good password must not
    /// reset a spray across many accounts).</summary>
    public void Succeeded(string email) => _failures.TryRemove("a:" + Normalize(email), out _);

    private static string Normalize(string email) => email.Trim().ToLowerInvariant();

    private IReadOnlyList<DateTimeOffset> Snapshot(string key)
    {
        if (!_failures.TryGetValue(key, out var list))
        {
            return [];
        }

        lock (list)
        {
            return [.. list];
        }
    }

    private void Add(string key, DateTimeOffset now)
    {
        var list = _failures.GetOrAdd(key, _ => []);
        lock (list)
        {
            list.RemoveAll(t => now - t >= SignInThrottle.Window);
            list.Add(now);
        }
    }

    private void Prune(DateTimeOffset now)
    {
        foreach (var (key, list) in _failures)
        {
            lock (list)
            {
                if (list.TrueForAll(t => now - t >= SignInThrottle.Window))
                {
                    _failures.TryRemove(key, out _);
                }
            }
        }
    }
}
