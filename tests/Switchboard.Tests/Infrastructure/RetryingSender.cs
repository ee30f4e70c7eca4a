using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Switchboard.Tests.Infrastructure;

/// <summary>Where a <see cref="RetryingSender"/> sends: how one request carrying some posts (JSON lines) is built.</summary>
/// <param name="Request">A new request for each attempt, so a signature can be made again with the current time.</param>
/// <param name="ReportsDeadLetters">
/// Whether every 2xx answer has a <c>deadLettered</c> count (POST /api/posts does, webhooks do not): when true, an
/// answer without it fails the delivery loudly instead of counting as zero.
/// </param>
internal sealed record DeliveryEndpoint(Func<string, HttpRequestMessage> Request, bool ReportsDeadLetters)
{
    public static DeliveryEndpoint PostsApi { get; } = new(
        body => new HttpRequestMessage(HttpMethod.Post, "/api/posts") { Content = new StringContent(body, Encoding.UTF8, "application/json") },
        ReportsDeadLetters: true);
}

/// <summary>How a <see cref="RetryingSender"/> waits and gives up on one attempt.</summary>
internal sealed record RetryPolicy
{
    /// <summary>The wait after the first failure, doubled after each further one up to <see cref="MaxBackoff"/>; each wait is jittered by ×0.5–1.5.</summary>
    public TimeSpan FirstBackoff { get; init; } = TimeSpan.FromMilliseconds(20);

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>An attempt not answered within this is abandoned and retried (the server may still commit it).</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// 1 attempt in this many waits only 1–40 ms, so the server often commits posts whose answer nobody reads and the
    /// retry arrives as a duplicate; 0 never does.
    /// </summary>
    public int ShortTimeoutOneIn { get; init; }

    /// <summary>
    /// Whether 429 is retried like a 5xx (the webhook limiter's answer; every network backs off and retries it).
    /// Otherwise it is a refusal like any 4xx, so a source that never rate-limits still fails the test with one.
    /// </summary>
    public bool RetryTooManyRequests { get; init; }
}

/// <summary>
/// Delivers posts the way a webhook network does (Meta retries for hours, Slack a few times): the requests, each a
/// few posts as JSON lines, are sent from several connections at once (so a reply often arrives before its parent),
/// and each is retried until it gets a 2xx — after a timeout, a connection failure or a 5xx — with exponential backoff
/// and jitter (the network's hours compressed to milliseconds). A 4xx is a refusal: not retried, and recorded for the
/// test to fail on. Shared by the crash tests, which kill the server under it and check that every post it saw
/// acknowledged is stored.
/// </summary>
internal sealed class RetryingSender(HttpClient http, string[] bodies, int[][] requests, DeliveryEndpoint endpoint, RetryPolicy policy,
    CancellationToken giveUp)
{
    private readonly int[] _acknowledged = new int[bodies.Length];
    private readonly ConcurrentQueue<string> _refusals = new();
    private int _next;
    private int _answered;
    private int _inFlight;
    private int _timeouts;
    private int _connectionFailures;
    private int _serverErrors;
    private int _rateLimited;
    private int _reportedStored;
    private int _reportedDuplicates;
    private int _reportedDeadLettered;

    /// <summary>Sends (posts of requests, a re-sent post counted again) answered with a 2xx so far.</summary>
    public int Acknowledged => Volatile.Read(ref _answered);

    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>The sum of <c>stored</c> over every 2xx: each post is stored once, so never more than the distinct posts.</summary>
    public int ReportedStored => Volatile.Read(ref _reportedStored);

    /// <summary>The sum of <c>deadLettered</c> over every 2xx (always 0 for an endpoint that does not report it).</summary>
    public int ReportedDeadLettered => Volatile.Read(ref _reportedDeadLettered);

    /// <summary>Attempts that did not get a 2xx and were sent again.</summary>
    public int Retries => Volatile.Read(ref _timeouts) + Volatile.Read(ref _connectionFailures) + Volatile.Read(ref _serverErrors) + Volatile.Read(ref _rateLimited);

    public IReadOnlyCollection<string> Refusals => _refusals;

    /// <summary>Sends every request once acknowledged; connection <c>c</c> draws its timeouts and jitter from <paramref name="seed"/> + 1 + c.</summary>
    public Task RunAsync(int connections, int seed) =>
        Task.WhenAll(Enumerable.Range(0, connections).Select(c => Task.Run(() => ConnectionAsync(new Random(unchecked(seed + 1 + c))))));

    /// <summary>The posts (indexes into the bodies) that at least one send got a 2xx for.</summary>
    public List<int> AcknowledgedPosts() => [.. Enumerable.Range(0, bodies.Length).Where(i => Volatile.Read(ref _acknowledged[i]) == 1)];

    public string Describe() =>
        $"{Acknowledged} sends in {requests.Length} requests acknowledged (answers said {_reportedStored} stored, {_reportedDuplicates} duplicates); " +
        $"requests retried after {_timeouts} timeouts, {_connectionFailures} connection failures, {_serverErrors} 5xx" +
        (policy.RetryTooManyRequests ? $", {_rateLimited} 429" : "");

    private async Task ConnectionAsync(Random random)
    {
        int n;
        while ((n = Interlocked.Increment(ref _next) - 1) < requests.Length && !giveUp.IsCancellationRequested)
            await DeliverAsync(requests[n], random);
    }

    private async Task DeliverAsync(int[] posts, Random random)
    {
        var body = string.Join('\n', posts.Select(p => bodies[p]));
        for (var attempt = 0; !giveUp.IsCancellationRequested; attempt++)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(giveUp);
            timeout.CancelAfter(policy.ShortTimeoutOneIn > 0 && random.Next(policy.ShortTimeoutOneIn) == 0
                ? TimeSpan.FromMilliseconds(random.Next(1, 40))
                : policy.AttemptTimeout);
            Interlocked.Increment(ref _inFlight);
            try
            {
                using var request = endpoint.Request(body);
                using var response = await http.SendAsync(request, timeout.Token);
                var text = await response.Content.ReadAsStringAsync(timeout.Token);
                if (response.IsSuccessStatusCode)
                {
                    using var answer = JsonDocument.Parse(text);
                    Interlocked.Add(ref _reportedStored, answer.RootElement.GetProperty("stored").GetInt32());
                    Interlocked.Add(ref _reportedDuplicates, answer.RootElement.GetProperty("duplicates").GetInt32());
                    if (endpoint.ReportsDeadLetters)
                        Interlocked.Add(ref _reportedDeadLettered, answer.RootElement.GetProperty("deadLettered").GetInt32());
                    foreach (var post in posts)
                        Volatile.Write(ref _acknowledged[post], 1);
                    Interlocked.Add(ref _answered, posts.Length);
                    return;
                }

                if (response.StatusCode == HttpStatusCode.TooManyRequests && policy.RetryTooManyRequests)
                {
                    Interlocked.Increment(ref _rateLimited);
                }
                else if ((int)response.StatusCode < 500)
                {
                    _refusals.Enqueue($"posts {string.Join(',', posts)}: {(int)response.StatusCode} {text}");
                    return;
                }
                else
                {
                    Interlocked.Increment(ref _serverErrors);
                }
            }
            catch (HttpRequestException)
            {
                Interlocked.Increment(ref _connectionFailures);
            }
            catch (OperationCanceledException) when (!giveUp.IsCancellationRequested)
            {
                Interlocked.Increment(ref _timeouts);
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }

            var backoff = Math.Min(policy.MaxBackoff.TotalMilliseconds, policy.FirstBackoff.TotalMilliseconds * (1 << Math.Min(attempt, 16)))
                          * (0.5 + random.NextDouble());
            await Task.Delay(TimeSpan.FromMilliseconds(backoff), giveUp).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }
}
