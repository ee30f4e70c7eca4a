namespace Switchboard.Channels.Webhooks;

/// <summary>
/// Meta (Facebook Pages, Instagram, WhatsApp) and GitHub: <c>X-Hub-Signature-256: sha256=hex(HMAC-SHA256(app secret, raw body))</c>.
/// These carry no timestamp, so replays are absorbed by idempotent storage (the event's own id is the natural key).
/// </summary>
internal static class HubSignature
{
    public const string Header = "X-Hub-Signature-256";

    public static SignatureCheck Verify(ReadOnlySpan<byte> body, string? signature, string? appSecret)
    {
        if (string.IsNullOrEmpty(appSecret))
            return SignatureVerdict.NoSecret;
        return Hmac.Match(signature, "sha256=", Hmac.Compute(appSecret, [], body));
    }

    public static string Sign(string appSecret, ReadOnlySpan<byte> body) => "sha256=" + Convert.ToHexStringLower(Hmac.Compute(appSecret, [], body));
}
