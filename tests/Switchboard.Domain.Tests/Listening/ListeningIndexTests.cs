using Switchboard.Listening;
using Switchboard.Posts;
using Xunit;
using Xunit.Abstractions;

namespace Switchboard.Tests.Listening;

public class ListeningIndexTests(ITestOutputHelper output)
{
    private static CompiledQuery Q(string text) => QueryParser.Parse(text).Query ?? throw new ArgumentException(text);

    private static PostDocument Doc(string text) => PostDocument.From(new Post("p", "test", text));

    [Fact]
    public void Upsert_change_and_remove_one_query()
    {
        var index = new ListeningIndex();
        index.Upsert("a", Q("acme"));
        index.Upsert("b", Q("refund*"));
        Assert.Equal(["a", "b"], index.Match(Doc("acme refunds")));

        index.Upsert("a", Q("globex"));
        Assert.Equal(["b"], index.Match(Doc("acme refunds")));
        Assert.Equal(["a"], index.Match(Doc("globex")));

        Assert.True(index.Remove("b"));
        Assert.False(index.Remove("b"));
        Assert.Empty(index.Match(Doc("acme refunds")));
        Assert.Equal(1, index.Count);
    }

    [Fact]
    public void Identical_queries_are_evaluated_once_but_report_every_id()
    {
        var index = new ListeningIndex();
        index.Upsert("x", Q("acme refund"));
        index.Upsert("y", Q("refund AND acme"));
        Assert.Equal(1, index.DistinctCount);
        Assert.Equal(["x", "y"], index.Match(Doc("acme refund")));
        index.Remove("x");
        Assert.Equal(["y"], index.Match(Doc("acme refund")));
        Assert.Equal(1, index.DistinctCount);
    }

    [Fact]
    public void Removing_the_last_wildcard_forgets_its_prefix()
    {
        var index = new ListeningIndex();
        index.Upsert("w", Q("refund*"));
        index.Remove("w");
        index.Upsert("t", Q("acme"));
        Assert.Equal(["t"], index.Match(Doc("acme refunds")));
        index.Upsert("w2", Q("#refund*"));
        Assert.Equal(["t"], index.Match(Doc("acme refunds")));
        Assert.Equal(["t", "w2"], index.Match(Doc("acme #refunds")));
    }

    [Fact]
    public void Field_only_queries_match_without_terms()
    {
        var index = new ListeningIndex();
        index.Upsert("big", Q("followers:>1000"));
        index.Upsert("en", Q("lang:en"));
        index.Upsert("site", Q("site:acme.com"));
        var doc = PostDocument.From(new Post("p", "x", "no words that matter https://www.acme.com", Lang: "en-GB", Author: new Author(Followers: 5000)));
        Assert.Equal(["big", "en", "site"], index.Match(doc));
    }

    [Fact]
    public void Match_appends_without_clearing_and_reuses_buffers()
    {
        var index = new ListeningIndex();
        index.Upsert("a", Q("acme"));
        var results = new List<string> { "existing" };
        var doc = new PostDocument();
        doc.Load("acme");
        index.Match(doc, results);
        doc.Load("nothing");
        index.Match(doc, results);
        Assert.Equal(["existing", "a"], results);
    }

    [Fact]
    public void Common_word_queries_still_match_after_reanchoring()
    {
        // Thousands of posts make the observed frequencies replace the priors and trigger re-anchoring.
        var index = new ListeningIndex();
        index.Upsert("q", Q("flight NEAR/3 delayed"));
        index.Upsert("r", Q("zebra OR flight"));
        var hits = 0;
        for (var i = 0; i < 5000; i++)
        {
            var text = i % 7 == 0 ? "my flight is delayed" : "my flight was fine";
            var m = index.Match(Doc(text));
            Assert.Contains("r", m);
            if (m.Contains("q"))
            {
                hits++;
            }
        }

        Assert.Equal(Enumerable.Range(0, 5000).Count(i => i % 7 == 0), hits);
    }

    [Fact]
    public void Hostile_near_on_a_long_post_stays_fast_and_exact()
    {
        // 50,000 occurrences on each side: pairwise comparison would be 2.5e9 steps; the index does it in n log n.
        var text = string.Concat(Enumerable.Repeat("the my ", 50_000)) + "zebra";
        var index = new ListeningIndex();
        index.Upsert("near", Q("the NEAR/100 the"));
        index.Upsert("far", Q("zebra NEAR/1f the"));
        index.Upsert("ordered", Q("my NEAR/1f zebra"));
        var watch = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal(["near", "ordered"], index.Match(Doc(text)));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
    }

    private static readonly string[] Words =
        ["acme", "globex", "refund", "refunds", "broken", "the", "my", "flight", "delayed", "support", "café", "cafe", "team", "x"];

    private static string RandomQuery(Random r, int depth = 0)
    {
        string Leaf()
        {
            var w = Words[r.Next(Words.Length)];
            return r.Next(12) switch
            {
                0 => "#" + w,
                1 => "@" + w,
                2 when w.Length >= 3 => w[..r.Next(3, w.Length + 1)] + "*",
                3 => "\"" + w + " " + Words[r.Next(Words.Length)] + "\"",
                4 => "😀",
                _ => w,
            };
        }

        string Field() => r.Next(6) switch
        {
            0 => "lang:" + (r.Next(2) == 0 ? "en" : "fr"),
            1 => "channel:" + (r.Next(2) == 0 ? "mastodon" : "x"),
            2 => "author:" + (r.Next(2) == 0 ? "@acme" : "bob"),
            3 => "site:" + (r.Next(2) == 0 ? "acme.com" : "shop.acme.com"),
            4 => "followers:" + (r.Next(2) == 0 ? ">" : "<=") + r.Next(0, 200),
            _ => "verified:" + (r.Next(2) == 0 ? "true" : "false"),
        };

        string Positional() => r.Next(4) == 0 ? "(" + Leaf() + " OR " + Leaf() + ")" : Leaf();

        if (depth > 2)
        {
            return Leaf();
        }

        return r.Next(10) switch
        {
            0 => RandomQuery(r, depth + 1) + " OR " + RandomQuery(r, depth + 1),
            1 => RandomQuery(r, depth + 1) + " " + RandomQuery(r, depth + 1),
            2 => RandomQuery(r, depth + 1) + " NOT " + Leaf(),
            3 => Positional() + " NEAR/" + r.Next(1, 4) + (r.Next(2) == 0 ? "f " : " ") + Positional(),
            4 => Field(),
            5 => "(" + RandomQuery(r, depth + 1) + ")",
            6 => Leaf() + " " + Field(),
            _ => Leaf(),
        };
    }

    private static Post RandomPost(Random r, int i)
    {
        var words = new List<string>();
        for (var k = r.Next(0, 10); k > 0; k--)
        {
            var w = Words[r.Next(Words.Length)];
            words.Add(r.Next(8) switch
            {
                0 => "#" + w,
                1 => "@" + w,
                2 => w.ToUpperInvariant() + ",",
                3 => "😀",
                4 => "https://" + (r.Next(2) == 0 ? "shop.acme.com" : "example.org") + "/" + w,
                _ => w,
            });
        }

        return new Post("p" + i, r.Next(2) == 0 ? "mastodon" : "x", string.Join(' ', words),
            Lang: r.Next(3) switch { 0 => "en", 1 => "fr-CA", _ => null },
            Url: r.Next(5) == 0 ? "https://acme.com/p" : null,
            Author: new Author(Handle: r.Next(3) == 0 ? "Acme" : "bob", Followers: r.Next(4) == 0 ? null : r.Next(0, 200),
                Verified: r.Next(3) switch { 0 => true, 1 => false, _ => null }));
    }

    [Fact]
    public void Index_agrees_with_reference_evaluation_under_random_changes()
    {
        var seed = Environment.TickCount;
        output.WriteLine($"seed={seed}");
        var r = new Random(seed);
        var index = new ListeningIndex();
        var live = new Dictionary<string, CompiledQuery>();
        var doc = new PostDocument();
        var results = new List<string>();
        var matched = 0;
        for (var round = 0; round < 3000; round++)
        {
            // A few edits per round: add, change, remove.
            for (var e = r.Next(0, 4); e > 0; e--)
            {
                var id = "q" + r.Next(0, 120);
                if (r.Next(4) == 0)
                {
                    index.Remove(id);
                    live.Remove(id);
                }
                else if (QueryParser.Parse(RandomQuery(r)) is { Query: { } q })
                {
                    index.Upsert(id, q);
                    live[id] = q;
                }
            }

            var post = RandomPost(r, round);
            doc.Load(post);
            results.Clear();
            index.Match(doc, results);
            results.Sort(StringComparer.Ordinal);
            var expected = live.Where(kv => kv.Value.Matches(doc)).Select(kv => kv.Key).Order(StringComparer.Ordinal).ToList();
            if (!expected.SequenceEqual(results))
            {
                var diff = expected.Except(results).Concat(results.Except(expected)).Select(id => $"{id}: {live.GetValueOrDefault(id)?.Source}");
                Assert.Fail($"seed {seed}, round {round}, post '{post.Text}': differs on {string.Join("; ", diff)}");
            }

            Assert.Equal(live.Count, index.Count);
            matched += results.Count;
        }

        // The generator must exercise matches, not only misses.
        Assert.True(matched > 3000, $"seed {seed}: only {matched} matches");
        output.WriteLine($"matches={matched}");
    }

    [Fact]
    public void Rebuilding_from_scratch_gives_the_same_results_as_incremental_changes()
    {
        var seed = Environment.TickCount;
        output.WriteLine($"seed={seed}");
        var r = new Random(seed);
        var incremental = new ListeningIndex();
        var live = new Dictionary<string, CompiledQuery>();
        for (var i = 0; i < 2000; i++)
        {
            var id = "q" + r.Next(0, 300);
            if (r.Next(3) == 0)
            {
                incremental.Remove(id);
                live.Remove(id);
            }
            else if (QueryParser.Parse(RandomQuery(r)) is { Query: { } q })
            {
                incremental.Upsert(id, q);
                live[id] = q;
            }
        }

        var rebuilt = new ListeningIndex();
        foreach (var (id, q) in live)
        {
            rebuilt.Upsert(id, q);
        }

        for (var i = 0; i < 500; i++)
        {
            var doc = PostDocument.From(RandomPost(r, i));
            Assert.Equal(rebuilt.Match(doc), incremental.Match(doc));
        }
    }
}
