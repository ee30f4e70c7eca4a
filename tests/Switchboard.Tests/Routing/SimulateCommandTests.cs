using System.Text.Json;
using Switchboard.Routing;
using Xunit;

namespace Switchboard.Tests.Routing;

public sealed class SimulateCommandTests : IDisposable
{
    readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sb-simulate-");

    public void Dispose() => _dir.Delete(recursive: true);

    static string DemoConfig()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var f = Path.Combine(dir.FullName, "src/Switchboard/Demo/workspace.yaml");
            if (File.Exists(f))
                return f;
        }
        throw new FileNotFoundException("demo workspace not found");
    }

    FileInfo Write(string name, string content)
    {
        var path = Path.Combine(_dir.FullName, name);
        File.WriteAllText(path, content);
        return new FileInfo(path);
    }

    async Task<(int Code, List<JsonElement> Events, string Stderr)> Run(string input, string? config = null)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await SimulateCommand.RunAsync(config is null ? new FileInfo(DemoConfig()) : Write("config.yaml", config),
            Write("input.jsonl", input), stdout, stderr, CancellationToken.None);
        var events = stdout.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
        return (code, events, stderr.ToString());
    }

    // Monday 2026-11-23 10:00 Berlin = 09:00Z: Customer Service (support-extended calendar) is working.
    const string Conversation = """
        {"id":"p1","channel":"twitter","text":"my order never arrived","created_at":"2026-11-23T09:00:00Z","author":{"id":"u1","handle":"carla"},"lang":"en","sentiment":"negative","intent":"complaint"}
        {"event":"agent_ack","agent":"maria@demo.switchboard.local","conversation":"p1","at":"2026-11-23T13:10:00Z"}
        {"id":"p2","channel":"twitter","text":"hello?","created_at":"2026-11-23T09:20:00Z","author":{"id":"u1","handle":"carla"}}
        {"id":"r1","channel":"twitter","text":"sorry!","created_at":"2026-11-23T13:30:00Z","in_reply_to":"p2","outgoing":true}
        {"event":"agent_resolve","agent":"maria@demo.switchboard.local","conversation":"p1","at":"2026-11-23T14:00:00Z"}
        """;

    [Fact]
    public async Task A_complaint_is_routed_assigned_timed_escalated_acknowledged_and_resolved_in_time_order()
    {
        var (code, events, stderr) = await Run(Conversation);
        Assert.Equal(0, code);
        var kinds = events.Select(e => e.GetProperty("event").GetString()).ToList();
        Assert.Equal("routed", kinds[0]);
        Assert.Equal("customer-service", events[0].GetProperty("team").GetString());
        Assert.Contains("rule 'angry complaints' matched", events[0].GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal("assigned", kinds.First(k => k is "assigned" or "queued"));
        Assert.Contains("sla_started", kinds);
        // standard policy on berlin-office: first response 4h from 10:00 Berlin → 14:00 Berlin (13:00Z), lunch 12:30-13:30 → 15:00 Berlin.
        var fr = events.First(e => e.GetProperty("event").GetString() == "sla_started" && e.GetProperty("metric").GetString() == "first_response");
        Assert.Equal("2026-11-23T14:00:00+00:00", fr.GetProperty("due").GetString());
        Assert.Contains("warning", kinds);
        Assert.Contains("acknowledged", kinds);
        Assert.Equal("resolved", kinds[^1]);
        var times = events.Select(e => DateTimeOffset.Parse(e.GetProperty("at").GetString()!, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(times.Order(), times);
        Assert.All(events, e => Assert.Equal(["at", "conversation", "event", "team", "agent", "policy", "metric", "level", "due", "reason"],
            e.EnumerateObject().Select(p => p.Name)));
        Assert.Contains("\"summary\"", stderr, StringComparison.Ordinal);
        Assert.Contains("\"conversations\":1", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_agent_replies_clocks_breach_and_the_ladder_climbs_to_the_top()
    {
        var (code, events, _) = await Run("""
            {"id":"p1","channel":"twitter","text":"where is my parcel","created_at":"2026-11-23T09:00:00Z","author":{"id":"u1"}}
            """);
        Assert.Equal(0, code);
        var breaches = events.Where(e => e.GetProperty("event").GetString() == "breach").Select(e => e.GetProperty("metric").GetString()).ToList();
        Assert.Contains("first_response", breaches);
        Assert.Contains("resolution", breaches);
        var levels = events.Where(e => e.GetProperty("event").GetString() == "escalated" && e.GetProperty("metric").GetString() == "first_response")
            .Select(e => e.GetProperty("level").GetString()).ToList();
        Assert.Equal(["1", "2", "3"], levels); // standard (2 levels) then management (1 level)
        Assert.Contains(events, e => e.GetProperty("event").GetString() == "reassigned");
    }

    [Fact]
    public async Task Agents_in_online_events_start_offline_so_conversations_queue_until_someone_comes_online()
    {
        var (code, events, _) = await Run("""
            {"event":"agent_online","agent":"maria@demo.switchboard.local","at":"2026-11-23T09:30:00Z"}
            {"event":"agent_offline","agent":"admin@demo.switchboard.local","at":"2026-11-23T08:00:00Z"}
            {"event":"agent_offline","agent":"carlos@demo.switchboard.local","at":"2026-11-23T08:00:00Z"}
            {"event":"agent_offline","agent":"fatima@demo.switchboard.local","at":"2026-11-23T08:00:00Z"}
            {"event":"agent_offline","agent":"tom@demo.switchboard.local","at":"2026-11-23T08:00:00Z"}
            {"id":"p1","channel":"twitter","text":"hi","created_at":"2026-11-23T09:00:00Z","author":{"id":"u1"}}
            """);
        Assert.Equal(0, code);
        var queued = events.Single(e => e.GetProperty("event").GetString() == "queued");
        Assert.Contains("offline", queued.GetProperty("reason").GetString(), StringComparison.Ordinal);
        var assigned = events.First(e => e.GetProperty("event").GetString() == "assigned");
        Assert.Equal(("maria@demo.switchboard.local", "2026-11-23T09:30:00+00:00"),
            (assigned.GetProperty("agent").GetString(), assigned.GetProperty("at").GetString()));
    }

    [Fact]
    public async Task A_crisis_keyword_escalates_to_the_top_immediately()
    {
        var (_, events, _) = await Run("""
            {"id":"p1","channel":"twitter","text":"we are filing a lawsuit","created_at":"2026-11-23T09:00:00Z","author":{"id":"u1"}}
            """);
        var first = events.First(e => e.GetProperty("event").GetString() == "escalated");
        Assert.Equal(("crisis", "3", "2026-11-23T09:00:00+00:00"),
            (first.GetProperty("metric").GetString(), first.GetProperty("level").GetString(), first.GetProperty("at").GetString()));
        Assert.Contains("webhook:crisis-room", first.GetProperty("reason").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_lines_are_reported_with_their_line_and_skipped()
    {
        var (code, events, stderr) = await Run("""
            {"id":"p1","channel":"twitter","text":"hi","created_at":"2026-11-23T09:00:00Z"}
            {"id":"p2","channel":"twitter","text":"no time"}
            {"event":"agent_reply","conversation":"p1"}
            {"event":"teleport","at":"2026-11-23T09:00:00Z"}
            {"event":"agent_reply","conversation":"nope","at":"2026-11-23T09:05:00Z"}
            {not json
            """);
        Assert.Equal(0, code);
        Assert.Contains("line 2: post p2 has no created_at", stderr, StringComparison.Ordinal);
        Assert.Contains("line 3: event 'agent_reply' needs 'at'", stderr, StringComparison.Ordinal);
        Assert.Contains("line 4: unknown event 'teleport'", stderr, StringComparison.Ordinal);
        Assert.Contains("line 5: agent_reply for unknown conversation 'nope'", stderr, StringComparison.Ordinal);
        Assert.Contains("line 6", stderr, StringComparison.Ordinal);
        Assert.Equal("routed", events[0].GetProperty("event").GetString());
    }

    [Fact]
    public async Task An_invalid_config_is_refused_with_the_path_and_exit_code_2()
    {
        var config = File.ReadAllText(DemoConfig()).Replace("team: it\n", "team: Sales\n", StringComparison.Ordinal);
        var (code, events, stderr) = await Run(Conversation, config);
        Assert.Equal(2, code);
        Assert.Empty(events);
        Assert.Matches(@"routing\[\d+\]\.actions\.team: unknown team 'Sales'", stderr);
    }

    [Fact]
    public async Task Missing_files_and_empty_input_exit_with_2()
    {
        var missing = new FileInfo("/nonexistent.yaml");
        var stderr = new StringWriter();
        Assert.Equal(2, await SimulateCommand.RunAsync(missing, Write("i.jsonl", Conversation), new StringWriter(), stderr, CancellationToken.None));
        Assert.Equal($"error: config file '{missing.FullName}' does not exist", stderr.ToString().Trim());

        var missingInput = new FileInfo(Path.Combine(_dir.FullName, "nope.jsonl"));
        stderr = new StringWriter();
        Assert.Equal(2, await SimulateCommand.RunAsync(new FileInfo(DemoConfig()), missingInput, new StringWriter(), stderr, CancellationToken.None));
        Assert.Equal($"error: input file '{missingInput.FullName}' does not exist", stderr.ToString().Trim());

        Assert.Equal(2, (await Run("\n\n")).Code);
    }

    [Fact]
    public async Task A_directory_given_as_config_or_input_is_called_a_directory()
    {
        var folder = _dir.CreateSubdirectory("folder");
        var stderr = new StringWriter();
        Assert.Equal(2, await SimulateCommand.RunAsync(new FileInfo(folder.FullName), Write("i.jsonl", Conversation), new StringWriter(), stderr, CancellationToken.None));
        Assert.Equal($"error: config file '{folder.FullName}' is a directory, not a file", stderr.ToString().Trim());

        stderr = new StringWriter();
        Assert.Equal(2, await SimulateCommand.RunAsync(new FileInfo(DemoConfig()), new FileInfo(folder.FullName), new StringWriter(), stderr, CancellationToken.None));
        Assert.Equal($"error: input file '{folder.FullName}' is a directory, not a file", stderr.ToString().Trim());
    }
}
