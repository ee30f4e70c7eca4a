using Switchboard.Channels.Feeds;
using Xunit;

namespace Switchboard.Tests.Channels;

public class FeedPollingTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 22, 8, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_restart_resumes_the_stored_schedule_but_never_later_than_the_current_options_allow()
    {
        var options = new FeedPollOptions { Interval = TimeSpan.FromMinutes(15), MaxBackoff = TimeSpan.FromHours(6) };
        // A healthy feed polled 5 minutes ago waits the remaining 10 minutes, not a whole interval and not zero.
        var healthy = new FeedPollState("\"e\"", null, 0, NextPollAt: T0.AddMinutes(10));
        Assert.Equal(T0.AddMinutes(10), FeedPolling.Resume(healthy, T0, options).NextPollAt);
        Assert.False(FeedPolling.IsDue(FeedPolling.Resume(healthy, T0, options), T0));
        // A failing feed keeps its backoff and failure count across the restart.
        var failing = FeedPolling.AfterFailure(FeedPolling.AfterFailure(healthy, "HTTP 503", T0, options: options), "HTTP 503", T0, options: options);
        var resumed = FeedPolling.Resume(failing, T0.AddMinutes(1), options);
        Assert.Equal((2, T0.AddMinutes(60)), (resumed.ConsecutiveFailures, resumed.NextPollAt));
        Assert.Equal(T0.AddMinutes(120), FeedPolling.AfterFailure(resumed, "HTTP 503", T0, options: options).NextPollAt);
        // The interval was shortened to 1 minute while it waited: it polls within a minute, not on the old schedule.
        var shorter = options with { Interval = TimeSpan.FromMinutes(1) };
        Assert.Equal(T0.AddMinutes(1), FeedPolling.Resume(healthy, T0, shorter).NextPollAt);
        // A stored time years ahead (a wrong clock) or a hostile failure count cannot park the feed beyond the cap.
        var wild = new FeedPollState(null, null, int.MaxValue, NextPollAt: T0.AddYears(5));
        Assert.Equal(T0.AddHours(6), FeedPolling.Resume(wild, T0, options).NextPollAt);
        Assert.Equal(T0.AddMinutes(15), FeedPolling.Resume(new FeedPollState(null, null, -3, NextPollAt: T0.AddDays(1)), T0, options).NextPollAt);
        // Nothing stored: due now.
        Assert.True(FeedPolling.IsDue(FeedPolling.Resume(new FeedPollState(), T0, options), T0));
    }

    [Fact]
    public void Backoff_doubles_is_capped_honours_retry_after_and_resets_on_success()
    {
        var options = new FeedPollOptions { Interval = TimeSpan.FromMinutes(15), MaxBackoff = TimeSpan.FromHours(6) };
        var state = FeedPolling.AfterSuccess(new FeedPollState(), "\"e1\"", T0, T0, options);
        Assert.Equal(T0.AddMinutes(15), state.NextPollAt);
        var s1 = FeedPolling.AfterFailure(state, "HTTP 503", T0, options: options);
        Assert.Equal(T0.AddMinutes(30), s1.NextPollAt);
        var s2 = FeedPolling.AfterFailure(s1, "HTTP 503", T0, options: options);
        Assert.Equal(T0.AddMinutes(60), s2.NextPollAt);
        Assert.Equal("\"e1\"", s2.ETag);
        var capped = Enumerable.Range(0, 30).Aggregate(s2, (s, _) => FeedPolling.AfterFailure(s, "x", T0, options: options));
        Assert.Equal(T0.AddHours(6), capped.NextPollAt);
        Assert.Equal(T0.AddHours(2), FeedPolling.AfterFailure(state, "429", T0, TimeSpan.FromHours(2), options).NextPollAt);
        Assert.Equal(T0.AddHours(24), FeedPolling.AfterFailure(state, "429", T0, TimeSpan.FromDays(365), options).NextPollAt);
        var back = FeedPolling.AfterNotModified(capped, T0.AddHours(7), options);
        Assert.Equal(0, back.ConsecutiveFailures);
        Assert.Equal(T0.AddHours(7).AddMinutes(15), back.NextPollAt);
    }

    [Fact]
    public void Silence_alert_fires_after_four_intervals_without_a_good_read()
    {
        var state = FeedPolling.AfterSuccess(new FeedPollState(), null, null, T0);
        Assert.False(FeedPolling.IsSilent(state, T0.AddMinutes(60), T0));
        Assert.True(FeedPolling.IsSilent(state, T0.AddMinutes(61), T0));
        Assert.True(FeedPolling.IsSilent(new FeedPollState(), T0.AddHours(2), T0));
    }

    [Fact]
    public void Polling_the_same_feed_100_times_yields_the_same_keys_and_comments_thread_under_the_article()
    {
        const string rss = "<rss version=\"2.0\"><channel><title>t</title><item><title>A</title><link>https://b.example/a</link><description>x</description></item><item><guid>g2</guid><title>B</title></item></channel></rss>";
        var keys = new HashSet<string>();
        for (int i = 0; i < 100; i++)
        {
            foreach (var entry in FeedParser.Parse(rss).Feed!.Entries)
                keys.Add(FeedPosts.ToPost(entry, "rss:https://b.example/feed").Id);
        }
        Assert.Equal(2, keys.Count);
        var article = FeedPosts.ToPost(FeedParser.Parse(rss).Feed!.Entries[0], "rss:https://b.example/feed");
        Assert.Equal("A\n\nx", article.Text);
        const string comments = "<rss version=\"2.0\"><channel><item><guid isPermaLink=\"false\">c-1</guid><title>Re: A</title><description>&lt;p&gt;Great &lt;b&gt;post&lt;/b&gt;&lt;/p&gt;</description><dc:creator xmlns:dc=\"http://purl.org/dc/elements/1.1/\">Cy</dc:creator></item></channel></rss>";
        var comment = FeedPosts.ToPost(FeedParser.Parse(comments).Feed!.Entries[0], "rss:https://b.example/feed", parentPostId: article.Id);
        Assert.Equal(article.Id, comment.InReplyTo);
        Assert.Equal("Great post", comment.Text);
        Assert.Equal("Cy", comment.Author!.Name);
        Assert.Equal("name:Cy", comment.Author.Id); // a name alone still keys the author, so it is stored and shown
        Assert.Null(article.Author); // no author at all: none, rather than an empty one
    }

    [Theory]
    [InlineData("<author><name>Ann</name><email>ann@b.example</email><uri>https://b.example/ann</uri></author>", "https://b.example/ann", "Ann")]
    [InlineData("<author><name>Ann</name><email>ann@b.example</email></author>", "ann@b.example", "Ann")]
    [InlineData("<author><name> Ann </name></author>", "name:Ann", "Ann")]
    [InlineData("<author><email>ann@b.example</email></author>", "ann@b.example", "ann@b.example")]
    [InlineData("<author><name>  </name></author>", null, null)]
    public void An_atom_author_is_keyed_by_uri_then_email_then_name(string authorXml, string? id, string? name)
    {
        var atom = $"<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>t</title><entry><id>e1</id><title>T</title>{authorXml}</entry></feed>";
        var post = FeedPosts.ToPost(FeedParser.Parse(atom).Feed!.Entries[0], "rss:https://b.example/feed");
        Assert.Equal(id, post.Author?.Id);
        if (id is not null)
            Assert.Equal(name, post.Author!.Name?.Trim());
    }
}
