using System.Net.Http.Json;
using Switchboard.Channels.Accounts;
using Switchboard.Channels.Html;

namespace Switchboard.Channels.Outbound;

/// <summary>
/// Replies on Mastodon: <c>POST /api/v1/statuses</c> with <c>in_reply_to_id</c> and the reply's idempotency key as
/// <c>Idempotency-Key</c> (the instance keeps it about an hour, so a re-send inside that window returns the same
/// status). Reconcile: our account's statuses among the parent's <c>/context</c> descendants, matched by text.
/// Account (kind "mastodon"): setting <c>instance</c>, optional <c>visibility</c> (default public) and
/// <c>max_characters</c> (default 500); secret <c>access_token</c> with write:statuses and read:statuses.
/// </summary>
internal sealed class MastodonAdapter(ChannelAccountStore accounts, OutboundHttp http) : NetworkAdapter(accounts, http)
{
    public override IReadOnlyCollection<string> Channels { get; } = ["mastodon"];

    /// <summary>Mastodon's default; instances may allow more (max_characters), never fewer.</summary>
    public override int MaxLength => 500;

    protected override string AccountKind => "mastodon";

    protected override async Task<SendOutcome> SendAsync(ChannelAccount account, OutboundReply reply, CancellationToken ct)
    {
        if (Instance(account, out var error) is not { } instance || account.Secret("access_token") is not { Length: > 0 } token)
            return new SendOutcome(SendStatus.Failed, Error: error ?? "the Mastodon account has no access_token secret");
        var headers = Bearer(token);
        headers["Idempotency-Key"] = reply.IdempotencyKey;
        var body = new Dictionary<string, string>
        {
            ["status"] = reply.Text,
            ["in_reply_to_id"] = reply.InReplyToExternalId,
            ["visibility"] = account.Setting("visibility") ?? "public",
        };
        var response = await Http.SendApiAsync(HttpMethod.Post, Join(instance, "/api/v1/statuses"), headers, JsonContent.Create(body), ct);
        if (WriteFailure(response, "Mastodon refused the reply") is { } failure)
            return failure;
        using var doc = ParseJson(response.Body);
        return doc is not null && Str(doc.RootElement, "id") is { } id
            ? new SendOutcome(SendStatus.Sent, id, Str(doc.RootElement, "url") ?? Str(doc.RootElement, "uri"))
            : new SendOutcome(SendStatus.Unknown, Error: "Mastodon accepted the reply but its answer could not be read");
    }

    protected override async Task<SendOutcome> ReconcileAsync(ChannelAccount account, OutboundReply reply, CancellationToken ct)
    {
        if (Instance(account, out var error) is not { } instance || account.Secret("access_token") is not { Length: > 0 } token)
            return new SendOutcome(SendStatus.Unknown, Error: error ?? "the Mastodon account has no access_token secret");
        var me = await Http.SendApiAsync(HttpMethod.Get, Join(instance, "/api/v1/accounts/verify_credentials"), Bearer(token), null, ct);
        if (LookupFailure(me, "could not read our Mastodon account") is { } meFailure)
            return meFailure;
        using var meDoc = ParseJson(me.Body);
        var myId = meDoc is null ? null : Str(meDoc.RootElement, "id");
        var context = await Http.SendApiAsync(HttpMethod.Get,
            Join(instance, $"/api/v1/statuses/{Uri.EscapeDataString(reply.InReplyToExternalId)}/context"), Bearer(token), null, ct);
        if (LookupFailure(context, "could not read the thread on Mastodon") is { } contextFailure)
            return contextFailure;
        using var doc = ParseJson(context.Body);
        if (myId is null || doc is null || !doc.RootElement.TryGetProperty("descendants", out var descendants) || descendants.ValueKind != System.Text.Json.JsonValueKind.Array)
            return new SendOutcome(SendStatus.Unknown, Error: "Mastodon's answer could not be read");
        var text = Loose(reply.Text);
        foreach (var status in descendants.EnumerateArray())
        {
            var author = status.TryGetProperty("account", out var a) ? Str(a, "id") : null;
            if (author == myId && Str(status, "in_reply_to_id") == reply.InReplyToExternalId
                && Loose(HtmlSanitizer.ToText(Str(status, "content"))) == text)
                return new SendOutcome(SendStatus.Sent, Str(status, "id"), Str(status, "url") ?? Str(status, "uri"));
        }
        // Not in the thread: certainly not posted (statuses are created synchronously), so sending is safe; the same
        // Idempotency-Key still covers a race inside the instance's one-hour window.
        return new SendOutcome(SendStatus.Failed, Error: "not found among the replies to the parent status");
    }

    private static string? Instance(ChannelAccount account, out string? error)
    {
        error = null;
        if (Uri.TryCreate(account.Setting("instance"), UriKind.Absolute, out var url) && url.Scheme is "http" or "https")
            return url.GetLeftPart(UriPartial.Authority);
        error = "the Mastodon account's instance setting is not an http(s) URL";
        return null;
    }
}
