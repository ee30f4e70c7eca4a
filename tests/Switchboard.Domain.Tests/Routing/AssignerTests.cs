using Switchboard.Routing;
using Switchboard.Routing.Configuration;
using Xunit;

namespace Switchboard.Tests.Routing;

public class AssignerTests
{
    static readonly Workspace Ws = TestWorkspace.Load(TestWorkspace.Small);
    static readonly DateTimeOffset T0 = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);

    static Dictionary<string, AgentLoad> Loads(params (string Id, bool Online, int Open, int MinutesAgo)[] agents) =>
        agents.ToDictionary(a => a.Id, a => new AgentLoad(a.Online, a.Open, T0.AddMinutes(-a.MinutesAgo)), StringComparer.OrdinalIgnoreCase);

    [Fact]
    public void Least_loaded_picks_the_freest_agent_and_the_trace_lists_every_candidate()
    {
        var loads = Loads(("lead@x.test", true, 1, 5), ("bo@x.test", true, 0, 1));
        var d = Assigner.Decide(new AssignmentRequest("c", "Support", [], "en"), Ws, loads, -1);
        Assert.Equal("bo@x.test", d.Agent);
        Assert.Equal(2, d.Candidates.Count);
        Assert.Equal(new CandidateTrace("lead@x.test", true, 0.5, 1, 2, null), d.Candidates[0]);
        Assert.StartsWith("least loaded", d.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Ties_go_to_the_agent_assigned_longest_ago()
    {
        var loads = Loads(("lead@x.test", true, 0, 50), ("bo@x.test", true, 0, 10));
        Assert.Equal("lead@x.test", Assigner.Decide(new AssignmentRequest("c", "Support", [], null), Ws, loads, -1).Agent);
    }

    [Fact]
    public void Exclusions_are_explained_offline_capacity_skill_language_and_current_assignee()
    {
        var loads = Loads(("lead@x.test", false, 0, 0), ("bo@x.test", true, 2, 0));
        var d = Assigner.Decide(new AssignmentRequest("c", "Support", [], null), Ws, loads, -1);
        Assert.Null(d.Agent);
        Assert.Equal(["offline", "at capacity (2/2)"], d.Candidates.Select(c => c.Excluded));
        Assert.Contains("queue", d.Reason, StringComparison.Ordinal);

        loads = Loads(("lead@x.test", true, 0, 0), ("bo@x.test", true, 0, 0));
        d = Assigner.Decide(new AssignmentRequest("c", "Support", ["Technical"], "de", Exclude: "lead@x.test"), Ws, loads, -1);
        Assert.Null(d.Agent);
        Assert.Equal(["current assignee (reassigning)", "lacks skill 'Technical'"], d.Candidates.Select(c => c.Excluded));
        d = Assigner.Decide(new AssignmentRequest("c", "Support", [], "de"), Ws, loads, -1);
        Assert.Equal("lead@x.test", d.Agent);
        Assert.Equal("does not speak 'de'", d.Candidates[1].Excluded);
    }

    [Fact]
    public void A_language_nobody_in_the_team_speaks_does_not_hold_the_conversation()
    {
        var loads = Loads(("lead@x.test", true, 0, 0), ("bo@x.test", true, 0, 5));
        Assert.NotNull(Assigner.Decide(new AssignmentRequest("c", "Support", [], "ja"), Ws, loads, -1).Agent);
    }

    [Fact]
    public void Stickiness_beats_the_selector_when_the_previous_agent_is_eligible()
    {
        var loads = Loads(("lead@x.test", true, 1, 0), ("bo@x.test", true, 0, 60));
        var d = Assigner.Decide(new AssignmentRequest("c", "Support", [], null, StickyAgent: "lead@x.test"), Ws, loads, -1);
        Assert.Equal("lead@x.test", d.Agent);
        Assert.StartsWith("sticky", d.Reason, StringComparison.Ordinal);
        loads["lead@x.test"] = loads["lead@x.test"] with { Online = false };
        Assert.Equal("bo@x.test", Assigner.Decide(new AssignmentRequest("c", "Support", [], null, StickyAgent: "lead@x.test"), Ws, loads, -1).Agent);
    }

    [Fact]
    public void Round_robin_walks_members_in_order_skipping_ineligible_ones_and_is_fair_over_many_decisions()
    {
        // Press members: lead@x.test (capacity 2), cy@x.test (capacity 1).
        var loads = Loads(("lead@x.test", true, 0, 0), ("cy@x.test", true, 0, 0));
        var cursor = -1;
        var picks = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            var d = Assigner.Decide(new AssignmentRequest($"c{i}", "Press", [], null), Ws, loads, cursor);
            picks.Add(d.Agent!);
            cursor = d.RoundRobinCursor;
        }
        Assert.Equal(["lead@x.test", "cy@x.test", "lead@x.test", "cy@x.test", "lead@x.test", "cy@x.test"], picks);
        loads["cy@x.test"] = loads["cy@x.test"] with { Open = 1 };
        var next = Assigner.Decide(new AssignmentRequest("c", "Press", [], null), Ws, loads, 0);
        Assert.Equal("lead@x.test", next.Agent);
        Assert.Equal("at capacity (1/1)", next.Candidates[1].Excluded);
    }
}
