using System.Globalization;
using Switchboard.Channels.Webhooks;
using Switchboard.Tests.Channels.Webhooks;

namespace Switchboard.Tests.Channels;

/// <summary>Signs a webhook request byte for byte as its provider does, so a test's body is refused only for its content.</summary>
internal static class WebhookSigning
{
    /// <summary>The current time as the providers' signed timestamp (Unix seconds).</summary>
    public static string Now() => DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);

    /// <summary>The content type each provider sends: JSON Lines for the generic webhook, JSON otherwise.</summary>
    public static string ContentType(WebhookProvider provider) => provider == WebhookProvider.Generic ? "application/x-ndjson" : "application/json";

    public static void Sign(HttpRequestMessage request, WebhookProvider provider, string secret, string ts, byte[] body)
    {
        switch (provider)
        {
            case WebhookProvider.Slack:
                request.Headers.TryAddWithoutValidation(SlackSignature.TimestampHeader, ts);
                request.Headers.TryAddWithoutValidation(SlackSignature.SignatureHeader, SlackSignature.Sign(secret, ts, body));
                break;
            case WebhookProvider.Meta:
                request.Headers.TryAddWithoutValidation(HubSignature.Header, HubSignature.Sign(secret, body));
                break;
            default:
                request.Headers.TryAddWithoutValidation(GenericSignature.TimestampHeader, ts);
                request.Headers.TryAddWithoutValidation(GenericSignature.SignatureHeader, GenericSignature.Sign(secret, ts, body));
                break;
        }
    }
}
