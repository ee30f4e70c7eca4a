using System.Globalization;

namespace Switchboard.Channels.Connectors;

/// <summary>A setting or secret a kind of account accepts, with what it is for (shown in the UI and the docs).</summary>
internal sealed record AccountField(string Key, string Label, bool Required = false, bool Secret = false, string? Hint = null);

/// <summary>
/// Which kinds of channel account exist and what each needs. Validation is pure so the API, the UI form and YAML
/// import give the same messages. Unknown keys are refused: a misspelt "url" must not silently do nothing.
/// </summary>
internal static class ChannelAccountRules
{
    public const string Rss = "rss";
    public const string Mastodon = "mastodon";
    public const string BlueskyJetstream = "bluesky-jetstream";

    /// <summary>Kinds with a long-running inbound connector; the webhook kinds are driven by their endpoints.</summary>
    public static readonly string[] ConnectorKinds = [Rss, Mastodon, BlueskyJetstream];
    public static readonly string[] WebhookKinds = ["slack", "meta", "generic"];

    public static IReadOnlyList<AccountField> Fields(string kind) => kind switch
    {
        Rss =>
        [
            new("url", "Feed URL", Required: true, Hint: "https://example.com/feed/ (RSS or Atom)"),
            new("poll_interval_seconds", "Polling interval (s)", Hint: "default 900; at least 60"),
            new("comment_feeds", "Poll comment feeds", Hint: "true (default) or false: wfw:commentRss feeds threaded under their article"),
            new("max_comment_feeds", "Comment feeds polled", Hint: "the newest N articles' comment feeds; default 20"),
        ],
        Mastodon =>
        [
            new("instance", "Instance URL", Required: true, Hint: "https://mastodon.social"),
            new("timelines", "Timelines", Hint: "comma-separated: notifications, tag/NAME, public, public:local; default notifications"),
            new("keywords", "Keywords", Hint: "comma-separated; public/tag statuses are kept only when one appears (empty keeps all)"),
            new("streaming", "Streaming", Hint: "true (default) or false (REST polling only)"),
            new("streaming_url", "Streaming URL", Hint: "only when the instance streams from another host"),
            new("transport", "Streaming transport", Hint: "sse (default) or websocket: one socket per timeline on /api/v1/streaming"),
            new("poll_interval_seconds", "REST polling interval (s)", Hint: "when streaming is off; default 60"),
            new("access_token", "Access token", Required: true, Secret: true, Hint: "read:notifications read:statuses (write:statuses for replies)"),
        ],
        BlueskyJetstream =>
        [
            new("endpoint", "Jetstream URL", Required: true, Hint: "wss://jetstream2.us-east.bsky.network/subscribe"),
            new("keywords", "Keywords", Hint: "comma-separated; posts are kept only when one appears (empty keeps all — the whole firehose!)"),
            new("dids", "Only these accounts (DIDs)", Hint: "comma-separated did:plc:…; sent to Jetstream as wantedDids"),
        ],
        "slack" => [new("team_id", "Workspace (team) id"), new("signing_secret", "Signing secret", Required: true, Secret: true), new("bot_token", "Bot token", Secret: true)],
        "meta" => [new("page_id", "Page id"), new("verify_token", "Verify token", Required: true, Secret: true), new("app_secret", "App secret", Required: true, Secret: true), new("page_token", "Page access token", Secret: true)],
        "generic" => [new("channel", "Channel name"), new("secret", "Signing secret", Required: true, Secret: true)],
        _ => [],
    };

    public static bool IsKnownKind(string kind) => ConnectorKinds.Contains(kind) || WebhookKinds.Contains(kind);

    /// <summary>
    /// Every problem with an account, in field order; empty when valid. <paramref name="secretsKnown"/> lists secrets
    /// already stored (an edit that leaves a secret field empty keeps it), so required secrets are checked against both.
    /// </summary>
    public static IReadOnlyList<string> Validate(string kind, string name, IReadOnlyDictionary<string, string> settings,
        IReadOnlyDictionary<string, string> secrets, long? expectedIntervalSeconds, IEnumerable<string>? secretsKnown = null)
    {
        var errors = new List<string>();
        if (!IsKnownKind(kind))
        {
            errors.Add($"unknown kind '{kind}': use one of {string.Join(", ", ConnectorKinds.Concat(WebhookKinds))}");
            return errors;
        }
        if (string.IsNullOrWhiteSpace(name))
            errors.Add("name is required");
        else if (name.Length > 100)
            errors.Add("name is longer than 100 characters");
        var fields = Fields(kind);
        foreach (var key in settings.Keys.Where(k => !fields.Any(f => f.Key == k && !f.Secret)))
            errors.Add(fields.Any(f => f.Key == key) ? $"'{key}' is a secret: put it under secrets" : $"unknown setting '{key}' for {kind} (known: {string.Join(", ", fields.Where(f => !f.Secret).Select(f => f.Key))})");
        foreach (var key in secrets.Keys.Where(k => !fields.Any(f => f.Key == k && f.Secret)))
            errors.Add($"unknown secret '{key}' for {kind}" + (fields.Any(f => f.Secret) ? $" (known: {string.Join(", ", fields.Where(f => f.Secret).Select(f => f.Key))})" : " (it takes none)"));
        var known = new HashSet<string>(secretsKnown ?? []);
        foreach (var f in fields.Where(f => f.Required))
        {
            var present = f.Secret
                ? (secrets.TryGetValue(f.Key, out var s) && !string.IsNullOrWhiteSpace(s)) || known.Contains(f.Key)
                : settings.TryGetValue(f.Key, out var v) && !string.IsNullOrWhiteSpace(v);
            if (!present)
                errors.Add($"{f.Key} is required for {kind}");
        }
        if (expectedIntervalSeconds is { } e && (e < 60 || e > 90L * 24 * 3600))
            errors.Add("expected interval must be between 60 seconds and 90 days");

        switch (kind)
        {
            case Rss:
                CheckUrl(settings, "url", ["http", "https"], errors);
                CheckInt(settings, "poll_interval_seconds", 60, 7 * 24 * 3600, errors);
                CheckBool(settings, "comment_feeds", errors);
                CheckInt(settings, "max_comment_feeds", 0, 200, errors);
                break;
            case Mastodon:
                CheckUrl(settings, "instance", ["https", "http"], errors);
                CheckUrl(settings, "streaming_url", ["https", "http"], errors);
                CheckBool(settings, "streaming", errors);
                if (settings.TryGetValue("transport", out var transport) && transport is not ("sse" or "websocket"))
                    errors.Add($"transport must be sse or websocket, not '{transport}'");
                CheckInt(settings, "poll_interval_seconds", 10, 24 * 3600, errors);
                foreach (var t in List(settings, "timelines"))
                {
                    if (!IsTimeline(t))
                        errors.Add($"unknown timeline '{t}': use notifications, tag/NAME, public or public:local");
                }
                break;
            case BlueskyJetstream:
                CheckUrl(settings, "endpoint", ["wss", "ws"], errors);
                foreach (var did in List(settings, "dids"))
                {
                    if (!did.StartsWith("did:", StringComparison.Ordinal) || did.Length > 200)
                        errors.Add($"'{did}' is not a DID (did:plc:… or did:web:…)");
                }
                break;
        }
        return errors;
    }

    public static bool IsTimeline(string t) =>
        t is "notifications" or "public" or "public:local" ||
        (t.StartsWith("tag/", StringComparison.Ordinal) && t.Length > 4 && t.Length <= 104 && t[4..].All(c => char.IsLetterOrDigit(c) || c == '_'));

    /// <summary>A comma-separated setting as trimmed, non-empty items.</summary>
    public static IReadOnlyList<string> List(IReadOnlyDictionary<string, string> settings, string key) =>
        settings.TryGetValue(key, out var v) ? [.. v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)] : [];

    public static int Int(IReadOnlyDictionary<string, string> settings, string key, int fallback) =>
        settings.TryGetValue(key, out var v) && int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : fallback;

    public static bool Bool(IReadOnlyDictionary<string, string> settings, string key, bool fallback) =>
        settings.TryGetValue(key, out var v) && bool.TryParse(v, out var b) ? b : fallback;

    private static void CheckUrl(IReadOnlyDictionary<string, string> settings, string key, string[] schemes, List<string> errors)
    {
        if (!settings.TryGetValue(key, out var v) || string.IsNullOrWhiteSpace(v))
            return;
        if (!Uri.TryCreate(v, UriKind.Absolute, out var url) || !schemes.Contains(url.Scheme))
            errors.Add($"{key} must be an absolute {string.Join(" or ", schemes)} URL");
        else if (url.UserInfo.Length > 0)
            errors.Add($"{key} must not carry credentials (put them under secrets)");
    }

    private static void CheckInt(IReadOnlyDictionary<string, string> settings, string key, int min, int max, List<string> errors)
    {
        if (settings.TryGetValue(key, out var v) && !string.IsNullOrWhiteSpace(v) &&
            (!int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) || n < min || n > max))
            errors.Add($"{key} must be a whole number from {min} to {max}");
    }

    private static void CheckBool(IReadOnlyDictionary<string, string> settings, string key, List<string> errors)
    {
        if (settings.TryGetValue(key, out var v) && !string.IsNullOrWhiteSpace(v) && !bool.TryParse(v, out _))
            errors.Add($"{key} must be true or false");
    }
}

/// <summary>Keyword filter for public listening: case-insensitive, any keyword anywhere in the text; no keywords keeps all.</summary>
internal static class KeywordFilter
{
    public static bool Keeps(string text, IReadOnlyList<string> keywords)
    {
        if (keywords.Count == 0)
            return true;
        foreach (var k in keywords)
        {
            if (text.Contains(k, StringComparison.OrdinalIgnoreCase))
                return true;
        }
        return false;
    }
}
