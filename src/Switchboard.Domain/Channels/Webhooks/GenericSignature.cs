using System.Text;

namespace Switchboard.Channels.Webhooks;

/// <summary>
/// Switchboard's generic signed webhook for sources without their own scheme:
/// <c>X-Switchboard-Timestamp: unix seconds</c> and
/// <c>X-Switchboard-Signature: sha256=hex(HMAC-SHA256(secret, timestamp + "." + raw body))</c>.
/// Signing the timestamp with the body gives the replay window that the Meta/GitHub scheme lacks.
/// A sender computes it with e.g. <c>printf '%s.%s' "$ts" "$body" | openssl dgst -sha256 -hmac "$secret"</c>.
/// </summary>
internal static class GenericSignature
{
    public const string SignatureHeader = "X-Switchboard-Signature";
    public const string TimestampHeader = "X-Switchboard-Timestamp";
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(5);

    public static SignatureCheck Verify(ReadOnlySpan<byte> body, string? timestamp, string? signature, string? secret, DateTimeOffset now) =>
        Hmac.VerifyTimestamped(body, timestamp, signature, secret, now, Window, "sha256=", ts => ts + ".");

    public static string Sign(string secret, string timestamp, ReadOnlySpan<byte> body) =>
        "sha256=" + Convert.ToHexStringLower(Hmac.Compute(secret, Encoding.UTF8.GetBytes(timestamp + "."), body));
}
