using Switchboard.Routing.Configuration;

namespace Switchboard.Tests;

/// <summary>Finds repository files from the test output folder and loads workspaces, failing with the loader's errors.</summary>
internal static class TestWorkspace
{
    public static string RepoFile(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, relative);
            if (File.Exists(candidate))
                return candidate;
        }
        throw new FileNotFoundException($"{relative} not found above {AppContext.BaseDirectory}");
    }

    public static Workspace Load(string yaml)
    {
        var r = WorkspaceLoader.LoadText(yaml);
        return r.Workspace ?? throw new InvalidOperationException(string.Join("\n", r.Errors));
    }

    public static Workspace Demo() => Load(File.ReadAllText(RepoFile("src/Switchboard/Demo/workspace.yaml")));

    /// <summary>A small workspace: Mon–Fri 09–17 Berlin, FR 1h / NR 2h / resolution 8h, warning 15 min, a two-level ladder.</summary>
    public const string Small = """
        version: 1
        defaults: { team: Support, sla_policy: std, crisis_ladder: crisis }
        calendars:
          - name: office
            zone: Europe/Berlin
            hours: { mon-fri: ["09:00-17:00"] }
          - name: always
            zone: UTC
            hours: { daily: ["00:00-24:00"] }
        ladders:
          - name: std
            levels:
              - { after: 0m, notify: [assignee] }
              - { after: 30m, notify: [team_lead] }
          - name: crisis
            levels:
              - { after: 0m, notify: [team_lead] }
              - { after: 10m, notify: ["role:pr_lead"] }
        sla_policies:
          - { name: std, calendar: office, first_response: 1h, next_response: 2h, resolution: 8h, warn_before: 15m, ladder: std }
          - { name: fast, calendar: always, first_response: 10m, resolution: 1h }
        teams:
          - { name: Support, calendar: office, selector: least_loaded, reassign_after: 30m, lead: lead@x.test }
          - { name: Press, calendar: always, sla_policy: fast, selector: round_robin }
        agents:
          - { email: lead@x.test, teams: [Support, Press], skills: [Technical], languages: [en, de], capacity: 2 }
          - { email: bo@x.test, teams: [Support], skills: [Communicating], languages: [en], capacity: 2 }
          - { email: cy@x.test, teams: [Press], languages: [fr], capacity: 1 }
        author_lists:
          press: [reporter]
        routing:
          - name: press
            conditions: { author_in: [press] }
            actions: { team: Press, priority: high }
          - name: tech
            conditions: { keywords: [login, outage] }
            actions: { skills: [Technical], labels: [tech] }
          - name: crisis
            conditions: { keywords: [boycott] }
            actions: { crisis: true, stop: true }
          - name: after stop
            conditions: {}
            actions: { labels: [late] }
          - name: no reply
            trigger: no_reply
            after: 15m
            conditions: { team: [Support] }
            actions: { priority: urgent }
        """;
}
