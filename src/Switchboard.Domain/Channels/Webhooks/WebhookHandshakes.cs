using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Switchboard.Channels.Webhooks;

/// <summary>The subscription handshakes providers perform before sending events.</summary>
internal static class WebhookHandshakes
{
    /// <summary>
    /// Meta's GET verification: <c>hub.mode=subscribe&amp;hub.verify_token=…&amp;hub.challenge=…</c>. Returns the challenge to
    /// echo (200, text/plain) when the token matches the configured one, else null (answer 403). An unset token refuses.
    /// </summary>
    public static string? MetaChallenge(string? mode, string? verifyToken, string? challenge, string? configuredToken)
    {
        if (string.IsNullOrEmpty(configuredToken) || mode != "subscribe" || string.IsNullOrEmpty(challenge) || verifyToken is null)
            return null;
        var matches = CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(verifyToken), Encoding.UTF8.GetBytes(configuredToken));
        // The challenge is echoed into a response body: only accept the digits Meta sends, never markup.
        return matches && challenge.Length <= 128 && challenge.All(char.IsAsciiLetterOrDigit) ? challenge : null;
    }

    /// <summary>
    /// Slack's <c>{"type":"url_verification","challenge":"…"}</c>, sent signed like every event: call only after
    /// <see cref="SlackSignature.Verify"/> succeeded. Returns the challenge, or null when the body is another event or not JSON.
    /// </summary>
    public static string? SlackUrlVerification(ReadOnlySpan<byte> body) =>
        WebhookJson.Read(body, root =>
            root.ValueKind == JsonValueKind.Object
            && root.TryGetProperty("type", out var type) && type.ValueEquals("url_verification")
            && root.TryGetProperty("challenge", out var challenge) && challenge.ValueKind == JsonValueKind.String
                ? challenge.GetString()
                : null, _ => null, maxDepth: 16);
}
