using Switchboard.Routing;
using Switchboard.Routing.Configuration;
using Xunit;

namespace Switchboard.Tests.Routing;

public class RoutingEngineTests
{
    static readonly Workspace Small = TestWorkspace.Load(TestWorkspace.Small);
    static readonly Workspace Demo = TestWorkspace.Demo();
    static readonly DateTimeOffset Noon = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void No_matching_rule_goes_to_the_default_team_and_the_trace_says_why_each_rule_failed()
    {
        var d = RoutingEngine.Route(new RoutingInput("mastodon", "hello there", Noon), Small);
        Assert.Equal("Support", d.Team);
        Assert.Equal("author '' on none of [press]", d.Trace[0].Reason);
        Assert.False(d.Trace[0].Matched);
        Assert.Contains("none of the keywords [login, outage]", d.Trace[1].Reason, StringComparison.Ordinal);
        // The unconditional rule "after stop" matches.
        Assert.True(d.Trace[3].Matched);
        Assert.Equal(["late"], d.Labels);
    }

    [Fact]
    public void Later_rules_accumulate_and_stop_ends_processing()
    {
        var d = RoutingEngine.Route(new RoutingInput("x", "Login outage, we will BOYCOTT you", Noon, AuthorHandle: "@reporter"), Small);
        Assert.Equal("Press", d.Team);
        Assert.Equal("high", d.Priority);
        Assert.Equal(["Technical"], d.Skills);
        Assert.True(d.Crisis);
        Assert.Equal(["press", "tech", "crisis"], d.MatchedRules);
        Assert.DoesNotContain(d.Trace, t => t.Rule == "after stop");
        Assert.Contains("rule 'press' matched (author lists matched)", d.Explain(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("refund please", "refund", true)]
    [InlineData("REFUND!", "refund", true)]
    [InlineData("refunded", "refund", false)]
    [InlineData("we had a data breach today", "data breach", true)]
    [InlineData("xdata breach", "data breach", false)]
    [InlineData("", "refund", false)]
    public void Keywords_match_whole_words_ignoring_case(string text, string word, bool expected) =>
        Assert.Equal(expected, RoutingEngine.ContainsWord(text, word));

    [Theory]
    [InlineData("slack", true)]
    [InlineData("slack:T024BE7LD", true)]
    [InlineData("SLACK:T1", true)]
    [InlineData("slackware", false)]
    [InlineData("slack-ish:T1", false)]
    [InlineData("mastodon:slack", false)]
    public void A_channel_condition_names_a_channel_or_its_kind(string channel, bool matches)
    {
        var d = RoutingEngine.Route(new RoutingInput(channel, "the townhall moved to Thursday", Noon), Demo);
        Assert.Equal(matches, d.MatchedRules.Contains("internal channel"));
    }

    [Fact]
    public void Demo_rules_channel_by_the_classifier_a_crisis_without_a_listed_keyword_and_each_department()
    {
        var fire = RoutingEngine.Route(new RoutingInput("mastodon:mastodon.social", "my charger caught fire, my lawyer will be in touch", Noon,
            Sentiment: "negative", Intent: "crisis", Department: "Customer Service"), Demo);
        Assert.Equal(("public-relations", "urgent", true), (fire.Team, fire.Priority, fire.Crisis));
        Assert.Contains("crisis intent", fire.MatchedRules);
        foreach (var (department, team) in new[]
        {
            ("Marketing", "marketing"), ("Public Relations", "public-relations"), ("Internal Communications", "internal-communications"),
            ("Partners & Channel", "partners-channel"), ("Human Resources", "human-resources"), ("IT", "it"), ("Innovation", "innovation"),
            ("Customer Service", "customer-service"),
        })
        {
            var d = RoutingEngine.Route(new RoutingInput("bluesky", "a message", Noon, Department: department, Sentiment: "neutral", Intent: "question"), Demo);
            Assert.True(team == d.Team, $"{department} went to {d.Team}: {d.Explain()}");
        }
        // An angry complaint stays with customer service whatever department it names.
        var angry = RoutingEngine.Route(new RoutingInput("bluesky", "this is bad", Noon, Department: "Marketing", Sentiment: "negative", Intent: "complaint"), Demo);
        Assert.Equal("customer-service", angry.Team);
    }

    [Fact]
    public void Demo_rules_route_by_sentiment_intent_topic_influence_and_time_of_day()
    {
        var complaint = RoutingEngine.Route(new RoutingInput("twitter", "this is bad", Noon, Sentiment: "negative", Intent: "complaint"), Demo);
        Assert.Equal(("customer-service", "high"), (complaint.Team, complaint.Priority));
        var campaign = RoutingEngine.Route(new RoutingInput("twitter", "love the ad", Noon, Topics: ["campaign"], Followers: 250_000), Demo);
        Assert.Equal("marketing", campaign.Team);
        Assert.Equal(["influencer"], campaign.Labels);
        var night = RoutingEngine.Route(new RoutingInput("twitter", "hi", new DateTimeOffset(2026, 11, 23, 23, 30, 0, TimeSpan.FromHours(1))), Demo);
        Assert.Contains("after-hours", night.Labels);
        var morning = RoutingEngine.Route(new RoutingInput("twitter", "hi", new DateTimeOffset(2026, 11, 24, 7, 30, 0, TimeSpan.FromHours(1))), Demo);
        Assert.DoesNotContain("after-hours", morning.Labels);
        var crisis = RoutingEngine.Route(new RoutingInput("twitter", "There was a data breach", Noon), Demo);
        Assert.True(crisis.Crisis);
        Assert.True(crisis.RequireApproval);
        Assert.Equal("public-relations", crisis.Team);
    }

    [Fact]
    public void Time_of_day_windows_wrap_overnight_by_the_day_they_start()
    {
        var zone = TimeZoneInfo.Utc;
        var fridayNights = new TimeOfDayCondition(new TimeOnly(22, 0), new TimeOnly(6, 0), zone, new HashSet<DayOfWeek> { DayOfWeek.Friday });
        Assert.True(fridayNights.Contains(new DateTimeOffset(2026, 11, 20, 23, 0, 0, TimeSpan.Zero)));  // Fri 23:00
        Assert.True(fridayNights.Contains(new DateTimeOffset(2026, 11, 21, 5, 59, 0, TimeSpan.Zero)));  // Sat 05:59
        Assert.False(fridayNights.Contains(new DateTimeOffset(2026, 11, 20, 5, 0, 0, TimeSpan.Zero)));  // Fri 05:00 (Thursday night)
        Assert.False(fridayNights.Contains(new DateTimeOffset(2026, 11, 21, 6, 0, 0, TimeSpan.Zero)));
    }
}
