using Dapper;
using Switchboard.Channels.Outbound;
using Switchboard.Posts;
using Switchboard.Tests.Infrastructure;
using Xunit;

namespace Switchboard.Tests.Channels.Outbound;

/// <summary>
/// The sender's promises against a fake Mastodon: the approval gate holds for every caller, a reply is posted at most
/// once (concurrent sends, unknown outcomes, crashes), Retry-After is honoured, and a refusal is shown.
/// </summary>
public sealed class OutboundSenderTests
{
    private const string Channel = "mastodon:fake";

    private static Post Mention(string id = "103188938570975982") =>
        new(id, Channel, "@brand my order never arrived", DateTimeOffset.UtcNow.AddMinutes(-5), new Author("634458", "someone"));

    private static async Task<(OutboundHarness H, FakeMastodon M, long Account, MastodonAdapter Adapter)> StartAsync(string provider, TimeSpan? timeout = null)
    {
        var h = await OutboundHarness.StartAsync(provider, timeout);
        var m = await FakeMastodon.StartAsync();
        var account = await h.AccountAsync("mastodon", new() { ["instance"] = m.Url }, new() { ["access_token"] = "token-123" });
        return (h, m, account, new MastodonAdapter(h.Accounts, h.Http));
    }

    [Fact]
    public async Task Approval_gate_cannot_be_bypassed_by_any_caller_path()
    {
        var (h, m, account, adapter) = await StartAsync("sqlite");
        await using var _ = h;
        await using var __ = m;
        var sender = h.Sender(adapter);
        var worker = h.Worker(sender);

        // Pending approval, and the same reply pushed into every state a retry or reconcile path would pick up.
        var reply = await h.ReplyAsync(Mention(), account, "We are on it", status: "approved", needsApproval: 1, requiredTiers: 2);
        Assert.Equal(SendResultKind.NeedsApproval, (await sender.SendAsync(reply, default)).Kind);
        foreach (var status in new[] { "retry", "unknown" })
        {
            await using (var conn = await h.Db.OpenAsync())
                await conn.ExecuteAsync("UPDATE replies SET status = @status, next_attempt_at = 0 WHERE id = @reply", new { status, reply });
            Assert.Equal(SendResultKind.NeedsApproval, (await sender.SendAsync(reply, default)).Kind);
            await worker.RunOnceAsync(default);
        }

        // One tier of two approved is still not enough; a rejection blocks even with both tiers approved.
        await using (var conn = await h.Db.OpenAsync())
        {
            var approver = await conn.ExecuteScalarAsync<long>("SELECT id FROM users LIMIT 1");
            await conn.ExecuteAsync("INSERT INTO approvals (reply_id, tier, approver_id, decision, created_at) VALUES (@reply, 1, @approver, 'approved', 0)", new { reply, approver });
            Assert.Equal(SendResultKind.NeedsApproval, (await sender.SendAsync(reply, default)).Kind);
            await conn.ExecuteAsync("INSERT INTO approvals (reply_id, tier, approver_id, decision, created_at) VALUES (@reply, 2, @approver, 'rejected', 0)", new { reply, approver });
            Assert.Equal(SendResultKind.NeedsApproval, (await sender.SendAsync(reply, default)).Kind);
        }

        Assert.Equal(0, m.Posts);
        Assert.Equal(0, await h.OutgoingMessagesAsync());

        // With both tiers approved it leaves, once.
        await using (var conn = await h.Db.OpenAsync())
            await conn.ExecuteAsync("UPDATE approvals SET decision = 'approved' WHERE reply_id = @reply", new { reply });
        Assert.Equal(SendResultKind.Sent, (await sender.SendAsync(reply, default)).Kind);
        Assert.Equal(1, m.Posts);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Concurrent_sends_of_one_reply_post_it_exactly_once(string provider)
    {
        var (h, m, account, adapter) = await StartAsync(provider);
        await using var _ = h;
        await using var __ = m;
        m.Delay = TimeSpan.FromMilliseconds(300);
        var reply = await h.ReplyAsync(Mention(), account, "Sorry about that, we are checking");

        // Several senders (two server instances, a double click, the worker) each with their own sender object.
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => h.Sender(adapter).SendAsync(reply, default))));

        Assert.Equal(1, m.Posts);
        Assert.Equal(1, m.Created);
        Assert.Single(results, r => r.Kind == SendResultKind.Sent);
        Assert.All(results, r => Assert.Contains(r.Kind, new[] { SendResultKind.Sent, SendResultKind.InProgress, SendResultKind.AlreadySent }));
        Assert.Equal(SendResultKind.AlreadySent, (await h.Sender(adapter).SendAsync(reply, default)).Kind);
        Assert.Equal(1, m.Posts);
        Assert.Equal("sent", (await h.StateAsync(reply)).Status);
        Assert.Equal(1, await h.OutgoingMessagesAsync());
    }

    [Fact]
    public async Task Unknown_outcome_is_reconciled_and_never_posted_twice()
    {
        var (h, m, account, adapter) = await StartAsync("sqlite", timeout: TimeSpan.FromSeconds(1));
        await using var _ = h;
        await using var __ = m;
        var sender = h.Sender(adapter);
        var mention = Mention();
        m.AddStatus(mention.Id, "Thanks, we are checking", "634458"); // someone else's identical text: not ours
        var others = m.Created;
        var reply = await h.ReplyAsync(mention, account, "Thanks, we are checking");

        m.HangAfterCreate = true;
        var first = await sender.SendAsync(reply, default);
        Assert.Equal(SendResultKind.Unknown, first.Kind);
        var state = await h.StateAsync(reply);
        Assert.Equal("unknown", state.Status);
        Assert.NotNull(state.NextAttemptAt); // the worker reconciles it once
        Assert.Equal(others + 1, m.Created);

        m.HangAfterCreate = false;
        var second = await sender.SendAsync(reply, default);
        Assert.Equal(SendResultKind.Sent, second.Kind);
        Assert.Equal(1, m.Posts); // found in the thread's context: no second POST
        Assert.Equal(others + 1, m.Created);
        Assert.Equal(1, await h.OutgoingMessagesAsync());
    }

    [Fact]
    public async Task Reconcile_that_finds_nothing_sends_with_the_same_idempotency_key()
    {
        var (h, m, account, adapter) = await StartAsync("sqlite");
        await using var _ = h;
        await using var __ = m;
        var reply = await h.ReplyAsync(Mention(), account, "Could you DM us your order number?", status: "unknown");

        Assert.Equal(SendResultKind.Sent, (await h.Sender(adapter).SendAsync(reply, default)).Kind);
        Assert.Equal(1, m.Posts);
        await using var conn = await h.Db.OpenAsync();
        var key = await conn.ExecuteScalarAsync<string>("SELECT idempotency_key FROM replies WHERE id = @reply", new { reply });
        Assert.Equal(key, m.Network.Requests.Single(r => r.Method == "POST").Headers["Idempotency-Key"]);
    }

    [Fact]
    public async Task Recovery_sweep_reconciles_replies_left_sending_by_a_crash()
    {
        var (h, m, account, adapter) = await StartAsync("sqlite");
        await using var _ = h;
        await using var __ = m;
        var sender = h.Sender(adapter);
        var worker = h.Worker(sender);

        // Crashed after the network created it, and crashed before the request left; plus a live send (recent).
        var posted = await h.ReplyAsync(Mention("1001"), account, "We refunded you", status: "sending");
        m.AddStatus("1001", "We refunded you", FakeMastodon.OurAccountId);
        var notPosted = await h.ReplyAsync(Mention("1002"), account, "We will call you", status: "sending");
        var live = await h.ReplyAsync(Mention("1003"), account, "Still sending", status: "sending");
        var old = DateTimeOffset.UtcNow.Subtract(OutboundWorker.StuckAfter).AddMinutes(-1).ToUnixTimeMilliseconds();
        await using (var conn = await h.Db.OpenAsync())
            await conn.ExecuteAsync("UPDATE replies SET updated_at = @old WHERE id IN @ids", new { old, ids = new[] { posted, notPosted } });

        await worker.RunOnceAsync(default);

        Assert.Equal("sent", (await h.StateAsync(posted)).Status);
        Assert.Equal("sent", (await h.StateAsync(notPosted)).Status);
        Assert.Equal("sending", (await h.StateAsync(live)).Status);
        Assert.Equal(1, m.Posts); // only the reply that was certainly absent
        Assert.Equal(2, m.Created);
        await using var check = await h.Db.OpenAsync();
        Assert.Equal(2, await check.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM audit_log WHERE action = 'reply.recovered'"));
    }

    [Fact]
    public async Task Rate_limit_sets_next_attempt_from_Retry_After_and_it_is_honoured()
    {
        var (h, m, account, adapter) = await StartAsync("sqlite");
        await using var _ = h;
        await using var __ = m;
        var sender = h.Sender(adapter);
        var worker = h.Worker(sender);
        m.RateLimitNext = 1;
        m.RetryAfterSeconds = 2;
        var reply = await h.ReplyAsync(Mention(), account, "Hello from the team");

        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        Assert.Equal(SendResultKind.RetryLater, (await sender.SendAsync(reply, default)).Kind);
        var state = await h.StateAsync(reply);
        Assert.Equal("retry", state.Status);
        Assert.InRange(state.NextAttemptAt!.Value - before, 1_500, 3_000);

        // Early: neither a direct call nor the worker touches the network.
        Assert.Equal(SendResultKind.RetryLater, (await sender.SendAsync(reply, default)).Kind);
        Assert.Equal(0, await worker.RunOnceAsync(default));
        Assert.Equal(1, m.Posts);

        await Task.Delay(TimeSpan.FromMilliseconds(state.NextAttemptAt!.Value - DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 100));
        Assert.Equal(1, await worker.RunOnceAsync(default));
        Assert.Equal("sent", (await h.StateAsync(reply)).Status);
        Assert.Equal(2, m.Posts);
        Assert.Equal(1, m.Created);
    }

    [Fact]
    public async Task Refusal_is_stored_as_failed_with_the_networks_reason()
    {
        var (h, m, account, adapter) = await StartAsync("sqlite");
        await using var _ = h;
        await using var __ = m;
        m.Reject = "Validation failed: Text can't be blank";
        var reply = await h.ReplyAsync(Mention(), account, "   x");

        var result = await h.Sender(adapter).SendAsync(reply, default);

        Assert.Equal(SendResultKind.Failed, result.Kind);
        var state = await h.StateAsync(reply);
        Assert.Equal("failed", state.Status);
        Assert.Contains("HTTP 422", state.Error, StringComparison.Ordinal);
        Assert.Contains("Validation failed", state.Error, StringComparison.Ordinal);
        await using var conn = await h.Db.OpenAsync();
        Assert.Equal("failed", await conn.ExecuteScalarAsync<string>("SELECT outcome FROM send_attempts WHERE reply_id = @reply", new { reply }));
        Assert.Equal(0, await h.OutgoingMessagesAsync());
    }

    [Fact]
    public async Task Reply_longer_than_the_network_allows_fails_without_a_request()
    {
        var (h, m, account, adapter) = await StartAsync("sqlite");
        await using var _ = h;
        await using var __ = m;
        var reply = await h.ReplyAsync(Mention(), account, new string('a', adapter.MaxLength + 1));

        Assert.Equal(SendResultKind.Failed, (await h.Sender(adapter).SendAsync(reply, default)).Kind);
        Assert.Contains("allows 500", (await h.StateAsync(reply)).Error, StringComparison.Ordinal);
        Assert.Empty(m.Network.Requests);
    }

    [Fact]
    public async Task Unmarked_conversation_with_two_accounts_of_the_kind_is_not_guessed()
    {
        var (h, m, _, adapter) = await StartAsync("sqlite");
        await using var __ = h;
        await using var ___ = m;
        await h.AccountAsync("mastodon", new() { ["instance"] = m.Url }, new() { ["access_token"] = "token-123" });
        var reply = await h.ReplyAsync(Mention(), accountId: null, "Which brand am I?");

        Assert.Equal(SendResultKind.Failed, (await h.Sender(adapter).SendAsync(reply, default)).Kind);
        Assert.Contains("2 mastodon accounts", (await h.StateAsync(reply)).Error, StringComparison.Ordinal);
        Assert.Equal(0, m.Posts);
    }

    [Fact]
    public async Task Demo_recorder_stands_in_only_when_no_account_of_the_network_exists()
    {
        await using var h = await OutboundHarness.StartAsync("sqlite");
        var sender = h.Sender(new MastodonAdapter(h.Accounts, h.Http), new DemoOutboundAdapter());
        var reply = await h.ReplyAsync(Mention(), accountId: null, "Recorded by the demo");

        var result = await sender.SendAsync(reply, default);

        Assert.Equal(SendResultKind.Sent, result.Kind);
        Assert.StartsWith("demo-", result.ExternalId, StringComparison.Ordinal);
    }
}
