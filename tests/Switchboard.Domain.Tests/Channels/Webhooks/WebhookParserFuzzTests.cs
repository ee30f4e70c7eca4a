using System.Diagnostics;
using System.Globalization;
using System.Text;
using Switchboard.Channels.Meta;
using Switchboard.Channels.Slack;
using Switchboard.Posts;
using Xunit;
using Xunit.Abstractions;

namespace Switchboard.Tests.Channels.Webhooks;

/// <summary>
/// The webhook body parsers, fuzzed in-process where a case costs microseconds instead of an HTTP round trip: Slack's
/// <see cref="SlackEvents"/>, Meta's <see cref="MetaWebhookEvents"/>, and the generic webhook's strict UTF-8 decode
/// followed by <see cref="PostFiles.ReadJsonl"/>. Their contract is that a bad body is a value (an ignored reason,
/// an error, a record with an error), never an exception; the only exception allowed is the strict decoder's
/// <see cref="DecoderFallbackException"/>, which the generic endpoint catches. Every post they return must survive
/// <see cref="Post.Storable"/>, which the ingest path runs before writing.
/// </summary>
public sealed class WebhookParserFuzzTests(ITestOutputHelper output)
{
    private const string SeedVariable = "SWITCHBOARD_WEBHOOK_FUZZ_SEED";
    private const int Cases = 30_000;

    /// <summary>The largest huge-string body in-process: small enough to keep 30,000 cases fast
    /// (the 4 MiB+ bodies are regression files, and the HTTP fuzz sends bodies past each endpoint's limit).</summary>
    private const int MaxHuge = 128 * 1024;

    /// <summary>Null when the body was handled within the contract, else what went wrong.</summary>
    internal static string? Violation(WebhookProvider provider, byte[] body)
    {
        try
        {
            switch (provider)
            {
                case WebhookProvider.Slack:
                    var delivery = SlackEvents.Read(body);
                    if (delivery.Post is null && delivery.Challenge is null && delivery.Ignored is null && delivery.Invalid is null)
                        return "Slack: neither a post, a challenge nor a reason";
                    if (delivery.Invalid is not null && (delivery.Post is not null || delivery.Challenge is not null))
                        return "Slack: both invalid and a post or challenge";
                    delivery.Post?.Storable();
                    break;
                case WebhookProvider.Meta:
                    var (comments, error) = MetaWebhookEvents.Read(body);
                    if (error is not null && comments.Count > 0)
                        return "Meta: both comments and an error";
                    foreach (var c in comments)
                        c.Post.Storable();
                    break;
                default:
                    string text;
                    try
                    {
                        text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(body);
                    }
                    catch (DecoderFallbackException)
                    {
                        return null; // the generic endpoint answers 400 "not valid UTF-8"
                    }
                    foreach (var record in PostFiles.ReadJsonl(new StringReader(text)))
                    {
                        if ((record.Post is null) == (record.Error is null))
                            return $"generic: line {record.Line} has {(record.Post is null ? "neither a post nor an error" : "both a post and an error")}";
                        record.Post?.Storable();
                    }
                    break;
            }
            return null;
        }
        catch (Exception ex)
        {
            return $"{provider}: {ex.GetType().Name}: {ex.Message}\n{ex.StackTrace}";
        }
    }

    [Fact]
    public void Mutated_bodies_are_answered_with_a_value_never_an_exception()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable(SeedVariable), NumberStyles.Integer, CultureInfo.InvariantCulture, out var s)
            ? s
            : Environment.TickCount;
        output.WriteLine($"seed {seed} (replay with {SeedVariable}={seed})");
        var watch = Stopwatch.StartNew();
        var failures = new List<string>();
        var kinds = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var n = 0; n < Cases && failures.Count < 5; n++)
        {
            var provider = (WebhookProvider)(n % 3);
            var fuzz = WebhookMutator.Make(provider, n, WebhookMutator.CaseRandom(seed, n), MaxHuge);
            var kind = fuzz.Kind.StartsWith("stacked", StringComparison.Ordinal) ? "stacked" : fuzz.Kind;
            kinds[kind] = kinds.GetValueOrDefault(kind) + 1;
            if (Violation(provider, fuzz.Body) is { } violation)
            {
                var saved = WebhookRegressions.Save(provider, "parser", seed, n, fuzz.Body);
                failures.Add($"case {n} ({fuzz.Kind}), kept as {saved}: {violation}\nbody: {WebhookRegressions.Preview(fuzz.Body)}");
            }
        }
        output.WriteLine($"{Cases} cases in {watch.Elapsed.TotalSeconds:0.0} s: " + string.Join(", ", kinds.OrderBy(k => k.Key, StringComparer.Ordinal).Select(k => $"{k.Key} {k.Value}")));
        Assert.True(failures.Count == 0, $"seed {seed} ({SeedVariable}={seed} replays it):\n" + string.Join("\n\n", failures));
        Assert.All(WebhookMutator.Kinds, k => Assert.True(kinds.GetValueOrDefault(k) > Cases / 20, $"too few '{k}' cases"));
    }

    public static TheoryData<string> Regressions()
    {
        var data = new TheoryData<string>();
        foreach (var r in WebhookRegressions.All())
            data.Add(r.Name);
        return data;
    }

    [Theory]
    [MemberData(nameof(Regressions))]
    public void Regression_bodies_are_answered_with_a_value_never_an_exception(string name)
    {
        var r = WebhookRegressions.Load(Path.Combine(WebhookRegressions.Directory, name));
        Assert.Null(Violation(r.Provider, r.Body));
    }

    [Fact]
    public void The_regression_folder_holds_the_hand_made_hostile_cases()
    {
        var names = WebhookRegressions.All().Select(r => r.Name).ToList();
        foreach (var provider in new[] { "slack", "meta", "generic" })
        {
            foreach (var what in new[] { "depth-past-limit", "1e999", "duplicate-keys", "invalid-utf8", "bom", "nul" })
                Assert.Contains($"{provider}-{what}.body", names);
        }
        Assert.Contains(names, n => n.Contains("huge-string", StringComparison.Ordinal) && n.EndsWith(".gz", StringComparison.Ordinal));
        Assert.True(WebhookRegressions.All().Any(r => r.Body.Length > 4 * 1024 * 1024), "a body past 4 MiB");
    }
}
