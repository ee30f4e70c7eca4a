using System.Text;
using Switchboard.Channels.Webhooks;
using Xunit;

namespace Switchboard.Tests.Channels.Webhooks;

public class WebhookSignatureTests
{
    // Known-answer vectors from Slack's and GitHub's documentation (../shared/docs/reliability.md).
    private const string SlackSecret = "8f742231b10e8888abcd99yyyzzz85a5";
    private const string SlackTimestamp = "1531420618";
    private const string SlackBody = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    private const string SlackExpected = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
    private static readonly DateTimeOffset SlackNow = DateTimeOffset.FromUnixTimeSeconds(1531420618 + 30);

    private const string GitHubSecret = "It's a Secret to Everybody";
    private const string GitHubBody = "Hello, World!";
    private const string GitHubExpected = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

    [Fact]
    public void Slack_documented_example_signs_and_verifies()
    {
        Assert.Equal(SlackExpected, SlackSignature.Sign(SlackSecret, SlackTimestamp, Encoding.UTF8.GetBytes(SlackBody)));
        var check = SlackSignature.Verify(Encoding.UTF8.GetBytes(SlackBody), SlackTimestamp, SlackExpected, SlackSecret, SlackNow);
        Assert.True(check.IsValid, check.Reason);
    }

    [Fact]
    public void GitHub_documented_example_signs_and_verifies()
    {
        Assert.Equal(GitHubExpected, HubSignature.Sign(GitHubSecret, Encoding.UTF8.GetBytes(GitHubBody)));
        Assert.True(HubSignature.Verify(Encoding.UTF8.GetBytes(GitHubBody), GitHubExpected, GitHubSecret).IsValid);
    }

    [Fact]
    public void Slack_window_edges_are_five_minutes_both_ways()
    {
        var body = Encoding.UTF8.GetBytes(SlackBody);
        var ts = long.Parse(SlackTimestamp, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(SlackSignature.Verify(body, SlackTimestamp, SlackExpected, SlackSecret, DateTimeOffset.FromUnixTimeSeconds(ts + 300)).IsValid);
        Assert.True(SlackSignature.Verify(body, SlackTimestamp, SlackExpected, SlackSecret, DateTimeOffset.FromUnixTimeSeconds(ts - 300)).IsValid);
        Assert.Equal(SignatureVerdict.StaleTimestamp, SlackSignature.Verify(body, SlackTimestamp, SlackExpected, SlackSecret, DateTimeOffset.FromUnixTimeSeconds(ts + 301)).Verdict);
        Assert.Equal(SignatureVerdict.StaleTimestamp, SlackSignature.Verify(body, SlackTimestamp, SlackExpected, SlackSecret, DateTimeOffset.FromUnixTimeSeconds(ts - 301)).Verdict);
    }

    public sealed record Case(string Name, string Body, string? Timestamp, string? Signature, string? Secret, DateTimeOffset Now)
    {
        public override string ToString() => Name;
    }

    /// <summary>Mutations every provider must refuse: each starts from a valid request and breaks one thing.</summary>
    private static IEnumerable<(string Name, string Body, string? Ts, string? Sig, string? Secret, long NowDelta)> Mutations(
        string body, string ts, string sig, string secret, string scheme)
    {
        var hex = sig[scheme.Length..];
        yield return ("missing signature", body, ts, null, secret, 0);
        yield return ("empty signature", body, ts, "", secret, 0);
        yield return ("empty secret", body, ts, sig, "", 0);
        yield return ("null secret", body, ts, sig, null, 0);
        yield return ("wrong secret", body, ts, sig, secret + "x", 0);
        yield return ("secret with trailing space", body, ts, sig, secret + " ", 0);
        yield return ("wrong prefix sha1=", body, ts, "sha1=" + hex, secret, 0);
        yield return ("wrong prefix v1=", body, ts, "v1=" + hex, secret, 0);
        yield return ("prefix missing", body, ts, hex, secret, 0);
        yield return ("prefix uppercase", body, ts, scheme.ToUpperInvariant() + hex, secret, 0);
        yield return ("uppercase hex", body, ts, scheme + hex.ToUpperInvariant(), secret, 0);
        yield return ("truncated by one", body, ts, sig[..^1], secret, 0);
        yield return ("truncated to half", body, ts, scheme + hex[..32], secret, 0);
        yield return ("one extra digit", body, ts, sig + "0", secret, 0);
        yield return ("trailing space", body, ts, sig + " ", secret, 0);
        yield return ("leading space", body, ts, " " + sig, secret, 0);
        yield return ("base64 instead of hex", body, ts, scheme + Convert.ToBase64String(Convert.FromHexString(hex)), secret, 0);
        yield return ("last hex digit changed", body, ts, sig[..^1] + (sig[^1] == '0' ? '1' : '0'), secret, 0);
        yield return ("first hex digit changed", body, ts, scheme + (hex[0] == '0' ? '1' : '0') + hex[1..], secret, 0);
        yield return ("non-hex digit", body, ts, sig[..^1] + "g", secret, 0);
        yield return ("all zeros", body, ts, scheme + new string('0', 64), secret, 0);
        yield return ("two signatures", body, ts, sig + "," + sig, secret, 0);
        yield return ("body changed by one byte", body[..^1] + (char)(body[^1] ^ 1), ts, sig, secret, 0);
        yield return ("body with trailing newline", body + "\n", ts, sig, secret, 0);
        yield return ("body truncated", body[..^1], ts, sig, secret, 0);
        yield return ("empty body", "", ts, sig, secret, 0);
        yield return ("body re-serialized", Reserialize(body), ts, sig, secret, 0);
        yield return ("body with leading BOM", "\uFEFF" + body, ts, sig, secret, 0);
    }

    private static IEnumerable<(string, string, string?, string?, string?, long)> TimedMutations(string body, string ts, string sig, string secret)
    {
        yield return ("missing timestamp", body, null, sig, secret, 0);
        yield return ("stale timestamp (6 minutes)", body, ts, sig, secret, 360);
        yield return ("stale timestamp (1 day)", body, ts, sig, secret, 86_400);
        yield return ("future timestamp (6 minutes)", body, ts, sig, secret, -360);
        yield return ("timestamp changed by one second", body, (long.Parse(ts, System.Globalization.CultureInfo.InvariantCulture) + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), sig, secret, 0);
        yield return ("timestamp in milliseconds", body, ts + "000", sig, secret, 0);
        yield return ("timestamp with sign", body, "+" + ts, sig, secret, 0);
        yield return ("timestamp not a number", body, "yesterday", sig, secret, 0);
    }

    // A JSON-looking body parsed and written again differs in whitespace/escaping: the MAC must be over the raw bytes.
    private static string Reserialize(string body) => body.StartsWith('{')
        ? System.Text.Json.JsonSerializer.Serialize(System.Text.Json.JsonDocument.Parse(body).RootElement)
        : Uri.UnescapeDataString(body) is var decoded && decoded != body ? decoded : body.Replace(" ", "+", StringComparison.Ordinal);

    private const string JsonBody = "{\"object\": \"page\", \"entry\": [{\"id\": \"1\", \"changes\": [{\"field\": \"feed\", \"value\": {\"item\": \"comment\", \"message\": \"caf\\u00e9\"}}]}]}";

    public static TheoryData<Case> SlackNegatives()
    {
        var data = new TheoryData<Case>();
        foreach (var (name, body, ts, sig, secret, delta) in Mutations(SlackBody, SlackTimestamp, SlackExpected, SlackSecret, "v0=")
                     .Concat(TimedMutations(SlackBody, SlackTimestamp, SlackExpected, SlackSecret)))
            data.Add(new Case(name, body, ts, sig, secret, SlackNow.AddSeconds(delta)));
        return data;
    }

    public static TheoryData<Case> HubNegatives()
    {
        var data = new TheoryData<Case>();
        var sig = HubSignature.Sign("meta-app-secret", Encoding.UTF8.GetBytes(JsonBody));
        foreach (var (name, body, _, s, secret, _) in Mutations(JsonBody, "0", sig, "meta-app-secret", "sha256="))
            data.Add(new Case(name, body, null, s, secret, DateTimeOffset.UnixEpoch));
        foreach (var (name, body, _, s, secret, _) in Mutations(GitHubBody, "0", GitHubExpected, GitHubSecret, "sha256="))
            data.Add(new Case("github " + name, body, null, s, secret, DateTimeOffset.UnixEpoch));
        return data;
    }

    public static TheoryData<Case> GenericNegatives()
    {
        var data = new TheoryData<Case>();
        const string ts = "1700000000";
        var sig = GenericSignature.Sign("generic-secret", ts, Encoding.UTF8.GetBytes(JsonBody));
        var now = DateTimeOffset.FromUnixTimeSeconds(1700000000);
        foreach (var (name, body, t, s, secret, delta) in Mutations(JsonBody, ts, sig, "generic-secret", "sha256=")
                     .Concat(TimedMutations(JsonBody, ts, sig, "generic-secret")))
            data.Add(new Case(name, body, t, s, secret, now.AddSeconds(delta)));
        return data;
    }

    [Theory]
    [MemberData(nameof(SlackNegatives))]
    public void Slack_refuses(Case c)
    {
        var check = SlackSignature.Verify(Encoding.UTF8.GetBytes(c.Body), c.Timestamp, c.Signature, c.Secret, c.Now);
        Assert.False(check.IsValid, c.Name);
    }

    [Theory]
    [MemberData(nameof(HubNegatives))]
    public void Hub_signature_refuses(Case c) =>
        Assert.False(HubSignature.Verify(Encoding.UTF8.GetBytes(c.Body), c.Signature, c.Secret).IsValid, c.Name);

    [Theory]
    [MemberData(nameof(GenericNegatives))]
    public void Generic_signature_refuses(Case c) =>
        Assert.False(GenericSignature.Verify(Encoding.UTF8.GetBytes(c.Body), c.Timestamp, c.Signature, c.Secret, c.Now).IsValid, c.Name);

    [Fact]
    public void Negative_matrices_have_about_thirty_cases_each()
    {
        Assert.True(SlackNegatives().Count >= 30);
        Assert.True(GenericNegatives().Count >= 30);
        Assert.True(HubNegatives().Count >= 50);
    }

    [Fact]
    public void Generic_signature_round_trips_and_meta_challenge_requires_the_token()
    {
        var body = Encoding.UTF8.GetBytes(JsonBody);
        var now = DateTimeOffset.FromUnixTimeSeconds(1700000100);
        Assert.True(GenericSignature.Verify(body, "1700000000", GenericSignature.Sign("k", "1700000000", body), "k", now).IsValid);
        Assert.Equal("1158201444", WebhookHandshakes.MetaChallenge("subscribe", "tok", "1158201444", "tok"));
        Assert.Null(WebhookHandshakes.MetaChallenge("subscribe", "tok2", "1158201444", "tok"));
        Assert.Null(WebhookHandshakes.MetaChallenge("subscribe", "", "1158201444", ""));
        Assert.Null(WebhookHandshakes.MetaChallenge("subscribe", "tok", "<script>", "tok"));
        Assert.Equal("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P", WebhookHandshakes.SlackUrlVerification(
            Encoding.UTF8.GetBytes("{\"token\":\"Jhj5dZrVaK7ZwHHjRyZWjbDl\",\"challenge\":\"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P\",\"type\":\"url_verification\"}")));
        Assert.Null(WebhookHandshakes.SlackUrlVerification(Encoding.UTF8.GetBytes("{\"type\":\"event_callback\"")));
    }
}
