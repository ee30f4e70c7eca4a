using System.Text;

namespace Switchboard.Channels.Webhooks;

/// <summary>
/// Slack request signing (v0): <c>X-Slack-Signature: v0=hex(HMAC-SHA256(secret, "v0:" + X-Slack-Request-Timestamp + ":" + raw body))</c>,
/// refused when the timestamp is more than five minutes away from now in either direction (replay protection).
/// Verify on the raw bytes before any parsing; the clock comes from the caller's <see cref="TimeProvider"/>.
/// </summary>
internal static class SlackSignature
{
    public const string SignatureHeader = "X-Slack-Signature";
    public const string TimestampHeader = "X-Slack-Request-Timestamp";
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(5);

    public static SignatureCheck Verify(ReadOnlySpan<byte> body, string? timestamp, string? signature, string? signingSecret, DateTimeOffset now) =>
        Hmac.VerifyTimestamped(body, timestamp, signature, signingSecret, now, Window, "v0=", ts => "v0:" + ts + ":");

    public static string Sign(string signingSecret, string timestamp, ReadOnlySpan<byte> body) =>
        "v0=" + Convert.ToHexStringLower(Mac(signingSecret, timestamp, body));

    private static byte[] Mac(string secret, string timestamp, ReadOnlySpan<byte> body) =>
        Hmac.Compute(secret, Encoding.UTF8.GetBytes("v0:" + timestamp + ":"), body);
}
