using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Switchboard.Channels.Accounts;
using Switchboard.Channels.Connectors;
using Switchboard.Channels.SafeHttp;
using Switchboard.Inbox;
using Switchboard.Ingest;
using Switchboard.Storage;
using Switchboard.Tests.Infrastructure;

using Xunit;

namespace Switchboard.Tests.Channels.Connectors;

/// <summary>
/// The connector runtime composed as the server composes it (real ingest writer, real database, the connector host and
/// health monitor), but with the SSRF-safe client allowed to reach loopback, where the fake protocol servers listen
/// (unless a test passes production settings), and with every log line captured so tests can assert that no
/// credential is ever written.
/// </summary>
internal sealed class ConnectorHarness : IAsyncDisposable
{
    private readonly IngestWriter _writer;

    private ConnectorHarness(Database db, TimeProvider time, SafeHttpOptions http)
    {
        Db = db;
        Time = time;
        Logs = new CapturedLogs();
        var factory = LoggerFactory.Create(b => b.AddProvider(Logs).SetMinimumLevel(LogLevel.Trace));
        Feed = new InboxFeed();
        Queue = new IngestQueue();
        _writer = new IngestWriter(Queue, db, Feed, time, factory.CreateLogger<IngestWriter>());
        Accounts = new ChannelAccountStore(db, new EphemeralDataProtectionProvider(), time);
        Health = new ChannelHealthStore(db, time);
        Options = new ConnectorOptions
        {
            RefreshInterval = TimeSpan.FromSeconds(1),
            ReconnectDelay = TimeSpan.FromMilliseconds(50),
            MinBackoff = TimeSpan.FromMilliseconds(100),
            MaxBackoff = TimeSpan.FromSeconds(1),
            StreamIdleTimeout = TimeSpan.FromSeconds(20),
        };
        Context = new ConnectorContext(Queue, Health, db, Feed, time, http, Options, factory);
        Signal = new ConnectorSignal();
        Host = new ConnectorHost(Accounts, Signal, Context, factory.CreateLogger<ConnectorHost>());
        Monitor = new ChannelMonitor(db, time, Options, factory.CreateLogger<ChannelMonitor>());
    }

    public Database Db { get; }
    public TimeProvider Time { get; }
    public CapturedLogs Logs { get; }
    public InboxFeed Feed { get; }
    public IngestQueue Queue { get; }
    public ChannelAccountStore Accounts { get; }
    public ChannelHealthStore Health { get; }
    public ConnectorOptions Options { get; }
    public ConnectorContext Context { get; }
    public ConnectorSignal Signal { get; }
    public ConnectorHost Host { get; }
    public ChannelMonitor Monitor { get; }
    private bool _hostStarted;

    /// <param name="http">The SSRF settings the connectors get; by default loopback is allowed (the fake servers live there).</param>
    public static async Task<ConnectorHarness> StartAsync(string provider = "sqlite", TimeProvider? time = null, SafeHttpOptions? http = null)
    {
        var db = await TestDatabases.CreateMigratedAsync(provider);
        var harness = new ConnectorHarness(db, time ?? TimeProvider.System, http ?? new SafeHttpOptions { AllowLoopbackForTests = true });
        await harness._writer.StartAsync(CancellationToken.None);
        return harness;
    }

    public async Task<ChannelAccount> AddAccountAsync(string kind, string name, Dictionary<string, string> settings,
        Dictionary<string, string>? secrets = null, TimeSpan? expected = null)
    {
        await using var conn = await Db.OpenAsync();
        var id = await Accounts.CreateAsync(conn, null, kind, name, settings, secrets ?? [], expected);
        return (await Accounts.GetAsync(id))!;
    }

    public async Task StartHostAsync()
    {
        _hostStarted = true;
        await Host.StartAsync(CancellationToken.None);
    }

    /// <summary>Polls a condition until it holds or the time runs out (then fails with the description).</summary>
    public static async Task WaitForAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var until = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < until)
        {
            if (await condition())
                return;
            await Task.Delay(100);
        }
        Assert.Fail($"timed out after {timeout.TotalSeconds:0} s waiting for: {what}");
    }

    public async ValueTask DisposeAsync()
    {
        if (_hostStarted)
            await Host.StopAsync(CancellationToken.None);
        Host.Dispose();
        await _writer.StopAsync(CancellationToken.None);
        _writer.Dispose();
    }
}

/// <summary>Every log line (formatted message and exception text) written through the harness's loggers.</summary>
internal sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyCollection<string> Lines => _lines;

    public string All => string.Join('\n', _lines);

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturedLogs owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            // The structured values too: a secret passed as a parameter but left out of the template would still leak to sinks.
            var values = state is IEnumerable<KeyValuePair<string, object?>> pairs ? string.Join(" ", pairs.Select(p => $"{p.Key}={p.Value}")) : "";
            owner._lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {values} {exception}");
        }
    }
}

/// <summary>A Kestrel server on 127.0.0.1:0 inside the test, speaking whatever protocol the test maps.</summary>
internal sealed class FakeServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeServer(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    public Uri Address { get; }

    public Uri Url(string path) => new(Address, path);

    public static async Task<FakeServer> StartAsync(Action<WebApplication> map)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.UseWebSockets();
        map(app);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new FakeServer(app, new Uri(address + "/"));
    }

    public async ValueTask DisposeAsync()
    {
        using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            await _app.StopAsync(quick.Token);
        }
        catch (OperationCanceledException)
        {
        }
        await _app.DisposeAsync();
    }
}

/// <summary>A clock the test moves by hand (health rules are about elapsed time).</summary>
internal sealed class ManualTime(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}

/// <summary>The shared fixtures (../shared/fixtures), read in place and never copied into the repository.</summary>
internal static class Fixtures
{
    public static string Path(string relative)
    {
        foreach (var root in new[] { Repo.Shared, System.IO.Path.GetFullPath(System.IO.Path.Combine(Repo.Root, "..", "..", "shared")) })
        {
            var p = System.IO.Path.Combine(root, "fixtures", relative);
            if (File.Exists(p))
                return p;
        }
        throw new FileNotFoundException($"shared fixture missing: fixtures/{relative} (expected ../shared beside the repository)");
    }
}
