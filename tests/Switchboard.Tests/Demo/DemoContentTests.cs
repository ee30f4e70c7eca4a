using Switchboard.Demo;
using Switchboard.Listening;
using Switchboard.Posts;
using Xunit;

namespace Switchboard.Tests.Demo;

/// <summary>The demo's seeded content works with the demo's generated traffic: a newcomer sees it do something.</summary>
public class DemoContentTests
{
    [Fact]
    public void Every_demo_topic_is_a_valid_query_that_matches_some_generated_mentions_but_not_all()
    {
        const int seed = 7;
        var generator = new MentionGenerator(seed);
        var start = new DateTimeOffset(2026, 12, 4, 9, 0, 0, TimeSpan.Zero);
        var posts = Enumerable.Range(0, 1_000).Select(i => generator.Next(start.AddSeconds(i))).ToList();
        var doc = new PostDocument();
        foreach (var (name, query) in DemoWorkspace.Topics)
        {
            Assert.Null(TopicStore.Validate(name, query));
            var compiled = QueryParser.Parse(query).Query!;
            var matches = posts.Count(p =>
            {
                doc.Load(p);
                return compiled.Matches(doc);
            });
            Assert.True(matches > 0, $"seed {seed}: topic '{name}' matches none of {posts.Count} demo posts");
            Assert.True(matches < posts.Count / 4, $"seed {seed}: topic '{name}' matches {matches} of {posts.Count} demo posts: too broad to mean anything");
        }
    }
}
