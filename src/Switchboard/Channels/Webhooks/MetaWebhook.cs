using Switchboard.Channels.Meta;

namespace Switchboard.Channels.Webhooks;

/// <summary>
/// <c>GET|POST /hooks/meta/{accountId}</c>: the callback URL of a Meta app subscribed to Page <c>feed</c> and
/// Instagram <c>comments</c>. Secrets: <c>app_secret</c> (X-Hub-Signature-256), <c>verify_token</c> (the GET
/// handshake), <c>page_token</c> (the Page access token, used to reply). Meta retries for about 36 hours; comment ids absorb repeats.
/// </summary>
internal static class MetaWebhook
{
    public const int MaxBodyBytes = 1024 * 1024;

    public static async Task<IResult> VerifyAsync(long accountId, HttpRequest request, WebhookDeliveries deliveries, CancellationToken ct)
    {
        var (account, refusal) = await deliveries.AccountAsync(accountId, "meta", ct);
        if (account is null)
            return refusal!;
        var q = request.Query;
        var challenge = WebhookHandshakes.MetaChallenge(q["hub.mode"], q["hub.verify_token"], q["hub.challenge"], account.Secret("verify_token"));
        return challenge is null
            ? TypedResults.Problem("hub.verify_token does not match the account's verify_token (or the request is not a subscription)", statusCode: StatusCodes.Status403Forbidden)
            : TypedResults.Text(challenge, "text/plain");
    }

    public static async Task<IResult> HandleAsync(long accountId, HttpRequest request, WebhookDeliveries deliveries, CancellationToken ct)
    {
        var (account, refusal) = await deliveries.AccountAsync(accountId, "meta", ct);
        if (account is null)
            return refusal!;
        var (body, tooLarge) = await WebhookDeliveries.ReadBodyAsync(request, MaxBodyBytes, ct);
        if (body is null)
            return tooLarge!;
        var check = HubSignature.Verify(body, request.Headers[HubSignature.Header], account.Secret("app_secret"));
        if (!check.IsValid)
            return deliveries.Refuse(account, check);
        if (deliveries.RefuseUnlessUtf8(account, body) is { } notUtf8)
            return notUtf8;
        var (comments, error) = MetaWebhookEvents.Read(body);
        if (error is not null)
            return deliveries.BadRequest(account, error);
        return comments.Count == 0
            ? await deliveries.AcknowledgeAsync(account, "no new comments in this delivery", ct)
            : await deliveries.DeliverAsync(account, [.. comments.Select(c => c.Post)], request.HttpContext.Response, ct);
    }
}
