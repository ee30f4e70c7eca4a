using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Switchboard.Channels.Bluesky;

namespace Switchboard.Bench.Channels;

/// <summary>
/// Jetstream parse-and-filter throughput on one core: the real fixture events (../shared/fixtures/jetstream) parsed
/// over and over by <see cref="JetstreamParser"/>, against a baseline that does the same filtering with JsonDocument.
/// Target: ≥ 50,000 events/s (the whole Bluesky firehose is about 2,000/s).
/// Usage: -- jetstream [seconds per measurement, default 3]
/// </summary>
internal static class JetstreamHarness
{
    public static int Run(string[] args)
    {
        var seconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 3;
        var path = FindFixture();
        if (path is null)
        {
            Console.Error.WriteLine("jetstream: ../shared/fixtures/jetstream/corpus_v1.jsonl not found beside the repository; skipped");
            return 2;
        }
        var lines = File.ReadAllLines(path).Where(l => l.Trim().Length > 0).Select(Encoding.UTF8.GetBytes).ToArray();
        Console.WriteLine($"{lines.Length} fixture events, {lines.Sum(l => l.Length) / lines.Length} bytes on average; {seconds:0.#} s per measurement, one thread");

        Measure("warm-up", lines, 0.5, Fast);
        var baseline = Measure("baseline: JsonDocument", lines, seconds, Baseline);
        var fast = Measure("JetstreamParser (Utf8JsonReader)", lines, seconds, Fast);
        Console.WriteLine($"ratio: {fast / baseline:0.00}x the baseline; target 50,000 events/s: {(fast >= 50_000 ? "met" : "NOT met")}");
        return fast >= 50_000 ? 0 : 1;
    }

    private static int Fast(byte[] line)
    {
        var result = JetstreamParser.Parse(line);
        return result.Event?.Post is not null ? 1 : 0;
    }

    // The straightforward way: parse the whole event into a DOM, then filter and extract the post fields.
    private static int Baseline(byte[] line)
    {
        using var doc = JsonDocument.Parse(line);
        var root = doc.RootElement;
        if (root.GetProperty("kind").GetString() != "commit")
            return 0;
        var commit = root.GetProperty("commit");
        if (commit.GetProperty("collection").GetString() != "app.bsky.feed.post" || !commit.TryGetProperty("record", out var record))
            return 0;
        _ = record.GetProperty("text").GetString();
        _ = record.GetProperty("createdAt").GetString();
        return 1;
    }

    private static double Measure(string name, byte[][] lines, double seconds, Func<byte[], int> parse)
    {
        long events = 0, posts = 0;
        var sw = Stopwatch.StartNew();
        var budget = TimeSpan.FromSeconds(seconds);
        while (sw.Elapsed < budget)
        {
            foreach (var line in lines)
                posts += parse(line);
            events += lines.Length;
        }
        sw.Stop();
        var rate = events / sw.Elapsed.TotalSeconds;
        if (name != "warm-up")
            Console.WriteLine($"{name,-36} {rate,12:N0} events/s  ({events:N0} events, {posts:N0} posts, {sw.Elapsed.TotalSeconds:0.00} s)");
        return rate;
    }

    private static string? FindFixture()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "..", "shared", "fixtures", "jetstream", "corpus_v1.jsonl");
            if (File.Exists(candidate))
                return Path.GetFullPath(candidate);
        }
        return null;
    }
}
