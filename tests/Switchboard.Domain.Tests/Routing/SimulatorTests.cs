using Switchboard.Posts;
using Switchboard.Routing.Configuration;
using Switchboard.Routing.Simulation;
using Xunit;

namespace Switchboard.Tests.Routing;

public class SimulatorTests
{
    static readonly Workspace Ws = TestWorkspace.Load(TestWorkspace.Small);
    static readonly DateTimeOffset T0 = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);

    static SimPost Press(int i) => new(T0.AddMinutes(i), i, new Post($"p{i}", "x", "question", T0.AddMinutes(i), new Author("reporter", "reporter")),
        new Dictionary<string, string> { ["conversation"] = $"c{i}" });

    static SimAgentEvent Agent(string kind, string? agent, int minute, string? conv = null) => new(T0.AddMinutes(minute), 100 + minute, kind, agent, conv, null);

    static (List<SimEvent> Events, SimSummary Summary) Run(params SimInput[] inputs)
    {
        var events = new List<SimEvent>();
        var summary = Simulator.Run(inputs, Ws, events.Add);
        return (events, summary);
    }

    [Fact]
    public void The_holding_queue_is_drained_when_an_assignee_frees_capacity()
    {
        // Press: lead@x.test (capacity 2) and cy@x.test (capacity 1), round robin; both follow explicit events.
        var (events, summary) = Run(
            Agent("agent_online", "lead@x.test", 0), Agent("agent_online", "cy@x.test", 0), Agent("agent_offline", "bo@x.test", 0),
            Press(1), Press(2), Press(3), Press(4),
            Agent("agent_resolve", "lead@x.test", 30, "c1"));
        var placed = events.Where(e => e.Event is "assigned" or "queued").Select(e => (e.Conversation, e.Event, e.Agent)).ToList();
        Assert.Equal(
            [("c1", "assigned", "lead@x.test"), ("c2", "assigned", "cy@x.test"), ("c3", "assigned", "lead@x.test"), ("c4", "queued", null),
             ("c4", "assigned", "lead@x.test")],
            placed);
        Assert.Equal(T0.AddMinutes(30), events.Single(e => e.Conversation == "c4" && e.Event == "assigned").At);
        Assert.Equal(1, summary.MaxQueueLength);
        Assert.Equal(4, summary.Conversations);
    }

    [Fact]
    public void Events_are_in_time_order_and_the_run_is_deterministic()
    {
        SimInput[] inputs = [Press(3), Press(1), Agent("agent_reply", null, 5, "c1"), Press(2), Agent("agent_ack", null, 90, "c3")];
        var (first, _) = Run(inputs);
        var (second, _) = Run(inputs);
        Assert.Equal(first, second);
        Assert.Equal(first.Select(e => e.At).Order(), first.Select(e => e.At));
        Assert.Contains(first, e => e.Event == "breach" && e.Conversation == "c2");
        Assert.DoesNotContain(first, e => e.Event == "breach" && e.Conversation == "c1" && e.Metric == "first_response");
    }

    [Fact]
    public void Unknown_conversations_and_agents_become_warnings_not_crashes()
    {
        var (_, summary) = Run(Press(1), Agent("agent_reply", null, 5, "nope"), Agent("agent_online", "ghost@x.test", 6), Agent("snooze", null, 7, "c1"));
        Assert.Equal(3, summary.Warnings.Count);
        Assert.Contains("unknown conversation 'nope'", summary.Warnings[0], StringComparison.Ordinal);
        Assert.Contains("unknown agent 'ghost@x.test'", summary.Warnings[1], StringComparison.Ordinal);
        Assert.Contains("snooze needs 'until'", summary.Warnings[2], StringComparison.Ordinal);
    }
}
