using System.Text;
using Dapper;
using Switchboard.Channels.SafeHttp;
using Switchboard.Storage;

namespace Switchboard.Sla;

/// <summary>
/// Sends escalation webhooks from the outbox after their effect committed: Slack-compatible JSON (<c>{"text": …}</c>)
/// POSTed to the URL from the configuration. Retries with exponential backoff up to <see cref="MaxAttempts"/>, then
/// marks the row failed (visible in the table; the in-app notification was written regardless). Rows are claimed with
/// a conditional UPDATE so two processes never send the same row at the same time; a receiver may still see a retry
/// after a crash between send and commit (at-least-once, as webhooks are everywhere).
/// The URLs come from the rules a manager edits, so they are user-supplied: every POST goes through
/// <see cref="SafeHttpClient"/> (no loopback, link-local/metadata, private ranges or redirects). A refused URL is
/// marked failed at once (retrying cannot make it allowed) with the refusal as its error.
/// </summary>
internal sealed class WebhookSender(Database db, SlaSignal signal, TimeProvider time, ILogger<WebhookSender> log)
    : BackgroundService
{
    public const int MaxAttempts = 8;
    static readonly TimeSpan Safety = TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken ct)
    {
        await Task.Yield();
        using var http = new SafeHttpClient(new SafeHttpOptions
        {
            Timeout = TimeSpan.FromSeconds(10),
            MaxResponseBytes = 64 * 1024,
            UserAgent = "Switchboard/1.0 (+escalation webhook)",
        });
        while (!ct.IsCancellationRequested)
        {
            TimeSpan wait;
            try
            {
                wait = await SendDueAsync(http, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                log.LogError(ex, "Webhook outbox pass failed");
                wait = TimeSpan.FromSeconds(5);
            }
            try
            {
                await signal.Webhooks.WaitAsync(wait, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Sends every due row once; returns how long until the next retry is due (at most the safety interval).</summary>
    internal async Task<TimeSpan> SendDueAsync(SafeHttpClient http, CancellationToken ct)
    {
        await using var conn = await db.OpenAsync(ct);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var due = (await conn.QueryAsync<(long Id, string Url, string Body, long Attempts)>(
            "SELECT id, url, body, attempts FROM webhook_outbox WHERE status = 'pending' AND next_attempt_at <= @now ORDER BY id LIMIT 50", new { now })).ToList();
        foreach (var (id, url, body, attempts) in due)
        {
            // Claim: push next_attempt_at forward so a concurrent sender skips it while this one sends.
            var claimed = await conn.ExecuteAsync(
                "UPDATE webhook_outbox SET next_attempt_at = @later WHERE id = @id AND status = 'pending' AND next_attempt_at <= @now",
                new { id, now, later = now + 60_000 });
            if (claimed != 1)
                continue;
            string? error;
            var refused = false;
            if (!Uri.TryCreate(url, UriKind.Absolute, out var target))
            {
                (error, refused) = ("not an absolute URL", true);
            }
            else
            {
                using var content = new StringContent(body, Encoding.UTF8, "application/json");
                var resp = await http.SendApiAsync(HttpMethod.Post, target, null, content, ct);
                refused = resp.Status == ApiCallStatus.Refused;
                error = resp.IsSuccess ? null
                    : resp.Status == ApiCallStatus.Answered ? $"HTTP {resp.HttpStatus}"
                    : (refused ? "refused: " : "") + (resp.Error ?? resp.Status.ToString());
            }
            var n = attempts + 1;
            var at = time.GetUtcNow().ToUnixTimeMilliseconds();
            if (error is null)
            {
                await conn.ExecuteAsync("UPDATE webhook_outbox SET status = 'sent', attempts = @n, sent_at = @at, last_error = NULL WHERE id = @id", new { n, at, id });
            }
            else
            {
                var backoff = (long)Math.Min(3_600_000, 2_000 * Math.Pow(2, n - 1));
                await conn.ExecuteAsync(
                    "UPDATE webhook_outbox SET status = @status, attempts = @n, next_attempt_at = @next, last_error = @error WHERE id = @id",
                    new { status = refused || n >= MaxAttempts ? "failed" : "pending", n, next = at + backoff, error, id });
                // A retry is routine (the outbox keeps the message); the operator needs to hear once, when it gives up.
                if (refused || n >= MaxAttempts)
                    log.LogWarning("Webhook {Id} failed for good after {Attempt} attempt(s): {Error}", id, n, error);
                else
                    log.LogDebug("Webhook {Id} attempt {Attempt} failed, retrying in {Seconds} s: {Error}", id, n, backoff / 1000, error);
            }
        }
        var nextDue = await conn.ExecuteScalarAsync<long?>("SELECT MIN(next_attempt_at) FROM webhook_outbox WHERE status = 'pending'");
        var wait = nextDue is { } d ? TimeSpan.FromMilliseconds(Math.Max(0, d - time.GetUtcNow().ToUnixTimeMilliseconds())) : Safety;
        return wait < Safety ? wait : Safety;
    }
}
