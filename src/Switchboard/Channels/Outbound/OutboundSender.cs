using Dapper;
using Switchboard.Audit;
using Switchboard.Inbox;
using Switchboard.Ingest;
using Switchboard.Posts;
using Switchboard.Storage;

namespace Switchboard.Channels.Outbound;

/// <summary>What a call to <see cref="OutboundSender.SendAsync"/> did.</summary>
internal enum SendResultKind
{
    /// <summary>Sent now (or found already sent by a reconcile).</summary>
    Sent,

    /// <summary>It had been sent before: nothing was posted again.</summary>
    AlreadySent,

    /// <summary>Another worker is sending it right now.</summary>
    InProgress,

    /// <summary>It needs approvals it does not have: nothing was posted.</summary>
    NeedsApproval,

    /// <summary>Not in a sendable state (draft, rejected, unknown reply id).</summary>
    NotSendable,

    /// <summary>The network refused it; the reason is stored on the reply and shown in the thread.</summary>
    Failed,

    /// <summary>A transient refusal (e.g. 429); next_attempt_at honours Retry-After.</summary>
    RetryLater,

    /// <summary>The outcome is unknown and reconciling could not tell: an agent decides (never retried blindly).</summary>
    Unknown,
}

internal sealed record SendResult(SendResultKind Kind, string? Error = null, string? ExternalId = null);

/// <summary>
/// The only path by which a reply leaves Switchboard. Whatever endpoint, role or retry calls it, it (1) refuses a
/// reply that needs approval without an approved record for every required tier, (2) claims the reply with a
/// conditional update so two workers never send it twice, (3) reconciles an earlier unknown outcome before trying
/// again, and (4) records every attempt. The sent reply enters the thread through the normal ingest pipeline as an
/// outgoing message, so SLA clocks see the response like any other.
/// </summary>
internal sealed class OutboundSender(Database db, IEnumerable<OutboundAdapter> adapters, IngestQueue ingest, InboxFeed feed, TimeProvider time,
    OutboundSchedule? schedule = null)
{
    /// <summary>After an unknown outcome, the worker reconciles once after this delay (the network may still be finishing the request).</summary>
    public static readonly TimeSpan ReconcileDelay = TimeSpan.FromSeconds(30);

    /// <summary>A transient refusal without Retry-After is retried after this delay.</summary>
    public static readonly TimeSpan DefaultRetryDelay = TimeSpan.FromMinutes(1);

    private readonly OutboundAdapter[] _adapters = [.. adapters];

    /// <summary>
    /// The adapter for a channel: a network adapter first, the demo recorder as a fallback when registered. Channels
    /// of connected accounts are named "kind:account" (e.g. "mastodon:mastodon.social", "slack:t0123"), so an adapter
    /// listing the kind serves them all.
    /// </summary>
    public OutboundAdapter? AdapterFor(string channel)
    {
        var colon = channel.IndexOf(':', StringComparison.Ordinal);
        var kind = colon > 0 ? channel[..colon] : channel;
        return _adapters.FirstOrDefault(a => a is not DemoOutboundAdapter && (a.Channels.Contains(channel) || a.Channels.Contains(kind)))
            ?? _adapters.OfType<DemoOutboundAdapter>().FirstOrDefault();
    }

    public async Task<SendResult> SendAsync(long replyId, CancellationToken ct)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        ReplyRow? reply;
        await using (var conn = await db.OpenAsync(ct))
        {
            reply = await conn.QueryFirstOrDefaultAsync<ReplyRow>(
                """
                SELECT r.id AS Id, r.conversation_id AS ConversationId, r.channel AS Channel, r.text AS Text, r.status AS Status,
                  r.needs_approval AS NeedsApproval, r.required_tiers AS RequiredTiers, r.idempotency_key AS IdempotencyKey,
                  r.external_id AS ExternalId, m.external_id AS InReplyTo, c.root_external_id AS RootExternalId,
                  c.account_id AS AccountId, r.next_attempt_at AS NextAttemptAt, r.created_at AS CreatedAt
                FROM replies r JOIN conversations c ON c.id = r.conversation_id
                LEFT JOIN messages m ON m.id = r.in_reply_to_message_id
                WHERE r.id = @replyId
                """, new { replyId });
            if (reply is null)
            {
                return new SendResult(SendResultKind.NotSendable, "no such reply");
            }

            if (reply.Status == "sent")
            {
                return new SendResult(SendResultKind.AlreadySent, ExternalId: reply.ExternalId);
            }

            if (reply.Status == "sending")
            {
                return new SendResult(SendResultKind.InProgress);
            }

            if (reply.NeedsApproval != 0)
            {
                var approved = await conn.ExecuteScalarAsync<long>(
                    "SELECT COUNT(DISTINCT tier) FROM approvals WHERE reply_id = @replyId AND decision = 'approved'", new { replyId });
                var rejected = await conn.ExecuteScalarAsync<long>(
                    "SELECT COUNT(*) FROM approvals WHERE reply_id = @replyId AND decision = 'rejected'", new { replyId });
                if (rejected > 0 || approved < Math.Max(1, reply.RequiredTiers))
                {
                    return new SendResult(SendResultKind.NeedsApproval,
                        $"needs {Math.Max(1, reply.RequiredTiers)} approval(s), has {approved}{(rejected > 0 ? ", rejected" : "")}");
                }
            }

            // Retry-After is honoured whoever calls: an early retry would only be refused again (and count against us).
            if (reply.Status == "retry" && reply.NextAttemptAt is { } due && due > now)
            {
                return new SendResult(SendResultKind.RetryLater,
                    $"the network asked to wait until {DateTimeOffset.FromUnixTimeMilliseconds(due):u}");
            }

            if (reply.Status is not ("approved" or "retry" or "unknown"))
            {
                return new SendResult(SendResultKind.NotSendable, $"the reply is {reply.Status}");
            }

            // The claim: only one worker moves it to 'sending'. A crash while 'sending' leaves it for the recovery
            // sweep, which treats it as unknown (the request may have left) and reconciles instead of resending.
            var claimed = await conn.ExecuteAsync(
                "UPDATE replies SET status = 'sending', attempts = attempts + 1, updated_at = @now WHERE id = @replyId AND status = @status",
                new { replyId, now, status = reply.Status });
            if (claimed == 0)
            {
                return new SendResult(SendResultKind.InProgress);
            }
        }

        var outbound = new OutboundReply(reply.Id, reply.Channel, reply.AccountId, reply.InReplyTo ?? reply.RootExternalId, reply.RootExternalId,
            reply.Text, reply.IdempotencyKey, DateTimeOffset.FromUnixTimeMilliseconds(reply.CreatedAt));
        var adapter = AdapterFor(reply.Channel);
        if (adapter is NetworkAdapter network && _adapters.OfType<DemoOutboundAdapter>().FirstOrDefault() is { } demo
            && !await network.HasAccountAsync(outbound, ct))
        {
            // `serve --demo` without a real account for this network: the demo recorder stands in.
            adapter = demo;
        }

        if (adapter is null)
        {
            return await RecordAsync(reply, new SendOutcome(SendStatus.Failed, Error: $"no outbound account configured for channel '{reply.Channel}'"), ct);
        }

        var reconciling = reply.Status == "unknown";
        SendOutcome outcome;
        try
        {
            // After an unknown outcome, look first: posting again could duplicate the reply on the network.
            outcome = reconciling ? await adapter.ReconcileAsync(outbound, ct) : await adapter.SendAsync(outbound, ct);
            if (reconciling && outcome.Status == SendStatus.Failed)
            {
                // Certainly absent on the network: now it is safe to send.
                reconciling = false;
                outcome = await adapter.SendAsync(outbound, ct);
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
        {
            outcome = new SendOutcome(SendStatus.Unknown, Error: "the request may have been sent: " + ex.Message);
        }

        return await RecordAsync(reply, outcome, ct, reconciling);
    }

    private async Task<SendResult> RecordAsync(ReplyRow reply, SendOutcome outcome, CancellationToken ct, bool reconciled = false)
    {
        var now = time.GetUtcNow();
        // When to look at it again (the worker's timer, stored on the row): a transient refusal after Retry-After; an
        // unknown outcome once, to reconcile; an unknown that a reconcile could not settle waits for an agent.
        DateTimeOffset? next = outcome.Status switch
        {
            SendStatus.RetryLater => now.Add(outcome.RetryAfter ?? DefaultRetryDelay),
            SendStatus.Unknown when !reconciled => now.Add(ReconcileDelay),
            _ => null,
        };
        var status = outcome.Status switch
        {
            SendStatus.Sent => "sent",
            SendStatus.Failed => "failed",
            SendStatus.RetryLater => "retry",
            _ => "unknown",
        };
        await using (var conn = await db.OpenAsync(ct))
        {
            await using var tx = await conn.BeginTransactionAsync(ct);
            await conn.ExecuteAsync(
                "INSERT INTO send_attempts (reply_id, at, outcome, external_id, error) VALUES (@id, @at, @outcome, @ext, @error)",
                new { id = reply.Id, at = now.ToUnixTimeMilliseconds(), outcome = status, ext = outcome.ExternalId, error = outcome.Error }, tx);
            await conn.ExecuteAsync(
                """
                UPDATE replies SET status = @status, external_id = COALESCE(@ext, external_id), external_url = COALESCE(@url, external_url),
                  error = @error, next_attempt_at = @next, sent_at = CASE WHEN @status = 'sent' THEN @at ELSE sent_at END, updated_at = @at
                WHERE id = @id
                """,
                new
                {
                    id = reply.Id,
                    status,
                    ext = outcome.ExternalId,
                    url = outcome.Url,
                    error = outcome.Error,
                    next = next?.ToUnixTimeMilliseconds(),
                    at = now.ToUnixTimeMilliseconds(),
                }, tx);
            await AuditLog.WriteAsync(conn, tx, AuditEntry.BySystem("outbound", "reply." + status, "reply", reply.Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
                after: new { outcome.ExternalId, outcome.Error }), time);
            await tx.CommitAsync(ct);
        }

        if (outcome.Status == SendStatus.Sent)
        {
            // The reply joins its thread as an outgoing message; dedupe by (channel, external id) makes a repeat harmless.
            await ingest.IngestAsync(new Post(outcome.ExternalId ?? "reply-" + reply.Id, reply.Channel, reply.Text, now,
                Lang: null, Url: outcome.Url, InReplyTo: reply.InReplyTo ?? reply.RootExternalId, Outgoing: true), ct);
        }

        feed.Publish([reply.ConversationId]);
        if (next is not null)
        {
            schedule?.Nudge();
        }

        return outcome.Status switch
        {
            SendStatus.Sent => new SendResult(SendResultKind.Sent, ExternalId: outcome.ExternalId),
            SendStatus.Failed => new SendResult(SendResultKind.Failed, outcome.Error),
            SendStatus.RetryLater => new SendResult(SendResultKind.RetryLater, outcome.Error),
            _ => new SendResult(SendResultKind.Unknown, outcome.Error),
        };
    }

    private sealed record ReplyRow(long Id, long ConversationId, string Channel, string Text, string Status, long NeedsApproval,
        long RequiredTiers, string IdempotencyKey, string? ExternalId, string? InReplyTo, string RootExternalId, long? AccountId,
        long? NextAttemptAt, long CreatedAt);
}
