using System.Diagnostics;
using System.Globalization;
using Switchboard.Listening;
using Switchboard.Posts;

namespace Switchboard.Bench.Listening;

/// <summary>
/// <c>-- listening [--posts N] [--seed S]</c>: single-thread throughput of the listening matcher on real post texts
/// (airline and twcs, recombined to N posts), against generated realistic query sets of 1k/10k/100k queries and an
/// adversarial set leaning on common words; with the floor (tokenize + one dictionary lookup per token), the naive
/// baseline (every query evaluated on every post, on a sample, extrapolated), index build time and memory.
/// </summary>
internal static class ListeningHarness
{
    private static readonly string[] CommonWords = ["the", "my", "to", "flight", "i", "you", "a", "is", "for", "on", "and", "it", "in", "of", "your"];
    private static readonly string[] Complaints = ["broken", "delayed", "refund*", "cancel*", "lost", "crash*", "outage", "worst", "terrible", "scam"];
    private static readonly string[] Spam = ["giveaway", "promo", "bot", "crypto", "follow4follow"];
    private static readonly string[] Langs = ["en", "en", "en", "en", "en", "es", "fr", "de", "pt", "ja"];
    private static readonly string[] ChannelNames = ["x", "mastodon", "bluesky", "facebook", "instagram", "reddit"];

    public static int Run(string[] args)
    {
        var postCount = IntArg(args, "--posts", 250_000);
        var seed = IntArg(args, "--seed", 20261122);
        var shared = FindSharedData();
        if (shared is null)
        {
            Console.WriteLine("listening: ../shared/data not found beside the repository; skipping (the benchmark needs the airline and twcs texts).");
            return 0;
        }

        Console.WriteLine($"load average at start: {LoadAverage()}");
        Console.WriteLine($"listening benchmark: seed {seed}, {postCount:N0} posts, {Environment.ProcessorCount} cores visible, single thread, {RuntimeInfo()}");
        var sw = Stopwatch.StartNew();
        var texts = LoadTexts(shared);
        Console.WriteLine($"  {texts.Count:N0} source texts loaded in {sw.ElapsedMilliseconds} ms");
        var random = new Random(seed);
        var posts = Recombine(texts, postCount, random);
        var stats = CorpusStats.Of(texts);
        Console.WriteLine($"  {posts.Count:N0} posts, avg {posts.Average(p => p.Text.Length):F0} chars; {stats.Brands.Count} corpus brands, {stats.Medium.Count} medium words, {stats.Rare.Count} rare words");

        var generator = new QueryGenerator(stats, random);
        var sets = new List<(string Name, List<CompiledQuery> Queries)>
        {
            ("realistic 1k", generator.Realistic(1_000)),
            ("realistic 10k", generator.Realistic(10_000)),
            ("realistic 100k", generator.Realistic(100_000)),
            ("adversarial 10k", generator.Adversarial(10_000)),
        };

        // Floor: tokenizing plus one dictionary lookup per token, against the 10k set's vocabulary.
        var vocabulary = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var q in sets[1].Queries)
        {
            foreach (var word in q.Canonical.Split([':', ',', '(', ')', ' '], StringSplitOptions.RemoveEmptyEntries))
            {
                vocabulary.TryAdd(word, vocabulary.Count);
            }
        }

        if (args.Contains("--diag"))
        {
            var which = Math.Clamp(IntArg(args, "--diag-set", 1), 0, sets.Count - 1);
            Diagnose(posts, vocabulary, sets[which].Queries);
            return 0;
        }

        var built = sets.Select(set => Build(set.Name, set.Queries)).ToList();

        // The machine is shared and its load drifts, so the floor and every matcher run interleaved over the same
        // chunks of posts: each ratio compares times taken side by side.
        var (floor, rates, evaluations, matched) = Interleaved(posts, vocabulary, built.Select(b => b.Index).ToList());
        Console.WriteLine();
        Console.WriteLine($"  floor (tokenize + 1 lookup/token): {floor:N0} posts/s");
        var results = new List<Row>();
        for (var i = 0; i < built.Count; i++)
        {
            var b = built[i];
            var (naive, bad, sample) = Naive(b.Index, sets[i].Queries, posts);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {b.Name}: {rates[i]:N0} posts/s, {evaluations[i]:F1} queries evaluated/post, naive {naive:N0} posts/s on {sample} posts, build {b.BuildMs:N0} ms (parsing the same queries: {b.ParseMs:N0} ms), {b.BytesPerQuery:N0} B/query"));
            results.Add(new Row(b.Name, sets[i].Queries.Count, b.Index.DistinctCount, rates[i], naive, b.BuildMs, b.BytesPerQuery, matched[i], bad));
        }

        Console.WriteLine();
        Console.WriteLine("| query set | queries (distinct) | matcher posts/s | floor / matcher | naive posts/s | matcher / naive | build | index memory/query | matches/post |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var r in results)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Name} | {r.Queries:N0} ({r.Distinct:N0}) | {r.PostsPerSecond:N0} | {floor / r.PostsPerSecond:F2}x | {r.NaivePostsPerSecond:N0} | {r.PostsPerSecond / r.NaivePostsPerSecond:N0}x | {r.BuildMs:N0} ms | {r.BytesPerQuery:N0} B | {r.MatchesPerPost:F2} |"));
        }

        var realistic10k = results.Single(r => r.Name == "realistic 10k");
        var adversarial = results.Single(r => r.Name.StartsWith("adversarial", StringComparison.Ordinal));
        Console.WriteLine();
        Console.WriteLine($"  adversarial slowdown vs realistic 10k: {realistic10k.PostsPerSecond / adversarial.PostsPerSecond:F2}x");
        Console.WriteLine($"  load average at end: {LoadAverage()}");
        var mismatches = results.Sum(r => r.Mismatches);
        Console.WriteLine($"  matcher vs naive disagreements on the sampled posts: {mismatches}");
        return mismatches == 0 ? 0 : 1;
    }

    private sealed record Row(string Name, int Queries, int Distinct, double PostsPerSecond, double NaivePostsPerSecond,
        double BuildMs, double BytesPerQuery, double MatchesPerPost, int Mismatches);

    private sealed record Built(string Name, ListeningIndex Index, double BuildMs, double BytesPerQuery, double ParseMs);

    private static Built Build(string name, List<CompiledQuery> queries)
    {
        // Memory: the index alone (the parsed queries stay alive outside it, as they would in the host).
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var before = GC.GetTotalMemory(true);
        var sw = Stopwatch.StartNew();
        var index = new ListeningIndex();
        for (var i = 0; i < queries.Count; i++)
        {
            index.Upsert("q" + i.ToString(CultureInfo.InvariantCulture), queries[i]);
        }

        var buildMs = sw.Elapsed.TotalMilliseconds;
        var after = GC.GetTotalMemory(true);

        // Parsing the same queries, timed in the same run: a reference for the build time on a loaded machine.
        sw.Restart();
        foreach (var q in queries)
        {
            QueryParser.Parse(q.Source);
        }

        var parseMs = sw.Elapsed.TotalMilliseconds;
        return new Built(name, index, buildMs, (after - before) / (double)queries.Count, parseMs);
    }

    private static (double Floor, double[] Rates, double[] EvaluationsPerPost, double[] MatchesPerPost) Interleaved(
        List<Post> posts, Dictionary<string, int> vocabulary, List<ListeningIndex> indexes)
    {
        var lookup = vocabulary.GetAlternateLookup<ReadOnlySpan<char>>();
        var buffer = new TokenBuffer();
        var doc = new PostDocument();
        var results = new List<string>();

        // Warm-up: JIT, and the indexes' document-frequency estimates (they re-anchor on what they observe).
        foreach (var index in indexes)
        {
            for (var i = 0; i < Math.Min(30_000, posts.Count); i++)
            {
                doc.Load(posts[i]);
                results.Clear();
                index.Match(doc, results);
            }
        }

        const int Chunk = 2000;
        var floorTicks = 0L;
        var ticks = new long[indexes.Count];
        var matched = new long[indexes.Count];
        var evaluationsBefore = indexes.Select(x => x.Evaluations).ToArray();
        long found = 0;
        for (var start = 0; start < posts.Count; start += Chunk)
        {
            var end = Math.Min(posts.Count, start + Chunk);
            var t0 = Stopwatch.GetTimestamp();
            for (var i = start; i < end; i++)
            {
                Tokenizer.Tokenize(posts[i].Text, buffer);
                for (var p = 0; p < buffer.Count; p++)
                {
                    if (lookup.ContainsKey(buffer.Text(p)))
                    {
                        found++;
                    }
                }
            }

            floorTicks += Stopwatch.GetTimestamp() - t0;
            for (var x = 0; x < indexes.Count; x++)
            {
                var index = indexes[x];
                t0 = Stopwatch.GetTimestamp();
                for (var i = start; i < end; i++)
                {
                    doc.Load(posts[i]);
                    results.Clear();
                    index.Match(doc, results);
                    matched[x] += results.Count;
                }

                ticks[x] += Stopwatch.GetTimestamp() - t0;
            }
        }

        GC.KeepAlive(found);
        double Rate(long t) => posts.Count / (t / (double)Stopwatch.Frequency);
        return (Rate(floorTicks), ticks.Select(Rate).ToArray(),
            indexes.Select((x, i) => (x.Evaluations - evaluationsBefore[i]) / (double)posts.Count).ToArray(),
            matched.Select(m => m / (double)posts.Count).ToArray());
    }

    /// <summary>The naive baseline on a sample sized to take a second or two; the same sample checks agreement.</summary>
    private static (double PostsPerSecond, int Mismatches, int Sample) Naive(ListeningIndex index, List<CompiledQuery> queries, List<Post> posts)
    {
        var sample = Math.Clamp(4_000_000 / queries.Count, 20, 4000);
        var doc = new PostDocument();
        var naive = new List<string>();
        var results = new List<string>();
        var mismatches = 0;
        var ticks = 0L;
        for (var i = 0; i < sample; i++)
        {
            var t0 = Stopwatch.GetTimestamp();
            doc.Load(posts[i * 37 % posts.Count]);
            naive.Clear();
            for (var q = 0; q < queries.Count; q++)
            {
                if (queries[q].Matches(doc))
                {
                    naive.Add("q" + q.ToString(CultureInfo.InvariantCulture));
                }
            }

            ticks += Stopwatch.GetTimestamp() - t0;
            results.Clear();
            index.Match(doc, results);
            naive.Sort(StringComparer.Ordinal);
            results.Sort(StringComparer.Ordinal);
            if (!naive.SequenceEqual(results))
            {
                mismatches++;
            }
        }

        return (sample / (ticks / (double)Stopwatch.Frequency), mismatches, sample);
    }

    /// <summary>Where a post's time goes (<c>--diag</c>): each stage run interleaved over the same chunks.</summary>
    private static void Diagnose(List<Post> posts, Dictionary<string, int> vocabulary, List<CompiledQuery> queries)
    {
        var buffer = new TokenBuffer();
        var lookup = vocabulary.GetAlternateLookup<ReadOnlySpan<char>>();
        var doc = new PostDocument();
        var empty = new ListeningIndex();
        var index = new ListeningIndex();
        for (var i = 0; i < queries.Count; i++)
        {
            index.Upsert("q" + i, queries[i]);
        }

        var results = new List<string>();
        var stages = new (string Name, Action<Post> Run)[]
        {
            ("tokenize", p => Tokenizer.Tokenize(p.Text, buffer)),
            ("floor", p =>
            {
                Tokenizer.Tokenize(p.Text, buffer);
                for (var i = 0; i < buffer.Count; i++)
                {
                    lookup.ContainsKey(buffer.Text(i));
                }
            }),
            ("doc.Load", doc.Load),
            ("load + empty index", p =>
            {
                doc.Load(p);
                empty.Match(doc, results);
            }),
            ("load + index", p =>
            {
                doc.Load(p);
                results.Clear();
                index.Match(doc, results);
            }),
        };
        var ticks = new long[stages.Length];
        var allocated = new long[stages.Length];
        for (var pass = 0; pass < 3; pass++)
        {
            for (var start = 0; start < posts.Count; start += 1000)
            {
                for (var s = 0; s < stages.Length; s++)
                {
                    var a0 = GC.GetAllocatedBytesForCurrentThread();
                    var t0 = Stopwatch.GetTimestamp();
                    for (var i = start; i < Math.Min(posts.Count, start + 1000); i++)
                    {
                        stages[s].Run(posts[i]);
                    }

                    if (pass > 0)
                    {
                        ticks[s] += Stopwatch.GetTimestamp() - t0;
                        allocated[s] += GC.GetAllocatedBytesForCurrentThread() - a0;
                    }
                }
            }
        }

        Console.WriteLine($"  {queries.Count} queries: atoms/post {index.AtomsSeen * 1.0 / (3 * posts.Count):F1}, postings/post {index.PostingsScanned * 1.0 / (3 * posts.Count):F1}, evaluations/post {index.Evaluations * 1.0 / (3 * posts.Count):F1}");
        for (var s = 0; s < stages.Length; s++)
        {
            Console.WriteLine($"  {stages[s].Name}: {2.0 * posts.Count / (ticks[s] / (double)Stopwatch.Frequency):N0} posts/s, {allocated[s] / (2.0 * posts.Count):F1} bytes allocated/post");
        }
    }

    // ---- data ----

    private static string? FindSharedData()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "data");
            if (Directory.Exists(Path.Combine(candidate, "airline")) || Directory.Exists(Path.Combine(candidate, "twcs")))
            {
                return candidate;
            }
        }

        return null;
    }

    private static List<string> LoadTexts(string shared)
    {
        var texts = new List<string>();
        foreach (var file in new[] { Path.Combine(shared, "airline", "train.csv"), Path.Combine(shared, "twcs", "twcs_sample_5000.csv") })
        {
            if (!File.Exists(file))
            {
                Console.WriteLine($"  (missing {file})");
                continue;
            }

            using var reader = new StreamReader(file);
            foreach (var record in PostFiles.Read(reader))
            {
                if (record.Post is { Text.Length: > 0 } post)
                {
                    texts.Add(post.Text);
                }
            }
        }

        return texts;
    }

    /// <summary>
    /// Real texts, recombined: each post is a real text, or the first part of one joined to the last part of
    /// another (split at spaces), so the word distribution stays that of real posts; metadata is generated.
    /// </summary>
    private static List<Post> Recombine(List<string> texts, int count, Random random)
    {
        var posts = new List<Post>(count);
        for (var i = 0; i < count; i++)
        {
            var a = texts[random.Next(texts.Count)];
            string text;
            if (random.Next(3) == 0)
            {
                text = a;
            }
            else
            {
                var b = texts[random.Next(texts.Count)];
                var cutA = a.IndexOf(' ', a.Length / 2);
                var cutB = b.IndexOf(' ', b.Length / 2);
                text = (cutA > 0 ? a[..cutA] : a) + (cutB > 0 ? b[cutB..] : " " + b);
            }

            var url = random.Next(20) == 0 ? $"https://news{random.Next(50)}.example.com/a/{i}" : null;
            posts.Add(new Post("p" + i.ToString(CultureInfo.InvariantCulture), ChannelNames[random.Next(ChannelNames.Length)], text,
                Lang: Langs[random.Next(Langs.Length)], Url: url,
                Author: new Author(Handle: "user" + random.Next(50_000).ToString(CultureInfo.InvariantCulture),
                    Followers: (long)Math.Pow(10, random.NextDouble() * 6), Verified: random.Next(50) == 0)));
        }

        return posts;
    }

    private sealed record CorpusStats(List<string> Brands, List<string> Medium, List<string> Rare)
    {
        public static CorpusStats Of(List<string> texts)
        {
            var df = new Dictionary<(string, TokenKind), int>();
            var buffer = new TokenBuffer();
            var seen = new HashSet<(string, TokenKind)>();
            foreach (var t in texts)
            {
                Tokenizer.Tokenize(t, buffer);
                seen.Clear();
                for (var p = 0; p < buffer.Count; p++)
                {
                    var key = (buffer.Text(p).ToString(), buffer.Tokens[p].Kind);
                    if (seen.Add(key))
                    {
                        df[key] = df.GetValueOrDefault(key) + 1;
                    }
                }
            }

            var n = (double)texts.Count;
            bool Wordy(string w) => w.Length >= 4 && w.All(char.IsAsciiLetterLower);
            var brands = df.Where(kv => kv.Key.Item2 == TokenKind.Mention && kv.Value >= 20 && Wordy(kv.Key.Item1))
                .Select(kv => kv.Key.Item1).Order(StringComparer.Ordinal).ToList();
            var words = df.Where(kv => kv.Key.Item2 == TokenKind.Word && Wordy(kv.Key.Item1)).ToList();
            var medium = words.Where(kv => kv.Value / n is >= 0.0005 and <= 0.01).Select(kv => kv.Key.Item1).Order(StringComparer.Ordinal).ToList();
            var rare = words.Where(kv => kv.Value / n < 0.0005).Select(kv => kv.Key.Item1).Order(StringComparer.Ordinal).ToList();
            return new CorpusStats(brands, medium, rare);
        }
    }

    /// <summary>
    /// Generates queries the way listening teams write them: a brand (a handle from the corpus, a product word, or
    /// an invented brand name: most tracked brands are not in any given sample) with its hashtag and mention,
    /// phrases, complaint wildcards, NEAR, fields and NOTs.
    /// </summary>
    private sealed class QueryGenerator(CorpusStats stats, Random random)
    {
        private T Pick<T>(IReadOnlyList<T> items) => items[random.Next(items.Count)];

        /// <summary>Share of queries on a brand the sample mentions: about 20 topics per such brand, whatever the set size.</summary>
        public double CorpusBrandShare { get; set; } = 0.1;

        private string Brand()
        {
            if (stats.Brands.Count > 0 && random.NextDouble() < CorpusBrandShare)
            {
                return Pick(stats.Brands);
            }

            return random.Next(4) == 0 ? Pick(stats.Rare) : Invented();
        }

        private string Invented()
        {
            const string consonants = "bcdfghjklmnprstvz";
            const string vowels = "aeiou";
            var length = random.Next(2, 4);
            var chars = new List<char>();
            for (var i = 0; i < length; i++)
            {
                chars.Add(consonants[random.Next(consonants.Length)]);
                chars.Add(vowels[random.Next(vowels.Length)]);
            }

            chars.Add(consonants[random.Next(consonants.Length)]);
            return new string([.. chars]);
        }

        private string Word() => random.Next(3) == 0 ? Pick(stats.Rare) : Pick(stats.Medium);

        public List<CompiledQuery> Realistic(int count)
        {
            // In a real firehose any one brand is in a tiny share of posts; this sample is all about ~30 brands, so
            // queries on them are capped at ~20 per brand (a team's topics on its own brand) at every set size.
            CorpusBrandShare = Math.Min(0.1, stats.Brands.Count * 20.0 / count);
            return Generate(count, RealisticQuery);
        }

        private string RealisticQuery()
        {
            var b = Brand();
            return random.Next(12) switch
            {
                0 => b,
                1 => $"{b} OR #{b} OR @{b}",
                2 => $"\"{b} {Word()}\"",
                3 => $"{b} ({Pick(Complaints)} OR {Pick(Complaints)})",
                4 => $"{b} NEAR/5 ({Pick(Complaints)} OR {Pick(Complaints)})",
                5 => $"{b} lang:{Pick(Langs)} NOT {Pick(Spam)}",
                6 => $"({b} OR {Brand()}) followers:>1000",
                7 => $"\"{Word()} {Word()}\" NEAR/3f {b}",
                8 => $"{b} {Word()} NOT ({Pick(Spam)} OR {Pick(Spam)})",
                9 => $"(#{b} OR @{b}) channel:{Pick(ChannelNames)}",
                10 => $"{b.ToUpperInvariant()} NEAR/10 {Word()[..Math.Min(4, Word().Length)]}* NOT verified:true",
                _ => $"{b} (site:{b}.com OR \"{b} app\")",
            };
        }

        /// <summary>
        /// Queries that lean on common words: most terms are among the most frequent in the corpus, with one
        /// rarer word placed anywhere (so "anchor on the first term" would fail), plus a few made only of common
        /// words (legitimately matching a large share of posts).
        /// </summary>
        public List<CompiledQuery> Adversarial(int count) => Generate(count, () =>
        {
            string C() => Pick(CommonWords);
            var w = random.Next(2) == 0 ? Pick(stats.Medium) : Brand();
            return random.Next(100) switch
            {
                < 2 => $"{C()} NEAR/2 {C()}",
                < 20 => $"{C()} {C()} {C()} {w}",
                < 40 => $"\"{C()} {C()}\" NEAR/5 {w}",
                < 55 => $"({C()} OR {C()}) NEAR/3 {w}",
                < 70 => $"{C()} AND {C()} AND NOT {C()} AND {w}",
                < 85 => $"\"my flight\" {w} {C()}",
                _ => $"{w} NEAR/4f ({C()} OR {C()} OR {C()}) flight*",
            };
        });

        private List<CompiledQuery> Generate(int count, Func<string> next)
        {
            var list = new List<CompiledQuery>(count);
            while (list.Count < count)
            {
                var parsed = QueryParser.Parse(next());
                if (parsed.Query is not null)
                {
                    list.Add(parsed.Query);
                }
            }

            return list;
        }
    }

    private static int IntArg(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var v) ? v : fallback;
    }

    private static string LoadAverage()
    {
        try
        {
            return File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "n/a";
        }
        catch (IOException)
        {
            return "n/a";
        }
    }

    private static string RuntimeInfo() =>
        $"{System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}";
}
