using System.Text.Json;
using Switchboard.Channels.Slack;

namespace Switchboard.Channels.Webhooks;

/// <summary>
/// <c>POST /hooks/slack/{accountId}</c>: the Slack Events API request URL. Account settings: <c>bot_user_id</c>
/// (optional; messages from it are ours and ignored). Secrets: <c>signing_secret</c> (verifies requests),
/// <c>bot_token</c> (used to reply). Slack retries a delivery not answered within 3 s (X-Slack-Retry-Num); the post
/// id "channel:ts" makes each retry a duplicate.
/// </summary>
internal static class SlackWebhook
{
    public const int MaxBodyBytes = 512 * 1024;

    public static async Task<IResult> HandleAsync(long accountId, HttpRequest request, WebhookDeliveries deliveries, CancellationToken ct)
    {
        var (account, refusal) = await deliveries.AccountAsync(accountId, "slack", ct);
        if (account is null)
            return refusal!;
        var (body, tooLarge) = await WebhookDeliveries.ReadBodyAsync(request, MaxBodyBytes, ct);
        if (body is null)
            return tooLarge!;
        var check = SlackSignature.Verify(body, request.Headers[SlackSignature.TimestampHeader], request.Headers[SlackSignature.SignatureHeader],
            account.Secret("signing_secret"), deliveries.Time.GetUtcNow());
        if (!check.IsValid)
            return deliveries.Refuse(account, check);
        if (deliveries.RefuseUnlessUtf8(account, body) is { } notUtf8)
            return notUtf8;
        if (!IsJsonObject(body))
            return deliveries.BadRequest(account, "the body is not a JSON object");

        var delivery = SlackEvents.Read(body);
        if (delivery.Invalid is { } invalid)
            return deliveries.BadRequest(account, invalid);
        if (delivery.Challenge is { } challenge)
            return TypedResults.Text(challenge, "text/plain");
        if (delivery.Post is not { } post)
            return await deliveries.AcknowledgeAsync(account, delivery.Ignored ?? "nothing to store", ct);
        if (account.Setting("bot_user_id") is { Length: > 0 } own && post.Author?.Id == own)
            return await deliveries.AcknowledgeAsync(account, "message from our own bot user", ct);
        return await deliveries.DeliverAsync(account, [post], request.HttpContext.Response, ct);
    }

    internal static bool IsJsonObject(byte[] body)
    {
        try
        {
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 32 });
            using var document = JsonDocument.ParseValue(ref reader);
            return document.RootElement.ValueKind == JsonValueKind.Object;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
