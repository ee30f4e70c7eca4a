using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Switchboard.Channels.Accounts;

namespace Switchboard.Channels.Connectors;

/// <summary>Wakes the connector host when accounts change (API, UI, import), so changes apply at once.</summary>
internal sealed class ConnectorSignal
{
    private readonly Channel<bool> _changed = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    public void Notify() => _changed.Writer.TryWrite(true);

    /// <summary>Waits for a change or the timeout, whichever comes first.</summary>
    public async Task WaitAsync(TimeSpan timeout, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        try
        {
            await _changed.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
        }
    }
}

/// <summary>
/// Runs one connector per enabled account of a connector kind (rss, mastodon, bluesky-jetstream). On every change
/// signal (and every <see cref="ConnectorOptions.RefreshInterval"/>) it compares the accounts with what runs: a new or
/// re-enabled account starts, a disabled or deleted one stops, an edited one (any setting or secret) restarts. Each
/// runner is supervised: a failure is recorded in its health row and retried with exponential backoff, a stream that
/// ends is reconnected (counted as a reconnect).
/// </summary>
internal sealed class ConnectorHost(ChannelAccountStore accounts, ConnectorSignal signal, ConnectorContext context,
    ILogger<ConnectorHost> log) : BackgroundService
{
    private readonly Dictionary<long, Running> _running = [];
    private readonly HashSet<long> _webhooksStarted = [];

    private sealed record Running(string Fingerprint, CancellationTokenSource Stop, Task Task);

    /// <summary>Ids of the accounts whose connector currently runs (for tests and the page).</summary>
    public IReadOnlyCollection<long> RunningAccounts
    {
        get
        {
            lock (_running)
                return [.. _running.Keys];
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    await ReconcileAsync(stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    log.LogError("Could not read channel accounts: {Error}", ex.Message);
                }
                await signal.WaitAsync(context.Options.RefreshInterval, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            List<Running> all;
            lock (_running)
            {
                all = [.. _running.Values];
                _running.Clear();
            }
            foreach (var r in all)
                await r.Stop.CancelAsync();
            await Task.WhenAll(all.Select(r => r.Task));
        }
    }

    internal async Task ReconcileAsync(CancellationToken ct)
    {
        var all = await accounts.ListAsync(ct: ct);
        // Webhook accounts have no runner, but their health row must exist from the start so that a webhook that
        // never arrives is caught by the silence rule (the endpoints record deliveries into the same row).
        foreach (var hook in all.Where(a => a.Enabled && ChannelAccountRules.WebhookKinds.Contains(a.Kind) && !_webhooksStarted.Contains(a.Id)))
        {
            await context.Health.StartAsync(hook.Id, ct);
            _webhooksStarted.Add(hook.Id);
        }
        var desired = all
            .Where(a => a.Enabled && ConnectorRunners.Has(a.Kind))
            .ToDictionary(a => a.Id, a => (Account: a, Fingerprint: Fingerprint(a)));
        List<Running> stopping = [];
        lock (_running)
        {
            foreach (var (id, running) in _running.ToList())
            {
                if (!desired.TryGetValue(id, out var want) || want.Fingerprint != running.Fingerprint)
                {
                    stopping.Add(running);
                    _running.Remove(id);
                }
            }
        }
        foreach (var r in stopping)
        {
            await r.Stop.CancelAsync();
            await r.Task;
        }
        lock (_running)
        {
            foreach (var (id, want) in desired)
            {
                if (_running.ContainsKey(id))
                    continue;
                var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
                _running[id] = new Running(want.Fingerprint, stop, Task.Run(() => SuperviseAsync(want.Account, stop.Token), CancellationToken.None));
            }
        }
    }

    private async Task SuperviseAsync(ChannelAccount account, CancellationToken ct)
    {
        var runner = ConnectorRunners.Create(account.Kind, context);
        var failures = 0;
        try
        {
            await context.Health.StartAsync(account.Id, ct);
            log.LogInformation("Connector started: {Account}", account);
            while (!ct.IsCancellationRequested)
            {
                TimeSpan wait;
                try
                {
                    await runner.RunAsync(account, ct);
                    failures = 0;
                    wait = context.Options.ReconnectDelay;
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    break;
                }
                catch (Exception ex)
                {
                    failures++;
                    // Only our own wording or the transport's message is stored: requests carry tokens in headers, never in text.
                    var error = ex is ConnectorException or HttpRequestException or IOException or System.Net.WebSockets.WebSocketException
                        ? ex.Message : ex.GetType().Name + ": " + ex.Message;
                    log.LogWarning("Connector {Account} failed ({Failures} in a row): {Error}", account.ToString(), failures, error);
                    await context.Health.RecordErrorAsync(account.Id, error, ct);
                    var backoff = context.Options.MinBackoff * Math.Pow(2, Math.Min(failures - 1, 16));
                    wait = backoff < context.Options.MaxBackoff ? backoff : context.Options.MaxBackoff;
                }
                await context.Health.RecordReconnectAsync(account.Id, ct);
                await Task.Delay(wait, context.Time, ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            log.LogError("Connector supervisor for {Account} stopped: {Error}", account.ToString(), ex.Message);
        }
        log.LogInformation("Connector stopped: {Account}", account);
    }

    /// <summary>A digest of everything that configures the runner, secrets included (hashed, never kept in clear).</summary>
    private static string Fingerprint(ChannelAccount a)
    {
        var text = JsonSerializer.Serialize(new object?[]
        {
            a.Kind, a.Name, a.ExpectedInterval?.TotalSeconds,
            a.Settings.OrderBy(p => p.Key, StringComparer.Ordinal).ToArray(),
            a.Secrets.OrderBy(p => p.Key, StringComparer.Ordinal).ToArray(),
        });
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }
}

/// <summary>Which runner serves which kind of account.</summary>
internal static class ConnectorRunners
{
    public static bool Has(string kind) => ChannelAccountRules.ConnectorKinds.Contains(kind);

    public static ConnectorRunner Create(string kind, ConnectorContext context) => kind switch
    {
        ChannelAccountRules.Rss => new RssConnector(context),
        ChannelAccountRules.Mastodon => new MastodonConnector(context),
        ChannelAccountRules.BlueskyJetstream => new JetstreamConnector(context),
        _ => throw new ArgumentException($"no connector for kind '{kind}'", nameof(kind)),
    };
}
