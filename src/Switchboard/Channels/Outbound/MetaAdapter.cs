using System.Text.Json;
using Switchboard.Channels.Accounts;

namespace Switchboard.Channels.Outbound;

/// <summary>
/// Replies to Facebook Page and Instagram comments through the Graph API: Facebook <c>POST /{comment-id}/comments</c>,
/// Instagram <c>POST /{comment-id}/replies</c>, each with <c>message</c>. No idempotency key exists, so an unknown
/// outcome is reconciled by reading the same edge (<c>GET</c>) for a reply from our Page/account with our text.
/// Account (kind "meta"): secret <c>page_token</c> (the Page access token: pages_manage_engagement, or
/// instagram_manage_comments); setting <c>graph_url</c> (default https://graph.facebook.com/v21.0).
/// </summary>
internal abstract class MetaAdapter(ChannelAccountStore accounts, OutboundHttp http) : NetworkAdapter(accounts, http)
{
    public const string DefaultGraphUrl = "https://graph.facebook.com/v21.0";

    protected override string AccountKind => "meta";

    /// <summary>The comment edge a reply is posted to: "comments" (Facebook) or "replies" (Instagram).</summary>
    protected abstract string Edge { get; }

    /// <summary>The field holding a comment's text when reading the edge.</summary>
    protected abstract string TextField { get; }

    protected override async Task<SendOutcome> SendAsync(ChannelAccount account, OutboundReply reply, CancellationToken ct)
    {
        if (account.Secret("page_token") is not { Length: > 0 } token)
            return new SendOutcome(SendStatus.Failed, Error: "the Meta account has no page_token secret");
        var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["message"] = reply.Text });
        var response = await Http.SendApiAsync(HttpMethod.Post, EdgeUrl(account, reply), Bearer(token), form, ct);
        if (WriteFailure(response, "Meta refused the reply") is { } failure)
            return failure;
        using var doc = ParseJson(response.Body);
        return doc is not null && Str(doc.RootElement, "id") is { } id
            ? new SendOutcome(SendStatus.Sent, id)
            : new SendOutcome(SendStatus.Unknown, Error: "Meta accepted the reply but its answer could not be read");
    }

    protected override async Task<SendOutcome> ReconcileAsync(ChannelAccount account, OutboundReply reply, CancellationToken ct)
    {
        if (account.Secret("page_token") is not { Length: > 0 } token)
            return new SendOutcome(SendStatus.Unknown, Error: "the Meta account has no page_token secret");
        // The channel is "facebook:{page id}" / "instagram:{account id}": replies from that id are ours.
        var colon = reply.Channel.IndexOf(':', StringComparison.Ordinal);
        var ownId = colon > 0 ? reply.Channel[(colon + 1)..] : null;
        var url = new Uri(EdgeUrl(account, reply) + $"?fields=id,{TextField},from&limit=100");
        var response = await Http.SendApiAsync(HttpMethod.Get, url, Bearer(token), null, ct);
        if (LookupFailure(response, "could not read the replies on Meta") is { } failure)
            return failure;
        using var doc = ParseJson(response.Body);
        if (doc is null || !doc.RootElement.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array)
            return new SendOutcome(SendStatus.Unknown, Error: "Meta's answer could not be read");
        var text = Loose(reply.Text);
        foreach (var c in data.EnumerateArray())
        {
            var from = c.TryGetProperty("from", out var f) ? Str(f, "id") : null;
            if ((ownId is null || from is null || string.Equals(from, ownId, StringComparison.OrdinalIgnoreCase))
                && Loose(Str(c, TextField) ?? "") == text)
                return new SendOutcome(SendStatus.Sent, Str(c, "id"));
        }
        return new SendOutcome(SendStatus.Failed, Error: "not found among the replies to the comment");
    }

    private Uri EdgeUrl(ChannelAccount account, OutboundReply reply) =>
        Join(account.Setting("graph_url") is { Length: > 0 } g ? g : DefaultGraphUrl, $"/{Uri.EscapeDataString(reply.InReplyToExternalId)}/{Edge}");
}

/// <summary>Facebook Page comments: comment bodies up to 8,000 characters.</summary>
internal sealed class FacebookAdapter(ChannelAccountStore accounts, OutboundHttp http) : MetaAdapter(accounts, http)
{
    public override IReadOnlyCollection<string> Channels { get; } = ["facebook"];

    public override int MaxLength => 8000;

    protected override string Edge => "comments";

    protected override string TextField => "message";
}

/// <summary>Instagram comments: at most 2,200 characters.</summary>
internal sealed class InstagramAdapter(ChannelAccountStore accounts, OutboundHttp http) : MetaAdapter(accounts, http)
{
    public override IReadOnlyCollection<string> Channels { get; } = ["instagram"];

    public override int MaxLength => 2200;

    protected override string Edge => "replies";

    protected override string TextField => "text";
}
