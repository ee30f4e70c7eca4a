using System.Security.Cryptography;
using System.Text;

namespace Switchboard.Channels.Webhooks;

internal enum SignatureVerdict
{
    Valid,
    /// <summary>No secret configured: everything is refused rather than accepted unsigned.</summary>
    NoSecret,
    MissingSignature,
    /// <summary>Wrong prefix, wrong length, uppercase or non-hex digits.</summary>
    MalformedSignature,
    MissingTimestamp,
    MalformedTimestamp,
    /// <summary>Outside the replay window, in the past or in the future.</summary>
    StaleTimestamp,
    Mismatch,
}

/// <summary>The outcome of a webhook signature check. Only <see cref="SignatureVerdict.Valid"/> may be parsed, stored or queued.</summary>
internal readonly record struct SignatureCheck(SignatureVerdict Verdict)
{
    public bool IsValid => Verdict == SignatureVerdict.Valid;

    public string Reason => Verdict switch
    {
        SignatureVerdict.Valid => "valid",
        SignatureVerdict.NoSecret => "no signing secret is configured for this endpoint",
        SignatureVerdict.MissingSignature => "the signature header is missing",
        SignatureVerdict.MalformedSignature => "the signature header is malformed",
        SignatureVerdict.MissingTimestamp => "the timestamp header is missing",
        SignatureVerdict.MalformedTimestamp => "the timestamp header is not a Unix time in seconds",
        SignatureVerdict.StaleTimestamp => "the request timestamp is outside the replay window",
        _ => "the signature does not match the body",
    };

    public static implicit operator SignatureCheck(SignatureVerdict verdict) => new(verdict);
}

/// <summary>Shared HMAC-SHA256 mechanics: strict lowercase-hex parsing and a fixed-time comparison.</summary>
internal static class Hmac
{
    public const int HexLength = 64;

    public static byte[] Compute(string secret, ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> body)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(secret));
        hmac.AppendData(prefix);
        hmac.AppendData(body);
        return hmac.GetHashAndReset();
    }

    /// <summary>Parses exactly 64 lowercase hex digits (what every provider sends); anything else is malformed, not "close enough".</summary>
    public static bool TryParseLowerHex(ReadOnlySpan<char> hex, Span<byte> destination)
    {
        if (hex.Length != HexLength || destination.Length != HexLength / 2)
            return false;
        for (int i = 0; i < destination.Length; i++)
        {
            int hi = Digit(hex[2 * i]), lo = Digit(hex[(2 * i) + 1]);
            if (hi < 0 || lo < 0)
                return false;
            destination[i] = (byte)((hi << 4) | lo);
        }
        return true;
    }

    private static int Digit(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        _ => -1,
    };

    /// <summary>Checks "<paramref name="scheme"/>" + 64 lowercase hex against the expected MAC in constant time.</summary>
    public static SignatureVerdict Match(string? header, string scheme, byte[] expected)
    {
        if (string.IsNullOrEmpty(header))
            return SignatureVerdict.MissingSignature;
        if (!header.StartsWith(scheme, StringComparison.Ordinal))
            return SignatureVerdict.MalformedSignature;
        Span<byte> given = stackalloc byte[HexLength / 2];
        if (!TryParseLowerHex(header.AsSpan(scheme.Length), given))
            return SignatureVerdict.MalformedSignature;
        return CryptographicOperations.FixedTimeEquals(given, expected) ? SignatureVerdict.Valid : SignatureVerdict.Mismatch;
    }

    /// <summary>Unix seconds, digits only (no sign, no fraction, no whitespace), at most 12 digits.</summary>
    public static bool TryParseUnixSeconds(string? text, out long seconds)
    {
        seconds = 0;
        if (string.IsNullOrEmpty(text) || text.Length > 12)
            return false;
        foreach (var c in text)
        {
            if (c is < '0' or > '9')
                return false;
            seconds = (seconds * 10) + (c - '0');
        }
        return true;
    }

    /// <summary>
    /// The shared check of the timestamped schemes (Slack v0 and our generic one): secret, signature and timestamp
    /// present, timestamp inside the window, then HMAC(secret, signedPrefix + body) compared in constant time.
    /// </summary>
    public static SignatureCheck VerifyTimestamped(ReadOnlySpan<byte> body, string? timestamp, string? signature, string? secret,
        DateTimeOffset now, TimeSpan window, string scheme, Func<string, string> signedPrefix)
    {
        if (string.IsNullOrEmpty(secret))
            return SignatureVerdict.NoSecret;
        if (string.IsNullOrEmpty(signature))
            return SignatureVerdict.MissingSignature;
        if (string.IsNullOrEmpty(timestamp))
            return SignatureVerdict.MissingTimestamp;
        if (!TryParseUnixSeconds(timestamp, out var seconds))
            return SignatureVerdict.MalformedTimestamp;
        if (!WithinWindow(seconds, now, window))
            return SignatureVerdict.StaleTimestamp;
        return Match(signature, scheme, Compute(secret, System.Text.Encoding.UTF8.GetBytes(signedPrefix(timestamp)), body));
    }

    public static bool WithinWindow(long unixSeconds, DateTimeOffset now, TimeSpan window) =>
        Math.Abs(now.ToUnixTimeSeconds() - unixSeconds) <= (long)window.TotalSeconds;
}
