using System.Collections.Concurrent;

namespace Switchboard.Composer;

/// <summary>Someone else on a conversation: who, and whether they are typing right now.</summary>
internal sealed record Presence(long UserId, string Name, bool Typing);

/// <summary>
/// Who is viewing or typing in which conversation, in this process. A viewer is an open presence stream (the
/// browser's EventSource), so a closed tab disappears at once; typing is a heartbeat that expires after
/// <see cref="TypingFor"/>. Several server processes behind a load balancer each see only their own viewers: run
/// one web process, or route a conversation's viewers to the same process (docs/composer.md).
/// </summary>
internal sealed class PresenceHub(TimeProvider time)
{
    public static readonly TimeSpan TypingFor = TimeSpan.FromSeconds(6);

    private sealed class Viewer(long userId, string name)
    {
        public long UserId { get; } = userId;
        public string Name { get; } = name;
        public long TypingUntil { get; set; }
    }

    private readonly ConcurrentDictionary<long, ConcurrentDictionary<Guid, Viewer>> _byConversation = new();
    private readonly ConcurrentDictionary<long, Action[]> _listeners = new();

    /// <summary>Registers a viewer until the returned handle is disposed.</summary>
    public IDisposable Join(long conversationId, long userId, string name, Action onChange)
    {
        var id = Guid.NewGuid();
        _byConversation.GetOrAdd(conversationId, _ => new())[id] = new Viewer(userId, name);
        _listeners.AddOrUpdate(conversationId, _ => [onChange], (_, a) => [.. a, onChange]);
        Notify(conversationId);
        return new Leave(() =>
        {
            if (_byConversation.TryGetValue(conversationId, out var viewers))
            {
                viewers.TryRemove(id, out _);
            }

            _listeners.AddOrUpdate(conversationId, _ => [], (_, a) => [.. a.Where(x => x != onChange)]);
            Notify(conversationId);
        });
    }

    public void Typing(long conversationId, long userId)
    {
        if (!_byConversation.TryGetValue(conversationId, out var viewers))
        {
            return;
        }

        var until = time.GetUtcNow().Add(TypingFor).ToUnixTimeMilliseconds();
        foreach (var v in viewers.Values.Where(v => v.UserId == userId))
        {
            v.TypingUntil = until;
        }

        Notify(conversationId);
    }

    /// <summary>Everyone on the conversation except `self`, one entry per person (several tabs count once).</summary>
    public IReadOnlyList<Presence> Others(long conversationId, long self)
    {
        if (!_byConversation.TryGetValue(conversationId, out var viewers))
        {
            return [];
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        return [.. viewers.Values.Where(v => v.UserId != self).GroupBy(v => v.UserId)
            .Select(g => new Presence(g.Key, g.First().Name, g.Any(v => v.TypingUntil > now))).OrderBy(p => p.Name, StringComparer.Ordinal)];
    }

    private void Notify(long conversationId)
    {
        if (_listeners.TryGetValue(conversationId, out var listeners))
        {
            foreach (var l in listeners)
            {
                l();
            }
        }
    }

    private sealed class Leave(Action leave) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
            {
                leave();
            }
        }
    }
}
