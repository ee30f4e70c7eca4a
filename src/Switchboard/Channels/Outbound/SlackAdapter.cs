using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Switchboard.Channels.Accounts;
using Switchboard.Channels.Slack;

namespace Switchboard.Channels.Outbound;

/// <summary>
/// Replies in a Slack thread: <c>chat.postMessage</c> with <c>thread_ts</c> (the conversation's root message).
/// Slack has no idempotency key, so an unknown outcome is reconciled with <c>conversations.replies</c>: a message of
/// our bot with our text in that thread. Account (kind "slack"): secret <c>bot_token</c> (xoxb-, scopes chat:write
/// and channels:history/groups:history); setting <c>bot_user_id</c> (recommended) and <c>api_url</c> (default
/// https://slack.com/api).
/// </summary>
internal sealed class SlackAdapter(ChannelAccountStore accounts, OutboundHttp http) : NetworkAdapter(accounts, http)
{
    public override IReadOnlyCollection<string> Channels { get; } = ["slack"];

    /// <summary>Slack truncates message text beyond 40,000 characters and advises at most 4,000.</summary>
    public override int MaxLength => 4000;

    protected override string AccountKind => "slack";

    protected override async Task<SendOutcome> SendAsync(ChannelAccount account, OutboundReply reply, CancellationToken ct)
    {
        if (account.Secret("bot_token") is not { Length: > 0 } token)
            return new SendOutcome(SendStatus.Failed, Error: "the Slack account has no bot_token secret");
        string body;
        try
        {
            body = SlackEvents.ReplyBody(reply.InReplyToExternalId, reply.ConversationRootExternalId, reply.Text);
        }
        catch (ArgumentException ex)
        {
            return new SendOutcome(SendStatus.Failed, Error: ex.Message);
        }
        var response = await Http.SendApiAsync(HttpMethod.Post, Join(Api(account), "/chat.postMessage"), Bearer(token),
            new StringContent(body, Encoding.UTF8, "application/json"), ct);
        if (WriteFailure(response, "Slack refused the reply") is { } failure)
            return failure;
        using var doc = ParseJson(response.Body);
        if (doc is null)
            return new SendOutcome(SendStatus.Unknown, Error: "Slack's answer could not be read");
        var root = doc.RootElement;
        if (!root.TryGetProperty("ok", out var ok) || ok.ValueKind != JsonValueKind.True)
        {
            // Slack reports most errors as 200 with ok=false; "ratelimited" is its 429 in that form.
            var error = Str(root, "error") ?? "unknown error";
            return error == "ratelimited"
                ? new SendOutcome(SendStatus.RetryLater, Error: "Slack: ratelimited", RetryAfter: response.RetryAfter)
                : new SendOutcome(SendStatus.Failed, Error: "Slack refused the reply: " + error);
        }
        var channel = Str(root, "channel");
        var ts = Str(root, "ts");
        return channel is null || ts is null
            ? new SendOutcome(SendStatus.Unknown, Error: "Slack accepted the reply but did not say where")
            : new SendOutcome(SendStatus.Sent, channel + ":" + ts);
    }

    protected override async Task<SendOutcome> ReconcileAsync(ChannelAccount account, OutboundReply reply, CancellationToken ct)
    {
        if (account.Secret("bot_token") is not { Length: > 0 } token)
            return new SendOutcome(SendStatus.Unknown, Error: "the Slack account has no bot_token secret");
        var thread = reply.ConversationRootExternalId ?? reply.InReplyToExternalId;
        var colon = thread.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
            return new SendOutcome(SendStatus.Unknown, Error: $"'{thread}' is not a Slack message id");
        var (channel, ts) = (thread[..colon], thread[(colon + 1)..]);
        var response = await Http.SendApiAsync(HttpMethod.Get,
            Join(Api(account), $"/conversations.replies?channel={Uri.EscapeDataString(channel)}&ts={Uri.EscapeDataString(ts)}&limit=200"),
            Bearer(token), null, ct);
        if (LookupFailure(response, "could not read the Slack thread") is { } failure)
            return failure;
        using var doc = ParseJson(response.Body);
        if (doc is null || !doc.RootElement.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array)
            return new SendOutcome(SendStatus.Unknown, Error: "could not read the Slack thread: " + (doc is null ? "not JSON" : Str(doc.RootElement, "error")));
        var me = account.Setting("bot_user_id");
        var text = Loose(reply.Text);
        foreach (var m in messages.EnumerateArray())
        {
            var ours = me is { Length: > 0 } ? Str(m, "user") == me : Str(m, "bot_id") is not null;
            if (ours && Str(m, "ts") != ts && Loose(WebUtility.HtmlDecode(Str(m, "text") ?? "")) == text)
                return new SendOutcome(SendStatus.Sent, channel + ":" + Str(m, "ts"));
        }
        return new SendOutcome(SendStatus.Failed, Error: "not found in the Slack thread");
    }

    private static string Api(ChannelAccount account) => account.Setting("api_url") is { Length: > 0 } url ? url : "https://slack.com/api";
}
