using Switchboard.Channels.Connectors;
using Xunit;

namespace Switchboard.Domain.Tests.Channels.Connectors;

public class ConnectorHealthTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 22, 8, 0, 0, TimeSpan.Zero);

    private static HealthSnapshot Snapshot(DateTimeOffset? lastDelivery = null, int consecutive = 0, double rate = 0, long attempts = 10, TimeSpan? expected = null) =>
        new(T0, lastDelivery, consecutive, rate, attempts, expected, consecutive > 0 ? "HTTP 503" : null);

    [Fact]
    public void Silence_is_measured_from_the_last_delivery_or_from_the_start()
    {
        var hour = TimeSpan.FromHours(1);
        Assert.Equal(AlertKind.None, ConnectorHealth.Assess(Snapshot(expected: hour), T0 + TimeSpan.FromMinutes(59)).Kind);
        Assert.Equal(AlertKind.Silent, ConnectorHealth.Assess(Snapshot(expected: hour), T0 + TimeSpan.FromMinutes(61)).Kind);
        Assert.Equal(AlertKind.None, ConnectorHealth.Assess(Snapshot(T0 + hour, expected: hour), T0 + TimeSpan.FromMinutes(119)).Kind);
        var silent = ConnectorHealth.Assess(Snapshot(T0, expected: hour), T0 + TimeSpan.FromHours(3));
        Assert.Equal(AlertKind.Silent, silent.Kind);
        Assert.Contains("no delivery for 3 h", silent.Reason, StringComparison.Ordinal);
        // No expected interval: a quiet source is not an outage.
        Assert.Equal(AlertKind.None, ConnectorHealth.Assess(Snapshot(), T0 + TimeSpan.FromDays(30)).Kind);
    }

    [Fact]
    public void Failing_wins_over_silence_and_needs_errors_in_a_row_or_a_high_rate_after_enough_attempts()
    {
        Assert.Equal(AlertKind.Failing, ConnectorHealth.Assess(Snapshot(consecutive: 3, expected: TimeSpan.FromMinutes(1)), T0 + TimeSpan.FromHours(1)).Kind);
        Assert.Equal(AlertKind.None, ConnectorHealth.Assess(Snapshot(consecutive: 2), T0).Kind);
        Assert.Equal(AlertKind.Failing, ConnectorHealth.Assess(Snapshot(rate: 0.6, attempts: 5), T0).Kind);
        Assert.Equal(AlertKind.None, ConnectorHealth.Assess(Snapshot(rate: 0.6, attempts: 4), T0).Kind);
    }

    [Fact]
    public void The_error_rate_rises_with_failures_and_decays_with_successes()
    {
        var rate = 0.0;
        for (var i = 0; i < 5; i++)
            rate = ConnectorHealth.NextErrorRate(rate, failed: true);
        Assert.InRange(rate, 0.6, 0.7);
        for (var i = 0; i < 10; i++)
            rate = ConnectorHealth.NextErrorRate(rate, failed: false);
        Assert.True(rate < 0.1);
    }

    [Theory]
    [InlineData("ok", "None", "None")]
    [InlineData("ok", "Silent", "Raise")]
    [InlineData("silent", "Silent", "None")]
    [InlineData("silent", "None", "Clear")]
    [InlineData("silent", "Failing", "Replace")]
    [InlineData("failing", "Failing", "None")]
    [InlineData("unknown-state", "Failing", "Raise")]
    public void One_alert_per_episode(string stored, string verdict, string expected) =>
        Assert.Equal(Enum.Parse<AlertTransition>(expected), ConnectorHealth.Transition(stored, Enum.Parse<AlertKind>(verdict)));
}

public class ChannelAccountRulesTests
{
    private static IReadOnlyList<string> Validate(string kind, Dictionary<string, string> settings, Dictionary<string, string>? secrets = null, long? interval = null, string name = "n") =>
        ChannelAccountRules.Validate(kind, name, settings, secrets ?? [], interval);

    [Fact]
    public void Valid_accounts_of_each_connector_kind()
    {
        Assert.Empty(Validate("rss", new() { ["url"] = "https://blog.example/feed", ["poll_interval_seconds"] = "600", ["comment_feeds"] = "false" }));
        Assert.Empty(Validate("mastodon", new() { ["instance"] = "https://m.example", ["timelines"] = "notifications, tag/acme_2, public:local" }, new() { ["access_token"] = "t" }));
        Assert.Empty(Validate("bluesky-jetstream", new() { ["endpoint"] = "wss://jetstream.example/subscribe", ["dids"] = "did:plc:abc, did:web:x.example" }));
    }

    [Theory]
    [InlineData("rss", "url", "javascript:alert(1)", "url must be an absolute")]
    [InlineData("rss", "url", "https://user:pw@blog.example/feed", "credentials")]
    [InlineData("rss", "poll_interval_seconds", "-5", "poll_interval_seconds must be")]
    [InlineData("rss", "comment_feeds", "maybe", "true or false")]
    [InlineData("bluesky-jetstream", "endpoint", "https://jetstream.example", "endpoint must be an absolute")]
    [InlineData("bluesky-jetstream", "dids", "alice.bsky.social", "is not a DID")]
    public void Bad_settings_are_named(string kind, string key, string value, string expected)
    {
        var settings = kind == "rss" ? new Dictionary<string, string> { ["url"] = "https://ok.example/feed" } : new() { ["endpoint"] = "wss://ok.example" };
        settings[key] = value;
        Assert.Contains(Validate(kind, settings), e => e.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Secrets_go_under_secrets_and_required_ones_may_already_be_stored()
    {
        Assert.Contains(Validate("mastodon", new() { ["instance"] = "https://m.example", ["access_token"] = "t" }), e => e.Contains("put it under secrets", StringComparison.Ordinal));
        Assert.Contains(Validate("mastodon", new() { ["instance"] = "https://m.example" }), e => e.Contains("access_token is required", StringComparison.Ordinal));
        Assert.Empty(ChannelAccountRules.Validate("mastodon", "n", new Dictionary<string, string> { ["instance"] = "https://m.example" }, new Dictionary<string, string>(), null, ["access_token"]));
        Assert.Contains(Validate("mastodon", new() { ["instance"] = "https://m.example", ["timelines"] = "home" }, new() { ["access_token"] = "t" }), e => e.Contains("unknown timeline", StringComparison.Ordinal));
        Assert.Contains(Validate("mastodon", new() { ["instance"] = "https://m.example", ["transport"] = "carrier-pigeon" }, new() { ["access_token"] = "t" }), e => e.Contains("transport must be sse or websocket", StringComparison.Ordinal));
        Assert.Empty(Validate("mastodon", new() { ["instance"] = "https://m.example", ["transport"] = "websocket" }, new() { ["access_token"] = "t" }));
        Assert.Contains(Validate("rss", new() { ["url"] = "https://x.example" }, interval: 10), e => e.Contains("expected interval", StringComparison.Ordinal));
        Assert.Contains(Validate("rss", new() { ["url"] = "https://x.example" }, name: new string('n', 101)), e => e.Contains("longer than 100", StringComparison.Ordinal));
    }

    [Fact]
    public void Keyword_filter_is_case_insensitive_and_empty_keeps_all()
    {
        Assert.True(KeywordFilter.Keeps("Loving my new ACME phone", ["acme"]));
        Assert.False(KeywordFilter.Keeps("nothing here", ["acme", "widget"]));
        Assert.True(KeywordFilter.Keeps("anything", []));
    }
}
