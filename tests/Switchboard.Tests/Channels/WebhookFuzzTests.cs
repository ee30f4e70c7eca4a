using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Switchboard.Channels.Accounts;
using Switchboard.Channels.Webhooks;
using Switchboard.Tests.Channels.Webhooks;
using Switchboard.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Switchboard.Tests.Channels;

/// <summary>
/// The plan's webhook fuzzing against the real server: 10,000 mutated bodies (<see cref="WebhookMutator"/>) with valid
/// signatures, spread over Slack, Meta and the generic webhook, sent by 8 workers over 4 connections. No answer may be a
/// 5xx, no connection may be reset, /healthz keeps answering, the server logs no error, and what is stored is exactly
/// what the 2xx answers say they stored (so nothing is stored twice and nothing for a refused body). A failing body is
/// written to the regression folder (<see cref="WebhookRegressions"/>), which the second test replays on every run.
/// Runs alone: it keeps both cores busy for its duration.
/// </summary>
[Collection(nameof(RunsAlone))]
public sealed class WebhookFuzzTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string SeedVariable = "SWITCHBOARD_WEBHOOK_FUZZ_SEED";
    private const int Cases = 10_000;
    private const int Workers = 8;
    private const int Connections = 4;

    /// <summary>Accounts per provider: the limiter allows each 50 deliveries a second after a burst of 200, so the fuzz
    /// spreads over several rather than measuring the limiter (a 429 is retried, never counted as a tested body).</summary>
    private const int AccountsPerProvider = 8;

    private const string SlackSecret = "8f742231b10e8888abcd99yyyzzz85a5";
    private const string MetaSecret = "It's a Secret to Everybody";
    private const string GenericSecret = "generic-secret-0123";

    private RunningServer _server = null!;
    private readonly ErrorLog _errors = new();
    private readonly Dictionary<WebhookProvider, List<long>> _accounts = [];

    public async Task InitializeAsync()
    {
        _server = await RunningServer.StartAsync(await TestDatabases.CreateAsync("sqlite"));
        _server.Services.GetRequiredService<ILoggerFactory>().AddProvider(_errors);
        var store = _server.Services.GetRequiredService<ChannelAccountStore>();
        await using var conn = await _server.Db.OpenAsync();
        foreach (var provider in Enum.GetValues<WebhookProvider>())
        {
            _accounts[provider] = [];
            for (var i = 0; i < AccountsPerProvider; i++)
            {
                _accounts[provider].Add(provider switch
                {
                    WebhookProvider.Slack => await store.CreateAsync(conn, null, "slack", $"Slack {i}", new Dictionary<string, string> { ["bot_user_id"] = "UBOT" },
                        new Dictionary<string, string> { ["signing_secret"] = SlackSecret }, null),
                    WebhookProvider.Meta => await store.CreateAsync(conn, null, "meta", $"Page {i}", new Dictionary<string, string>(),
                        new Dictionary<string, string> { ["app_secret"] = MetaSecret, ["verify_token"] = "v" }, null),
                    _ => await store.CreateAsync(conn, null, "generic", $"Forum {i}", new Dictionary<string, string> { ["channel"] = "forum" },
                        new Dictionary<string, string> { ["secret"] = GenericSecret }, null),
                });
            }
        }
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static int MaxBody(WebhookProvider provider) => provider switch
    {
        WebhookProvider.Slack => SlackWebhook.MaxBodyBytes,
        WebhookProvider.Meta => MetaWebhook.MaxBodyBytes,
        _ => GenericWebhook.MaxBodyBytes,
    };

    /// <summary>Signs and posts one body as the provider would, retrying while the per-account limiter answers 429.</summary>
    private async Task<(HttpStatusCode Status, string Body)> SendAsync(HttpClient client, WebhookProvider provider, long account, byte[] body)
    {
        for (var attempt = 0; ; attempt++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/hooks/{provider.ToString().ToLowerInvariant()}/{account}") { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new(WebhookSigning.ContentType(provider));
            WebhookSigning.Sign(request, provider, provider switch { WebhookProvider.Slack => SlackSecret, WebhookProvider.Meta => MetaSecret, _ => GenericSecret },
                WebhookSigning.Now(), body);
            using var response = await client.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            if (response.StatusCode != HttpStatusCode.TooManyRequests || attempt >= 100)
                return (response.StatusCode, text);
            await Task.Delay(Random.Shared.Next(50, 250));
        }
    }

    private static HttpClient Client(RunningServer server) =>
        new(new SocketsHttpHandler { MaxConnectionsPerServer = Connections, PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
        {
            BaseAddress = server.Address,
            Timeout = TimeSpan.FromSeconds(60),
        };

    /// <summary>What a 2xx said it stored: the webhook answer's "stored" (a Slack challenge echo is plain text: none).</summary>
    private static int Stored(string body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("stored", out var s) ? s.GetInt32() : 0;
        }
        catch (JsonException)
        {
            return 0;
        }
    }

    [Fact]
    public async Task Ten_thousand_mutated_signed_bodies_cause_no_server_error_and_store_only_what_was_accepted()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable(SeedVariable), NumberStyles.Integer, CultureInfo.InvariantCulture, out var s)
            ? s
            : Environment.TickCount;
        output.WriteLine($"seed {seed} (replay with {SeedVariable}={seed}; case n is the same body whatever the worker order)");
        using var client = Client(_server);
        using var health = new HttpClient { BaseAddress = _server.Address, Timeout = TimeSpan.FromSeconds(10) };
        var failures = new ConcurrentQueue<string>();
        var statuses = new ConcurrentDictionary<int, int>();
        var kinds = new ConcurrentDictionary<string, int>();
        var stored = 0L;
        var next = -1;
        var watch = Stopwatch.StartNew();
        using var done = new CancellationTokenSource();

        // /healthz must keep answering while the fuzz runs, not only after it.
        var healthChecks = 0;
        var watchdog = Task.Run(async () =>
        {
            while (!done.IsCancellationRequested)
            {
                try
                {
                    using var r = await health.GetAsync("/healthz");
                    if (r.StatusCode != HttpStatusCode.OK)
                        failures.Enqueue($"/healthz answered {(int)r.StatusCode} during the fuzz");
                    healthChecks++;
                }
                catch (Exception ex) when (ex is HttpRequestException or IOException or TaskCanceledException)
                {
                    failures.Enqueue($"/healthz failed during the fuzz: {ex.Message}");
                }
                try
                {
                    await Task.Delay(1000, done.Token);
                }
                catch (OperationCanceledException)
                {
                }
            }
        });

        async Task WorkAsync()
        {
            int n;
            while ((n = Interlocked.Increment(ref next)) < Cases && failures.Count < 5)
            {
                var provider = (WebhookProvider)(n % 3);
                var fuzz = WebhookMutator.Make(provider, n, WebhookMutator.CaseRandom(seed, n), MaxBody(provider) + 1024);
                kinds.AddOrUpdate(fuzz.Kind.StartsWith("stacked", StringComparison.Ordinal) ? "stacked" : fuzz.Kind, 1, (_, c) => c + 1);
                var account = _accounts[provider][n / 3 % AccountsPerProvider];
                string? failure;
                try
                {
                    var (status, body) = await SendAsync(client, provider, account, fuzz.Body);
                    statuses.AddOrUpdate((int)status, 1, (_, c) => c + 1);
                    if ((int)status is >= 200 and < 300)
                        Interlocked.Add(ref stored, Stored(body));
                    failure = (int)status >= 500 || status == HttpStatusCode.TooManyRequests ? $"answered {(int)status}: {body}" : null;
                }
                catch (Exception ex) when (ex is HttpRequestException or IOException or TaskCanceledException)
                {
                    failure = $"no answer (connection reset or timeout): {ex.GetType().Name}: {ex.Message}";
                }
                if (failure is not null)
                {
                    var saved = WebhookRegressions.Save(provider, "http", seed, n, fuzz.Body);
                    failures.Enqueue($"case {n} ({provider}, {fuzz.Kind}) {failure}\n  kept as {saved}\n  body: {WebhookRegressions.Preview(fuzz.Body)}");
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, Workers).Select(_ => Task.Run(WorkAsync)));
        var elapsed = watch.Elapsed;
        await done.CancelAsync();
        await watchdog;

        using (var alive = await health.GetAsync("/healthz"))
            Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
        await using var conn = await _server.Db.OpenAsync();
        var rows = await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM messages");
        output.WriteLine($"{Cases} bodies in {elapsed.TotalSeconds:0.0} s ({Cases / elapsed.TotalSeconds:0}/s), /healthz checked {healthChecks} times; "
            + "answers: " + string.Join(", ", statuses.OrderBy(p => p.Key).Select(p => $"{p.Key} ×{p.Value}")) + $"; stored {stored}, rows {rows}");
        output.WriteLine("kinds: " + string.Join(", ", kinds.OrderBy(k => k.Key, StringComparer.Ordinal).Select(k => $"{k.Key} {k.Value}")));

        Assert.True(failures.IsEmpty, $"seed {seed} ({SeedVariable}={seed} replays it):\n" + string.Join("\n", failures));
        Assert.Equal(Cases, statuses.Values.Sum());
        // Every row belongs to exactly one 2xx that counted it as stored: nothing twice, nothing from a refused body.
        Assert.Equal(stored, rows);
        Assert.True(stored > Cases / 20, $"enough mutated bodies were still valid enough to be stored ({stored})");
        Assert.True(statuses.ContainsKey(200) && statuses.ContainsKey(400) && statuses.ContainsKey(413), "the fuzz reached acceptances, refusals and the size limit");
        Assert.True(_errors.Lines.IsEmpty, "the server logged errors:\n" + string.Join("\n", _errors.Lines.Take(5)));
    }

    [Fact]
    public async Task Regression_bodies_cause_no_server_error_and_the_server_stays_up()
    {
        using var client = Client(_server);
        var failures = new List<string>();
        var all = WebhookRegressions.All();
        foreach (var r in all)
        {
            try
            {
                var (status, body) = await SendAsync(client, r.Provider, _accounts[r.Provider][0], r.Body);
                output.WriteLine($"{r.Name}: {(int)status}");
                if ((int)status >= 500)
                    failures.Add($"{r.Name}: {(int)status} {body}");
                // Every provider refuses a body that is not UTF-8 the same way (Slack once answered 200 to it).
                if (r.Name.Contains("invalid-utf8", StringComparison.Ordinal) && status != HttpStatusCode.BadRequest)
                    failures.Add($"{r.Name}: {(int)status} {body}, expected 400 (not valid UTF-8)");
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException or TaskCanceledException)
            {
                failures.Add($"{r.Name}: no answer: {ex.Message}");
            }
        }
        using (var alive = await client.GetAsync("/healthz"))
            Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.True(_errors.Lines.IsEmpty, "the server logged errors:\n" + string.Join("\n", _errors.Lines.Take(5)));
        Assert.True(all.Count >= 20, "the hand-made cases are there");
    }

    /// <summary>The server's log lines at Error and above (unhandled exceptions among them); lower levels are not even formatted.</summary>
    private sealed class ErrorLog : ILoggerProvider
    {
        public ConcurrentQueue<string> Lines { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose()
        {
        }

        private sealed class Logger(ErrorLog owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (IsEnabled(logLevel))
                    owner.Lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {exception}");
            }
        }
    }
}
