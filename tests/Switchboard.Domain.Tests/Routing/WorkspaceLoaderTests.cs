using Switchboard.Routing;
using Switchboard.Routing.Configuration;
using Xunit;

namespace Switchboard.Tests.Routing;

public class WorkspaceLoaderTests
{
    [Fact]
    public void The_demo_workspace_validates()
    {
        var r = WorkspaceLoader.LoadText(File.ReadAllText(TestWorkspace.RepoFile("src/Switchboard/Demo/workspace.yaml")));
        Assert.True(r.Ok, string.Join("\n", r.Errors));
        var ws = r.Workspace!;
        Assert.Equal(
            ["marketing", "public-relations", "internal-communications", "partners-channel", "customer-service", "human-resources", "it", "innovation"],
            ws.TeamList.Select(t => t.Name));
        Assert.InRange(ws.Agents.Count, 10, 14);
        Assert.True(ws.Agents[0].Admin);
        Assert.All(ws.Agents, a => Assert.EndsWith("@demo.switchboard.local", a.Email, StringComparison.Ordinal));
        // Ladder chains are flattened: standard (2 levels) then management (1 level).
        Assert.Equal(3, ws.Ladders["standard"].Levels.Count);
        Assert.Contains(ws.Rules, r => r.Trigger == RuleTrigger.NoReply);
    }

    static IReadOnlyList<ConfigError> Errors(string yaml)
    {
        var r = WorkspaceLoader.LoadText(yaml);
        Assert.False(r.Ok);
        Assert.Null(r.Workspace);
        return r.Errors;
    }

    static string Mutate(string from, string to)
    {
        Assert.Contains(from, TestWorkspace.Small, StringComparison.Ordinal);
        return TestWorkspace.Small.Replace(from, to, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_team_in_an_action_is_refused_with_its_path()
    {
        var yaml = Mutate("actions: { team: Press, priority: high }", "actions: { team: Sales, priority: high }");
        var err = Assert.Single(Errors(yaml));
        var lines = yaml.Split('\n');
        var line = Array.FindIndex(lines, l => l.Contains("team: Sales", StringComparison.Ordinal)) + 1;
        var column = lines[line - 1].IndexOf("Sales", StringComparison.Ordinal) + 1;
        Assert.Equal($"routing[0].actions.team: unknown team 'Sales' (line {line}, column {column})", err.ToString());
    }

    [Fact]
    public void Unknown_field_is_refused_with_its_path()
    {
        var e = Errors(Mutate("actions: { skills: [Technical], labels: [tech] }", "actions: { skils: [Technical], labels: [tech] }"));
        Assert.Equal("routing[1].actions.skils", Assert.Single(e).Path);
        Assert.Contains("unknown field 'skils'", e[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_cycle_in_a_ladder_chain_is_refused()
    {
        var yaml = Mutate("""
                  - { after: 30m, notify: [team_lead] }
            """, """
                  - { after: 30m, notify: [team_lead] }
                then: crisis
            """).Replace("""
                  - { after: 10m, notify: ["role:pr_lead"] }
            """, """
                  - { after: 10m, notify: ["role:pr_lead"] }
                then: std
            """, StringComparison.Ordinal);
        var e = Errors(yaml);
        Assert.Contains(e, x => x.Path == "ladders[0].then" && x.Message.Contains("cycle in ladder chain: std → crisis → std", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("hours: { mon-fri: [\"09:00-17:00\"] }", "hours: { mon-fri: [\"09:00-09:00\"] }", "calendars[0].hours.mon-fri[0]")]
    [InlineData("hours: { mon-fri: [\"09:00-17:00\"] }", "hours: { mon-fri: [\"25:00-17:00\"] }", "calendars[0].hours.mon-fri[0]")]
    [InlineData("hours: { mon-fri: [\"09:00-17:00\"] }", "hours: { fri-mon: [\"09:00-17:00\"] }", "calendars[0].hours.fri-mon")]
    [InlineData("hours: { mon-fri: [\"09:00-17:00\"] }", "hours: {}", "calendars[0].hours")]
    [InlineData("zone: Europe/Berlin", "zone: Mars/Olympus", "calendars[0].zone")]
    public void Impossible_calendars_are_refused(string from, string to, string path)
    {
        var e = Errors(Mutate(from, to));
        Assert.Contains(e, x => x.Path == path);
    }

    [Theory]
    [InlineData("first_response: 1h, next_response", "first_response: 1 hour, next_response", "sla_policies[0].first_response")]
    [InlineData("selector: least_loaded", "selector: random", "teams[0].selector")]
    [InlineData("lead: lead@x.test", "lead: nobody@x.test", "teams[0].lead")]
    [InlineData("teams: [Support, Press], skills", "teams: [Support, Sales], skills", "agents[0].teams[1]")]
    [InlineData("author_in: [press]", "author_in: [journalists]", "routing[0].conditions.author_in")]
    [InlineData("trigger: no_reply\n    after: 15m", "trigger: no_reply", "routing[4].after")]
    [InlineData("crisis_ladder: crisis", "crisis_ladder: panic", "defaults.crisis_ladder")]
    [InlineData("capacity: 2 }\n  - { email: bo", "capacity: -1 }\n  - { email: bo", "agents[0].capacity")]
    public void Bad_values_and_references_are_refused_with_their_path(string from, string to, string path)
    {
        var yaml = TestWorkspace.Small.Replace(from, to, StringComparison.Ordinal);
        Assert.NotEqual(TestWorkspace.Small, yaml);
        Assert.Contains(Errors(yaml), x => x.Path == path);
    }

    [Theory]
    [InlineData("")]
    [InlineData("[1, 2")]
    [InlineData("just a string")]
    [InlineData("version: 1\nversion: 2\n")]
    [InlineData("a: &x [1]\nb: *x\n")]
    [InlineData("teams: {name: x}")]
    public void Hostile_or_malformed_documents_are_refused_without_crashing(string yaml) => Assert.NotEmpty(Errors(yaml));

    [Fact]
    public void Oversized_input_is_refused()
    {
        var e = Errors("# " + new string('x', WorkspaceLoader.MaxBytes));
        Assert.Contains("larger than", e[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Durations_parse_strictly()
    {
        Assert.Equal(TimeSpan.FromMinutes(90), WorkspaceLoader.ParseDuration("1h30m"));
        Assert.Equal(TimeSpan.FromDays(2), WorkspaceLoader.ParseDuration("2d"));
        Assert.Equal(TimeSpan.Zero, WorkspaceLoader.ParseDuration("0"));
        Assert.Null(WorkspaceLoader.ParseDuration("30m1h"));
        Assert.Null(WorkspaceLoader.ParseDuration("99999999999999999d"));
        Assert.Null(WorkspaceLoader.ParseDuration("-5m"));
    }
}

public class ConfigurationDocTests
{
    [Fact]
    public void The_complete_example_in_the_docs_is_the_demo_workspace_verbatim()
    {
        var doc = File.ReadAllText(TestWorkspace.RepoFile("docs/configuration.md"));
        var start = doc.IndexOf("## Complete example", StringComparison.Ordinal);
        var open = doc.IndexOf("```yaml\n", start, StringComparison.Ordinal) + "```yaml\n".Length;
        var close = doc.IndexOf("```\n", open, StringComparison.Ordinal);
        Assert.True(start >= 0 && close > open);
        Assert.Equal(File.ReadAllText(TestWorkspace.RepoFile("src/Switchboard/Demo/workspace.yaml")), doc[open..close]);
    }
}
