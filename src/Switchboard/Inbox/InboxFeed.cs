namespace Switchboard.Inbox;

/// <summary>
/// In-process fan-out of "these conversations changed" to the open inbox pages, published after each commit so a
/// page that reloads always sees the change. Subscribers must be quick: they are called on the writer's thread.
/// </summary>
internal sealed class InboxFeed
{
    private readonly Lock _gate = new();
    private Action<IReadOnlyCollection<long>>[] _subscribers = [];

    public IDisposable Subscribe(Action<IReadOnlyCollection<long>> onChanged)
    {
        lock (_gate)
        {
            _subscribers = [.. _subscribers, onChanged];
        }

        return new Subscription(this, onChanged);
    }

    public void Publish(IReadOnlyCollection<long> conversationIds)
    {
        foreach (var s in Volatile.Read(ref _subscribers))
        {
            s(conversationIds);
        }
    }

    private void Unsubscribe(Action<IReadOnlyCollection<long>> onChanged)
    {
        lock (_gate)
        {
            _subscribers = [.. _subscribers.Where(s => s != onChanged)];
        }
    }

    private sealed class Subscription(InboxFeed feed, Action<IReadOnlyCollection<long>> onChanged) : IDisposable
    {
        public void Dispose() => feed.Unsubscribe(onChanged);
    }
}
