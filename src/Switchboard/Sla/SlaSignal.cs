namespace Switchboard.Sla;

/// <summary>
/// Wakes this process's scheduler when a timer was written here (ingest, API), so it re-reads the nearest due times
/// at once instead of waiting for its safety sweep. Other processes' timers are theirs to fire; if such a process
/// dies, the sweep (and expired leases) hand its timers to the survivors.
/// </summary>
internal sealed class SlaSignal
{
    readonly SemaphoreSlim _wake = new(0, 1);

    /// <summary>The webhook sender's own wake-up: an escalation was committed with an outbox row.</summary>
    public SemaphoreSlim Webhooks { get; } = new(0, 1);

    public void WakeWebhooks()
    {
        try
        {
            if (Webhooks.CurrentCount == 0)
                Webhooks.Release();
        }
        catch (SemaphoreFullException)
        {
        }
    }

    public void Wake()
    {
        try
        {
            if (_wake.CurrentCount == 0)
                _wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // already signalled
        }
    }

    /// <summary>Waits for a wake-up or the delay; true when woken.</summary>
    public async Task<bool> WaitAsync(TimeSpan delay, TimeProvider time, CancellationToken ct)
    {
        if (delay <= TimeSpan.Zero)
            return _wake.Wait(0, CancellationToken.None);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var wake = _wake.WaitAsync(cts.Token);
        var sleep = Task.Delay(delay, time, cts.Token);
        var first = await Task.WhenAny(wake, sleep);
        await cts.CancelAsync();
        try
        {
            await Task.WhenAll(wake, sleep);
        }
        catch (OperationCanceledException)
        {
        }
        ct.ThrowIfCancellationRequested();
        return first == wake && wake.IsCompletedSuccessfully;
    }
}
