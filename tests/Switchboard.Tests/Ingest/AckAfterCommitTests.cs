using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;
using Switchboard.Channels.Accounts;
using Switchboard.Channels.Connectors;
using Switchboard.Channels.Webhooks;
using Switchboard.Hosting;
using Switchboard.Ingest;
using Switchboard.Storage;
using Switchboard.Tests.Channels;
using Switchboard.Tests.Channels.Connectors;
using Switchboard.Tests.Channels.Webhooks;
using Switchboard.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Switchboard.Tests.Ingest;

/// <summary>
/// The reliability plan's "ack after commit" test (docs/architecture.md, Durability): the server process is crashed
/// by its own test hook (<see cref="IngestFaults"/>, SWITCHBOARD_FAULTS) at each of the four points of the ingest
/// path — after receive, before commit, after commit, after ack — at several seeded random message counts, and
/// restarted on the same database after each crash until every message is stored. Four sources: a Bluesky Jetstream
/// account streaming 1,000 posts from a fake Jetstream (its ack is the saved cursor), a Mastodon account backfilling
/// and streaming 300 mentions from a fake instance (its ack is the saved cursor too), and a client delivering 1,000
/// posts to POST /api/posts, or signed to the generic webhook, retrying each request until it gets a 2xx (its ack is
/// the answer; <see cref="RetryingSender"/>). Checked: every message stored exactly once, one conversation per thread
/// with every reply in its parent's, every message stamped with the account it came through; a 2xx only for stored
/// posts and a cursor never past an uncommitted post (at every crash, and on every reconnect as the fake sees it);
/// <c>PRAGMA integrity_check</c> ok. Seeded and printed; <see cref="SeedVariable"/> replays the same posts and crash
/// counts. SQLite always, PostgreSQL too with <see cref="PostgresVariable"/>=1.
/// </summary>
[Collection(nameof(RunsAlone))]
public class AckAfterCommitTests(ITestOutputHelper output)
{
    private const int Messages = 1_000;
    private const int Crashes = 3;
    // Crash counts are drawn from 1..MaxCount, well below Messages, so the first crash always happens. A later one may
    // find every message stored already: a crash after commit or after ack comes after the whole batch that crossed
    // the mark, so a run can store more than its count (the fake paces its stream to keep the connector's batches
    // small). Such a run is reported and ends the crashing; the stream or the client is then finished as usual.
    private const int MaxCount = 200;
    private const string SeedVariable = "SWITCHBOARD_FAULTS_SEED";

    // The Mastodon case: 300 mentions, a third backfilled and the rest streamed; crashes at 1..100 land in either part.
    private const int MastodonMessages = 300;
    private const int MastodonBackfilled = 100;
    private const int MastodonMaxCount = 100;
    private const string ApiChannel = "facebook:1000000001";
    private const string WebhookChannel = "forum";

    private static readonly string[] Points = ["after-receive", "before-commit", "after-commit", "after-ack"];

    private static readonly int BaseSeed = int.TryParse(Environment.GetEnvironmentVariable(SeedVariable), NumberStyles.Integer, CultureInfo.InvariantCulture, out var s)
        ? s
        : Environment.TickCount;

    // Every point on SQLite. PostgreSQL only when asked (PostgresVariable=1): a case restarts a server four times, and
    // on the shared 2-core machine a PostgreSQL case takes 2-3 times as long as a SQLite one (docs/architecture.md).
    private const string PostgresVariable = "SWITCHBOARD_FAULTS_POSTGRES";

    private static readonly string[] Providers = Environment.GetEnvironmentVariable(PostgresVariable) == "1" ? ["sqlite", "postgres"] : ["sqlite"];

    public static IEnumerable<object[]> JetstreamCases => Providers.SelectMany(provider => Points.Select(p => new object[] { p, provider }));

    public static IEnumerable<object[]> ApiCases => JetstreamCases;

    public static IEnumerable<object[]> WebhookCases => JetstreamCases;

    public static IEnumerable<object[]> MastodonCases => JetstreamCases;

    [Theory]
    [MemberData(nameof(JetstreamCases))]
    public async Task A_jetstream_consumer_crashed_at_a_fault_point_stores_each_post_once_and_never_saves_a_cursor_past_an_uncommitted_one(
        string point, string provider)
    {
        var watch = Stopwatch.StartNew();
        var random = Seeded(point, provider, "jetstream");
        var stream = new PostStream(Messages, random);
        var plan = Enumerable.Range(0, Crashes).Select(_ => random.Next(1, MaxCount + 1)).ToArray();
        var (workDir, db, dbArgs) = await DatabaseAsync(provider);

        // The fake checks each subscription before it sends anything: every post before the cursor asked for must be stored.
        var queries = new List<string>();
        var gaps = new List<string>();
        // 10 events every 25 ms (400 a second): fast enough to finish in seconds, slow enough that the connector's
        // batches stay small and a crash lands somewhere inside the stream rather than after one batch of hundreds.
        await using var fake = await FakeJetstream.ServeAsync(stream.Events, null, queries, burst: 10, pauseMs: 25, subscribed: async cursor =>
        {
            if (cursor is not { } c)
                return;
            var stored = await StoredIdsAsync(db, "bluesky");
            var missing = stream.Uris.Where((uri, i) => stream.Events[i].TimeUs < c && !stored.Contains(uri)).ToList();
            if (missing.Count > 0)
            {
                lock (gaps)
                    gaps.Add($"subscription at cursor {c}: {missing.Count} earlier posts not stored, e.g. {missing[0]}");
            }
        });
        var endpoint = new UriBuilder(fake.Address) { Scheme = "ws", Path = "/subscribe" }.Uri;
        var accountId = await CreateJetstreamAccountAsync(db, workDir, endpoint);
        var last = stream.Events[^1].TimeUs;
        var port = ServerProcess.PortOutsideEphemeralRange();
        output.WriteLine($"{point} on {provider}: crashes planned at messages {string.Join(", ", plan)}; setup {watch.Elapsed.TotalSeconds:F1} s");

        for (var k = 0; k < plan.Length; k++)
        {
            var crashed = await RunUntilCrashAsync(workDir, port, dbArgs, $"{point}:{plan[k]}", loopback: true,
                () => JetstreamDoneAsync(db, accountId, last));
            Assert.True(crashed || k > 0, $"the first crash ({point}:{plan[k]}) did not happen");
            if (!crashed)
                break;

            // Nothing runs on the database now: the saved cursor must not be past any post that is not committed.
            var cursor = await CursorAsync(db, accountId);
            var stored = await StoredIdsAsync(db, "bluesky");
            var missing = stream.Uris.Where((uri, i) => stream.Events[i].TimeUs <= cursor && !stored.Contains(uri)).ToList();
            Assert.True(missing.Count == 0, $"after crash {k + 1} the cursor {cursor} is past {missing.Count} uncommitted posts, e.g. {missing.FirstOrDefault()}");
            output.WriteLine($"crash {k + 1} at {point}:{plan[k],3} ({watch.Elapsed.TotalSeconds,5:F1} s): {stored.Count,4} stored, cursor at post " +
                             $"{stream.Events.Count(e => e.TimeUs <= cursor),4}");
        }

        // The last run has no fault: it must finish the stream.
        await using (var server = await ServerProcess.StartAsync(new ServerStart(workDir, port) { LoopbackConnectors = true, Args = dbArgs }))
        {
            var finishing = Stopwatch.StartNew();
            var done = await WaitAsync(() => JetstreamDoneAsync(db, accountId, last), TimeSpan.FromSeconds(90));
            Assert.True(done, $"the stream was not finished within 90 s after the last restart:\n{server.Log}");
            output.WriteLine($"last run: ready after {server.ReadyAfter.TotalSeconds:F1} s, stream finished {finishing.Elapsed.TotalSeconds:F1} s later; load average {LoadAverage()}");
        }

        output.WriteLine($"{queries.Count} subscriptions; {watch.Elapsed.TotalSeconds:F1} s in all");
        Assert.Empty(gaps);
        Assert.True(queries.Count >= 2, $"each run subscribed ({queries.Count} subscriptions)");
        await AssertStoredOnceAsync(db, "bluesky", stream.Uris, stream.Parent, stamped: true);
        Directory.Delete(workDir, recursive: true); // kept when an assertion above fails, to look into
    }

    /// <summary>
    /// The same for a Mastodon account (mentions), the other pulled source with a cursor: a fake instance on loopback
    /// (<see cref="FakeMastodonInstance"/>) holds the first third of <see cref="MastodonMessages"/> mentions, which the
    /// connector backfills over REST in pages of 40 (one commit and one cursor save a page), and creates the rest one
    /// by one on its live stream (one commit and one save a mention) while the connector listens. Its ack is
    /// the saved cursor, the last committed notification id; a crash can leave a streamed mention only in the REST
    /// API, for the next run's backfill to find. 300 rather than 1,000: a streamed mention costs a commit, a stamp and
    /// a cursor save of its own, so the 200 streamed take about 4 s, and crash counts up to 100 land in both parts.
    /// </summary>
    [Theory]
    [MemberData(nameof(MastodonCases))]
    public async Task A_mastodon_connector_crashed_at_a_fault_point_stores_each_mention_once_and_never_saves_a_cursor_past_an_uncommitted_one(
        string point, string provider)
    {
        var watch = Stopwatch.StartNew();
        var random = Seeded(point, provider, "mastodon");
        var instance = new FakeMastodonInstance(initial: 0);
        var mentions = Enumerable.Range(1, MastodonMessages).Select(i => instance.Make(i)).ToList();
        // Status ids are 1000 + the mention's number; 30% reply to one of the 50 before them, so threads are several
        // levels deep and a page (newest first) often holds a reply ahead of its parent.
        var ids = mentions.Select(n => (string)n["status"]!["id"]!).ToList();
        var parents = new string?[MastodonMessages];
        for (var i = 1; i < MastodonMessages; i++)
        {
            if (random.NextDouble() < 0.3)
                parents[i] = ids[random.Next(Math.Max(0, i - 50), i)];
            mentions[i]["status"]!["in_reply_to_id"] = parents[i];
        }
        instance.Notifications.AddRange(mentions.Take(MastodonBackfilled));
        instance.Schedule(mentions.Skip(MastodonBackfilled), everyMs: 20);
        var plan = Enumerable.Range(0, Crashes).Select(_ => random.Next(1, MastodonMaxCount + 1)).ToArray();
        var (workDir, db, dbArgs) = await DatabaseAsync(provider);

        // Before it answers a page, the fake checks the page's min_id (the connector's committed id, or the last id of
        // the page it committed before): every mention up to it must be stored.
        var gaps = new List<string>();
        string channel = null!;
        await using var fake = await FakeServer.StartAsync(app =>
        {
            app.MapGet("/api/v1/notifications", async (HttpContext ctx) =>
            {
                if (int.TryParse(ctx.Request.Query["min_id"], NumberStyles.None, CultureInfo.InvariantCulture, out var min) && min > 0)
                {
                    var stored = await StoredIdsAsync(db, channel);
                    var missing = ids.Take(min).Where(id => !stored.Contains(id)).ToList();
                    if (missing.Count > 0)
                    {
                        lock (gaps)
                            gaps.Add($"page from min_id {min}: {missing.Count} earlier mentions not stored, e.g. {missing[0]}");
                    }
                }
                return instance.Page(ctx);
            });
            app.MapGet("/api/v1/streaming/user/notification", instance.LiveStreamAsync);
        });
        instance.Base = fake.Address;
        channel = MastodonConnector.Channel(fake.Address);
        var accountId = await CreateAccountAsync(db, workDir, ChannelAccountRules.Mastodon, "brand mentions",
            new Dictionary<string, string> { ["instance"] = fake.Address.AbsoluteUri },
            new Dictionary<string, string> { ["access_token"] = FakeMastodonInstance.Token });
        // A resumed account (cursor before mention 1): a first run with no cursor reads only the newest page by design.
        var health = new ChannelHealthStore(db, TimeProvider.System);
        await health.StartAsync(accountId, CancellationToken.None);
        await health.RecordSuccessAsync(accountId, 0, "{\"notifications\":\"0\"}", null, CancellationToken.None);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools(); // no handle of ours stays open on the server's file (see Release)
        var port = ServerProcess.PortOutsideEphemeralRange();
        output.WriteLine($"{point} on {provider}: crashes planned at messages {string.Join(", ", plan)}; setup {watch.Elapsed.TotalSeconds:F1} s");

        for (var k = 0; k < plan.Length; k++)
        {
            var crashed = await RunUntilCrashAsync(workDir, port, dbArgs, $"{point}:{plan[k]}", loopback: true,
                async () => await MastodonCursorAsync(db, accountId) >= MastodonMessages);
            Assert.True(crashed || k > 0, $"the first crash ({point}:{plan[k]}) did not happen");
            if (!crashed)
                break;

            // Nothing runs on the database now: the saved cursor must not be past any mention that is not committed.
            var cursor = await MastodonCursorAsync(db, accountId);
            var stored = await StoredIdsAsync(db, channel);
            var missing = ids.Take(cursor).Where(id => !stored.Contains(id)).ToList();
            Assert.True(missing.Count == 0, $"after crash {k + 1} the cursor {cursor} is past {missing.Count} uncommitted mentions, e.g. {missing.FirstOrDefault()}");
            output.WriteLine($"crash {k + 1} at {point}:{plan[k],3} ({watch.Elapsed.TotalSeconds,5:F1} s): {stored.Count,4} stored, cursor at mention {cursor,4}, " +
                             $"{MastodonMessages - MastodonBackfilled - instance.Unpublished,4} streamed mentions created");
        }

        // The last run has no fault: it must store every mention, the streamed ones included.
        await using (var server = await ServerProcess.StartAsync(new ServerStart(workDir, port) { LoopbackConnectors = true, Args = dbArgs }))
        {
            var finishing = Stopwatch.StartNew();
            var done = await WaitAsync(async () => await MastodonCursorAsync(db, accountId) >= MastodonMessages, TimeSpan.FromSeconds(90));
            Assert.True(done, $"the mentions were not all committed within 90 s after the last restart ({instance.Unpublished} not yet created):\n{server.Log}");
            output.WriteLine($"last run: ready after {server.ReadyAfter.TotalSeconds:F1} s, mentions finished {finishing.Elapsed.TotalSeconds:F1} s later; load average {LoadAverage()}");
        }

        var pages = instance.QueriesSoFar();
        output.WriteLine($"{pages.Length} pages, {instance.StreamConnections} stream connections; {watch.Elapsed.TotalSeconds:F1} s in all");
        Assert.Empty(gaps);
        Assert.True(instance.StreamConnections >= 1, "the live stream was read");
        Assert.True(pages.Length >= 3, $"the backfill paged through the first {MastodonBackfilled} mentions, 40 a page ({pages.Length} pages)");
        await AssertStoredOnceAsync(db, channel, ids, parents, stamped: true);
        Directory.Delete(workDir, recursive: true); // kept when an assertion above fails, to look into
    }

    [Theory]
    [MemberData(nameof(ApiCases))]
    public async Task The_posts_api_crashed_at_a_fault_point_answers_2xx_only_for_stored_posts_and_stores_each_once(string point, string provider)
    {
        var watch = Stopwatch.StartNew();
        var random = Seeded(point, provider, "api");
        var posts = new Deliveries(Messages, ApiChannel, random);
        var plan = Enumerable.Range(0, Crashes).Select(_ => random.Next(1, MaxCount + 1)).ToArray();
        var (workDir, db, dbArgs) = await DatabaseAsync(provider);
        var token = await TokenAsync(db);
        output.WriteLine($"{point} on {provider}: crashes planned at messages {string.Join(", ", plan)}; setup {watch.Elapsed.TotalSeconds:F1} s");

        await DeliverWhileCrashingAsync(point, plan, random, workDir, db, dbArgs, posts, DeliveryEndpoint.PostsApi,
            http => http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token), rateLimited: false, watch);

        await AssertStoredOnceAsync(db, ApiChannel, posts.Ids, posts.Parents, stamped: false);
        Directory.Delete(workDir, recursive: true);
    }

    /// <summary>
    /// The same for a signed webhook source: the generic webhook (HMAC-SHA256 of timestamp and body, signed again for
    /// each attempt as a sender's retry is), whose ack is its 2xx too, but whose posts are also stamped with the
    /// account after they are committed (a step a crash can cut off, which the redelivery must complete). The sender
    /// retries 429 as networks do: the per-account limiter allows a burst of 200 deliveries a process, then 50 a second.
    /// </summary>
    [Theory]
    [MemberData(nameof(WebhookCases))]
    public async Task A_signed_webhook_crashed_at_a_fault_point_answers_2xx_only_for_stored_posts_and_stores_each_once(string point, string provider)
    {
        const string secret = "generic-faults-secret-0123";
        var watch = Stopwatch.StartNew();
        var random = Seeded(point, provider, "webhook");
        var posts = new Deliveries(Messages, WebhookChannel, random);
        var plan = Enumerable.Range(0, Crashes).Select(_ => random.Next(1, MaxCount + 1)).ToArray();
        var (workDir, db, dbArgs) = await DatabaseAsync(provider);
        // The account's channel setting pins every post of it to that channel, as a generic source is set up.
        var accountId = await CreateAccountAsync(db, workDir, "generic", "forum", new Dictionary<string, string> { ["channel"] = WebhookChannel },
            new Dictionary<string, string> { ["secret"] = secret });
        output.WriteLine($"{point} on {provider}: crashes planned at messages {string.Join(", ", plan)}; setup {watch.Elapsed.TotalSeconds:F1} s");

        var endpoint = new DeliveryEndpoint(body =>
        {
            var bytes = System.Text.Encoding.UTF8.GetBytes(body);
            var request = new HttpRequestMessage(HttpMethod.Post, $"/hooks/generic/{accountId}") { Content = new ByteArrayContent(bytes) };
            request.Content.Headers.ContentType = new(WebhookSigning.ContentType(WebhookProvider.Generic));
            WebhookSigning.Sign(request, WebhookProvider.Generic, secret, WebhookSigning.Now(), bytes);
            return request;
        }, ReportsDeadLetters: false);
        await DeliverWhileCrashingAsync(point, plan, random, workDir, db, dbArgs, posts, endpoint, _ => { }, rateLimited: true, watch);

        await AssertStoredOnceAsync(db, WebhookChannel, posts.Ids, posts.Parents, stamped: true);
        Directory.Delete(workDir, recursive: true);
    }

    /// <summary>
    /// Runs a <see cref="RetryingSender"/> of <paramref name="posts"/> (requests of 1-5 posts over 16 connections)
    /// against a server crashed at <paramref name="point"/> at each count of <paramref name="plan"/> and restarted on
    /// the same database, then against one without a fault until every request got its 2xx. After each crash, before
    /// anything can redeliver, every post answered with a 2xx must be stored. <paramref name="rateLimited"/>: the
    /// endpoint may answer 429, which the sender then retries (else a 429 is a refusal and fails the test).
    /// </summary>
    private async Task DeliverWhileCrashingAsync(string point, int[] plan, Random random, string workDir, Database db, string[] dbArgs,
        Deliveries posts, DeliveryEndpoint endpoint, Action<HttpClient> authorize, bool rateLimited, Stopwatch watch)
    {
        var port = ServerProcess.PortOutsideEphemeralRange();
        using var http = new HttpClient(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(2) })
        {
            BaseAddress = new Uri($"http://127.0.0.1:{port}"),
            Timeout = TimeSpan.FromSeconds(20),
        };
        authorize(http);
        using var giveUp = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        // Short backoff (10-250 ms): the crashes, not the waits, should bound the test's time.
        var client = new RetryingSender(http, posts.Bodies, posts.Requests, endpoint,
            new RetryPolicy { FirstBackoff = TimeSpan.FromMilliseconds(10), MaxBackoff = TimeSpan.FromMilliseconds(250), AttemptTimeout = TimeSpan.FromSeconds(20), RetryTooManyRequests = rateLimited },
            giveUp.Token);
        Task? deliveries = null;
        try
        {
            for (var k = 0; k < plan.Length; k++)
            {
                var crashed = await RunUntilCrashAsync(workDir, port, dbArgs, $"{point}:{plan[k]}", loopback: false, () =>
                {
                    // The client starts once the first server is up, so its first requests are not all refused.
                    deliveries ??= client.RunAsync(connections: 16, random.Next());
                    return Task.FromResult(deliveries.IsCompleted);
                });
                Assert.True(crashed || k > 0, $"the first crash ({point}:{plan[k]}) did not happen");
                if (!crashed)
                    break;

                // Nothing runs on the database now, so nothing can store a post late: each answered with a 2xx is there.
                var acknowledged = client.AcknowledgedPosts();
                var stored = await StoredIdsAsync(db, posts.Channel);
                var lost = acknowledged.Where(i => !stored.Contains(posts.Ids[i])).ToList();
                Assert.True(lost.Count == 0, $"after crash {k + 1}, {lost.Count} posts answered with a 2xx are not stored, e.g. {posts.Ids[lost.FirstOrDefault()]}");
                output.WriteLine($"crash {k + 1} at {point}:{plan[k],3} ({watch.Elapsed.TotalSeconds,5:F1} s): {acknowledged.Count,4} acknowledged, {stored.Count,4} stored");
            }

            await using var server = await ServerProcess.StartAsync(new ServerStart(workDir, port) { Args = dbArgs });
            var finishing = Stopwatch.StartNew();
            deliveries ??= client.RunAsync(connections: 16, random.Next());
            Assert.True(await Task.WhenAny(deliveries, Task.Delay(TimeSpan.FromSeconds(90))) == deliveries,
                $"the client was not done within 90 s after the last restart ({client.AcknowledgedPosts().Count} acknowledged)");
            await deliveries;
            output.WriteLine($"last run: ready after {server.ReadyAfter.TotalSeconds:F1} s, deliveries finished {finishing.Elapsed.TotalSeconds:F1} s later; load average {LoadAverage()}");
        }
        finally
        {
            await giveUp.CancelAsync();
            await (deliveries ?? Task.CompletedTask).ContinueWith(_ => { }, TaskScheduler.Default);
        }

        output.WriteLine($"{client.Describe()}; {watch.Elapsed.TotalSeconds:F1} s in all");
        Assert.Empty(client.Refusals);
        Assert.Equal(posts.Ids.Count, client.AcknowledgedPosts().Count);
        // The server says "stored" for a post at most once, whichever of its sends carried it.
        Assert.InRange(client.ReportedStored, 0, posts.Ids.Count);
        // None of these posts can fail on its own, so none may be parked as a dead letter and answered 2xx.
        Assert.Equal(0, client.ReportedDeadLettered);
    }

    /// <summary>The case's random source, from the run's seed (printed, and replayable with <see cref="SeedVariable"/>) and the case.</summary>
    private Random Seeded(string point, string provider, string source)
    {
        var caseSeed = unchecked(BaseSeed + (Array.IndexOf(Points, point) * 7919) + (provider == "sqlite" ? 0 : 104_729) + source switch { "api" => 1, "webhook" => 2, "mastodon" => 3, _ => 0 });
        output.WriteLine($"seed {BaseSeed} (replay the same posts and crash counts with {SeedVariable}={BaseSeed}); case seed {caseSeed}");
        return new Random(caseSeed);
    }

    /// <summary>
    /// Starts the server with SWITCHBOARD_FAULTS=<paramref name="fault"/> and waits until it has crashed (true) or
    /// <paramref name="finished"/> says there was nothing left to do (false, the server is then killed).
    /// </summary>
    private async Task<bool> RunUntilCrashAsync(string workDir, int port, IReadOnlyList<string> dbArgs, string fault, bool loopback, Func<Task<bool>> finished)
    {
        var ran = Stopwatch.StartNew();
        var server = await ServerProcess.StartAsync(new ServerStart(workDir, port)
        {
            Environment = new Dictionary<string, string> { [IngestFaults.Variable] = fault },
            LoopbackConnectors = loopback,
            MayExitBeforeReady = true,
            Args = dbArgs,
        });
        await using (server)
        {
            var ended = await WaitAsync(async () => server.HasExited || await finished(), TimeSpan.FromSeconds(60));
            Assert.True(ended, $"{fault}: neither crashed nor finished within 60 s:\n{server.Log}");
            if (!server.HasExited)
            {
                output.WriteLine($"{fault}: no crash, every message was stored before that count was reached");
                return false;
            }

            await server.WaitForExitAsync(TimeSpan.FromSeconds(5));
            output.WriteLine($"{fault}: {(server.ReadyAfter == TimeSpan.Zero ? "crashed before it was ready" : $"ready after {server.ReadyAfter.TotalSeconds:F1} s")}, " +
                             $"crashed {ran.Elapsed.TotalSeconds:F1} s after its start; load average {LoadAverage()}");
            // The hook's own last words: a crash of any other kind is a failure of its own.
            Assert.True(server.Log.Contains($"{IngestFaults.Variable}: crashing at {fault}", StringComparison.Ordinal),
                $"the server ended (exit code {server.ExitCode}) without the injected crash:\n{server.Log}");
            return true;
        }
    }

    /// <summary>The 1-minute load average (Linux), printed beside times: on a shared machine it explains most of them.</summary>
    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";

    private static async Task<bool> WaitAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var until = Stopwatch.StartNew();
        while (until.Elapsed < timeout)
        {
            if (await condition())
                return true;
            await Task.Delay(50);
        }

        return false;
    }

    private static async Task<(string WorkDir, Database Db, string[] Args)> DatabaseAsync(string provider)
    {
        var workDir = Directory.CreateTempSubdirectory("switchboard-faults-").FullName;
        var db = provider == "sqlite"
            ? Database.Sqlite(Path.Combine(workDir, "data", "switchboard.db"))
            : await TestDatabases.CreateAsync(provider);
        Directory.CreateDirectory(Path.Combine(workDir, "data"));
        await Migrator.MigrateAsync(db);
        return (workDir, db, ["--db", db.IsSqlite ? db.Display["sqlite:".Length..] : db.ConnectionString]);
    }

    private static Task<long> CreateJetstreamAccountAsync(Database db, string workDir, Uri endpoint) =>
        CreateAccountAsync(db, workDir, ChannelAccountRules.BlueskyJetstream, "firehose",
            new Dictionary<string, string> { ["endpoint"] = endpoint.AbsoluteUri }, new Dictionary<string, string>());

    /// <summary>An account whose settings and secrets the server can read: written with the key ring it will use (./data/keys).</summary>
    private static async Task<long> CreateAccountAsync(Database db, string workDir, string kind, string name,
        Dictionary<string, string> settings, Dictionary<string, string> secrets)
    {
        var keys = Path.Combine(workDir, "data", "keys");
        var protection = DataProtectionProvider.Create(new DirectoryInfo(keys), b => KeyRing.Configure(b, keys, null));
        var store = new ChannelAccountStore(db, protection, TimeProvider.System);
        await using var conn = await db.OpenAsync();
        return await store.CreateAsync(conn, null, kind, name, settings, secrets, null);
    }

    private static async Task<string> TokenAsync(Database db)
    {
        using var stdout = new StringWriter();
        Assert.Equal(0, await Switchboard.Auth.UserCommand.CreateAsync(db, "ops@example.com", "Ops", "admin", "a long passphrase", stdout, stdout, CancellationToken.None));
        stdout.GetStringBuilder().Clear();
        Assert.Equal(0, await Switchboard.Auth.TokenCommand.CreateAsync(db, "ops@example.com", "faults", stdout, stdout, CancellationToken.None));
        return stdout.ToString().Trim();
    }

    private static async Task<bool> JetstreamDoneAsync(Database db, long accountId, long last) => await CursorAsync(db, accountId) >= last;

    /// <summary>The Mastodon account's saved cursor: the last committed notification id (0 when none).</summary>
    private static async Task<int> MastodonCursorAsync(Database db, long accountId)
    {
        await using var conn = await db.OpenAsync();
        try
        {
            var cursor = await conn.ExecuteScalarAsync<string?>("SELECT cursor FROM channel_health WHERE account_id = @accountId", new { accountId });
            return int.TryParse(MastodonConnector.ReadCursor(cursor).GetValueOrDefault("notifications"), NumberStyles.None, CultureInfo.InvariantCulture, out var c) ? c : 0;
        }
        finally
        {
            Release(conn);
        }
    }

    private static async Task<long> CursorAsync(Database db, long accountId)
    {
        await using var conn = await db.OpenAsync();
        try
        {
            var cursor = await conn.ExecuteScalarAsync<string?>("SELECT cursor FROM channel_health WHERE account_id = @accountId", new { accountId });
            return long.TryParse(cursor, NumberStyles.Integer, CultureInfo.InvariantCulture, out var c) ? c : 0;
        }
        finally
        {
            Release(conn);
        }
    }

    private static async Task<HashSet<string>> StoredIdsAsync(Database db, string channel)
    {
        await using var conn = await db.OpenAsync();
        try
        {
            return (await conn.QueryAsync<string>("SELECT external_id FROM messages WHERE channel = @channel", new { channel })).ToHashSet(StringComparer.Ordinal);
        }
        finally
        {
            Release(conn);
        }
    }

    /// <summary>
    /// Each message once; one conversation per thread (by its root), holding exactly its thread, every reply in its
    /// parent's; counts right; stamped with its account when it came through one; the file intact.
    /// </summary>
    private static async Task AssertStoredOnceAsync(Database db, string channel, IReadOnlyList<string> ids, IReadOnlyList<string?> parents, bool stamped)
    {
        var root = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < ids.Count; i++)
            root[ids[i]] = parents[i] is { } p ? root[p] : ids[i];

        await using var conn = await db.OpenAsync();
        try
        {
            if (db.IsSqlite)
                Assert.Equal("ok", await conn.ExecuteScalarAsync<string>("PRAGMA integrity_check"));
            var counts = (await conn.QueryAsync<(string Id, long Count)>(
                "SELECT external_id, COUNT(*) FROM messages WHERE channel = @channel GROUP BY external_id", new { channel })).ToList();
            Assert.Empty(counts.Where(c => c.Count != 1).Select(c => $"{c.Id} stored {c.Count} times"));
            Assert.Equal(ids.Order(StringComparer.Ordinal), counts.Select(c => c.Id).Order(StringComparer.Ordinal));
            Assert.Equal(ids.Count, await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM messages"));

            Assert.Empty(await conn.QueryAsync<string>(
                "SELECT channel || ' ' || root_external_id FROM conversations GROUP BY channel, root_external_id HAVING COUNT(*) > 1"));
            var threads = root.Values.Distinct(StringComparer.Ordinal).Count();
            Assert.Equal(threads, await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM conversations"));
            var placed = (await conn.QueryAsync<(string Message, string Root)>(
                "SELECT m.external_id, c.root_external_id FROM messages m JOIN conversations c ON c.id = m.conversation_id")).ToList();
            Assert.Empty(placed.Where(p => p.Root != root[p.Message]).Select(p => $"{p.Message} in the thread of {p.Root}").Take(10));
            Assert.Equal(0, await conn.ExecuteScalarAsync<long>(
                "SELECT COUNT(*) FROM messages child JOIN messages parent ON parent.channel = child.channel AND parent.external_id = child.in_reply_to " +
                "WHERE parent.conversation_id <> child.conversation_id"));
            Assert.Equal(0, await conn.ExecuteScalarAsync<long>(
                "SELECT COUNT(*) FROM conversations c WHERE message_count <> (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id)"));
            if (stamped)
            {
                Assert.Equal(0, await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM messages WHERE account_id IS NULL"));
                Assert.Equal(0, await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM conversations WHERE account_id IS NULL"));
            }
        }
        finally
        {
            Release(conn);
        }
    }

    /// <summary>Closes SQLite's pooled handle, so the next server (or the clean-up) finds the file as a crash left it.</summary>
    private static void Release(System.Data.Common.DbConnection conn)
    {
        if (conn is Microsoft.Data.Sqlite.SqliteConnection sqlite)
            Microsoft.Data.Sqlite.SqliteConnection.ClearPool(sqlite);
    }

    /// <summary>
    /// 1,000 Jetstream post creations, 100 ms apart (the consumer's 5 s rewind replays about 50 of them on each
    /// reconnect), from 60 authors; 30% reply to one of the 100 posts before them, so threads are several levels deep.
    /// </summary>
    private sealed class PostStream
    {
        public PostStream(int count, Random random)
        {
            const long BaseUs = 1_783_175_888_000_000L;
            var cids = new string[count];
            for (var i = 0; i < count; i++)
            {
                var did = "did:plc:faultauthor" + random.Next(60).ToString("D3", CultureInfo.InvariantCulture);
                var rkey = "3sbf" + i.ToString("D8", CultureInfo.InvariantCulture);
                var uri = $"at://{did}/app.bsky.feed.post/{rkey}";
                cids[i] = "bafyfault" + i.ToString(CultureInfo.InvariantCulture);
                var record = new JsonObject
                {
                    ["$type"] = "app.bsky.feed.post",
                    ["text"] = $"post {i} about the Brightwave Hub",
                    ["createdAt"] = DateTimeOffset.FromUnixTimeMilliseconds(1_783_175_888_000 + (i * 100L)).ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture),
                    ["langs"] = new JsonArray("en"),
                };
                string? parent = null;
                if (i > 0 && random.NextDouble() < 0.3)
                {
                    var p = random.Next(Math.Max(0, i - 100), i);
                    parent = Uris[p];
                    var r = Roots[p];
                    record["reply"] = new JsonObject
                    {
                        ["root"] = new JsonObject { ["uri"] = Uris[r], ["cid"] = cids[r] },
                        ["parent"] = new JsonObject { ["uri"] = parent, ["cid"] = cids[p] },
                    };
                    Roots.Add(r);
                }
                else
                {
                    Roots.Add(i);
                }

                Uris.Add(uri);
                Parent.Add(parent);
                var timeUs = BaseUs + (i * 100_000L);
                var node = new JsonObject
                {
                    ["did"] = did,
                    ["time_us"] = timeUs,
                    ["kind"] = "commit",
                    ["commit"] = new JsonObject
                    {
                        ["rev"] = "3sbrev" + i.ToString(CultureInfo.InvariantCulture),
                        ["operation"] = "create",
                        ["collection"] = "app.bsky.feed.post",
                        ["rkey"] = rkey,
                        ["record"] = record,
                        ["cid"] = cids[i],
                    },
                };
                Events.Add((timeUs, node.ToJsonString()));
            }
        }

        public List<(long TimeUs, string Json)> Events { get; } = [];

        /// <summary>The at:// URI of each post: its external id.</summary>
        public List<string> Uris { get; } = [];

        public List<string?> Parent { get; } = [];

        private List<int> Roots { get; } = [];
    }

    /// <summary>
    /// 1,000 posts for an HTTP source, as JSON lines of the post format: 30% reply to one of the 100 before them, so
    /// threads are several levels deep; cut into requests of 1-5 posts in order.
    /// </summary>
    private sealed class Deliveries
    {
        public Deliveries(int count, string channel, Random random)
        {
            Channel = channel;
            var ids = Enumerable.Range(0, count).Select(i => "c" + i.ToString(CultureInfo.InvariantCulture)).ToArray();
            var parents = new string?[count];
            Bodies = new string[count];
            for (var i = 0; i < count; i++)
            {
                var parent = i > 0 && random.NextDouble() < 0.3 ? random.Next(Math.Max(0, i - 100), i) : -1;
                parents[i] = parent < 0 ? null : ids[parent];
                Bodies[i] = JsonSerializer.Serialize(new
                {
                    id = ids[i],
                    channel,
                    text = $"comment {i}: where is my refund?",
                    created_at = DateTimeOffset.FromUnixTimeSeconds(1_790_000_000 + i).ToString("o", CultureInfo.InvariantCulture),
                    in_reply_to = parents[i],
                    author = new { id = "a" + random.Next(100).ToString(CultureInfo.InvariantCulture) },
                });
            }

            var requests = new List<int[]>();
            for (var i = 0; i < count;)
            {
                var size = Math.Min(random.Next(1, 6), count - i);
                requests.Add([.. Enumerable.Range(i, size)]);
                i += size;
            }

            Ids = ids;
            Parents = parents;
            Requests = [.. requests];
        }

        public string Channel { get; }

        /// <summary>The external id of each post.</summary>
        public IReadOnlyList<string> Ids { get; }

        /// <summary>The id each post replies to, or null.</summary>
        public IReadOnlyList<string?> Parents { get; }

        public string[] Bodies { get; }

        public int[][] Requests { get; }
    }
}
