using System.Buffers;
using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Switchboard.Posts;
using Switchboard.Routing.Configuration;
using Switchboard.Routing.Simulation;

namespace Switchboard.Routing;

/// <summary>
/// <c>switchboard simulate --config FILE --input FILE [--output FILE]</c>: replays posts and agent events through a
/// routing/SLA configuration on a simulated clock (docs/configuration.md, "Simulation"). Events go to the output
/// (stdout by default) as JSON lines in time order; the summary and any input warnings go to stderr.
/// </summary>
internal static class SimulateCommand
{
    const int MaxReportedInputErrors = 20;

    public static Command Create()
    {
        var cmd = new Command("simulate", "Replay posts and agent events through a routing/SLA configuration on a simulated clock");
        var config = new Option<FileInfo>("--config") { Description = "Workspace YAML (teams, agents, calendars, SLA policies, ladders, routing)", Required = true };
        var input = new Option<FileInfo>("--input") { Description = "Switchboard post JSONL with timestamps, optionally interleaved with agent events", Required = true };
        var output = new Option<FileInfo?>("--output") { Description = "Write events here instead of stdout" };
        cmd.Options.Add(config);
        cmd.Options.Add(input);
        cmd.Options.Add(output);
        cmd.SetAction(async (parse, ct) =>
        {
            var outFile = parse.GetValue(output);
            if (outFile is null)
                return await RunAsync(parse.GetValue(config)!, parse.GetValue(input)!, Console.Out, Console.Error, ct);
            // The events replace the output only when the run succeeds: a bad config or input must not leave an
            // existing output emptied.
            return await Hosting.CliFiles.ReplaceOnSuccessAsync(outFile, async stream =>
            {
                await using var writer = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true);
                return await RunAsync(parse.GetValue(config)!, parse.GetValue(input)!, writer, Console.Error, ct);
            }, Console.Error);
        });
        return cmd;
    }

    internal static async Task<int> RunAsync(FileInfo config, FileInfo input, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        foreach (var (file, what) in new[] { (config, "config file"), (input, "input file") })
        {
            if (Hosting.CliFiles.InputProblem(file, what) is { } problem)
            {
                await stderr.WriteLineAsync("error: " + problem);
                return 2;
            }
        }
        WorkspaceLoadResult loaded;
        using (var reader = new StreamReader(config.FullName))
            loaded = WorkspaceLoader.Load(reader);
        if (loaded.Workspace is not { } ws)
        {
            foreach (var e in loaded.Errors)
                await stderr.WriteLineAsync($"{config.Name}: {e}");
            return 2;
        }
        List<SimInput> inputs;
        using (var reader = new StreamReader(input.FullName))
            inputs = await ReadInputsAsync(reader, stderr, ct);
        if (inputs.Count == 0)
        {
            await stderr.WriteLineAsync($"error: no usable posts or agent events in '{input.Name}'");
            return 2;
        }
        ct.ThrowIfCancellationRequested();
        var sink = new EventWriter(stdout);
        var summary = Simulator.Run(inputs, ws, sink.Write);
        await stdout.FlushAsync(ct);
        foreach (var w in summary.Warnings)
            await stderr.WriteLineAsync("warning: " + w);
        await stderr.WriteLineAsync(SummaryJson(summary));
        return 0;
    }

    /// <summary>Posts and agent events from one file; bad lines are reported (the first few) and skipped.</summary>
    internal static async Task<List<SimInput>> ReadInputsAsync(TextReader reader, TextWriter stderr, CancellationToken ct)
    {
        var inputs = new List<SimInput>();
        var errors = 0;
        foreach (var record in PostFiles.Read(reader))
        {
            ct.ThrowIfCancellationRequested();
            string? error;
            if (record.Fields.TryGetValue("event", out var kind))
            {
                error = AgentEvent(record, kind, out var ev);
                if (ev is not null)
                    inputs.Add(ev);
            }
            else if (record.Post is { } post)
            {
                error = post.CreatedAt is { } at ? null : $"line {record.Line}: post {post.Id} has no created_at; a simulation needs timestamps";
                if (error is null)
                    inputs.Add(new SimPost(post.CreatedAt!.Value, record.Line, post, record.Fields));
            }
            else
            {
                error = record.Error ?? $"line {record.Line}: unreadable";
            }
            if (error is not null && ++errors <= MaxReportedInputErrors)
                await stderr.WriteLineAsync("skipped " + error);
        }
        if (errors > MaxReportedInputErrors)
            await stderr.WriteLineAsync($"skipped {errors} bad lines in all");
        return inputs;
    }

    static readonly string[] AgentEventKinds = ["agent_online", "agent_offline", "agent_reply", "agent_ack", "agent_resolve", "snooze", "pending"];

    static string? AgentEvent(PostRecord r, string kind, out SimAgentEvent? ev)
    {
        ev = null;
        if (!AgentEventKinds.Contains(kind))
            return $"line {r.Line}: unknown event '{kind}' (expected one of {string.Join(", ", AgentEventKinds)})";
        if (!r.Fields.TryGetValue("at", out var atRaw) || !TryTime(atRaw, out var at))
            return $"line {r.Line}: event '{kind}' needs 'at' as ISO-8601 with offset";
        DateTimeOffset? until = null;
        if (r.Fields.TryGetValue("until", out var untilRaw))
        {
            if (!TryTime(untilRaw, out var u))
                return $"line {r.Line}: 'until' must be ISO-8601 with offset";
            until = u;
        }
        var agent = r.Fields.GetValueOrDefault("agent");
        var conversation = r.Fields.GetValueOrDefault("conversation");
        if (kind is "agent_online" or "agent_offline" && agent is null)
            return $"line {r.Line}: event '{kind}' needs 'agent'";
        if (kind is not ("agent_online" or "agent_offline") && conversation is null)
            return $"line {r.Line}: event '{kind}' needs 'conversation'";
        ev = new SimAgentEvent(at, r.Line, kind, agent, conversation, until);
        return null;
    }

    static bool TryTime(string s, out DateTimeOffset value) =>
        DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.None, out value)
        && (s.EndsWith('Z') || s.EndsWith("z", StringComparison.Ordinal) || s.LastIndexOfAny(['+', '-']) > 10);

    internal static string Iso(DateTimeOffset t) => t.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFFzzz", CultureInfo.InvariantCulture);

    /// <summary>Writes each event as one JSON line, reusing one buffer (a simulation can emit millions of lines).</summary>
    sealed class EventWriter(TextWriter output)
    {
        readonly ArrayBufferWriter<byte> _buffer = new(512);
        // Relaxed escaping: the output is JSON lines for people and tools, never embedded in HTML.
        readonly Utf8JsonWriter _json = new(Stream.Null, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });

        public void Write(SimEvent e)
        {
            _buffer.ResetWrittenCount();
            _json.Reset(_buffer);
            _json.WriteStartObject();
            Time("at", e.At);
            _json.WriteString("conversation", e.Conversation);
            _json.WriteString("event", e.Event);
            Str("team", e.Team);
            Str("agent", e.Agent);
            Str("policy", e.Policy);
            Str("metric", e.Metric);
            Str("level", e.Level);
            if (e.Due is { } d)
                Time("due", d);
            else
                _json.WriteNull("due");
            Str("reason", e.Reason);
            _json.WriteEndObject();
            _json.Flush();
            output.WriteLine(Encoding.UTF8.GetString(_buffer.WrittenSpan));
        }

        /// <summary>UTC, ISO-8601 with offset; the whole-second case (nearly all) skips the general formatter.</summary>
        void Time(string name, DateTimeOffset t)
        {
            Span<char> buf = stackalloc char[40];
            if (t.UtcTicks % TimeSpan.TicksPerSecond == 0 && t.UtcDateTime.TryFormat(buf, out var n, "s", CultureInfo.InvariantCulture))
            {
                "+00:00".CopyTo(buf[n..]);
                _json.WriteString(name, buf[..(n + 6)]);
            }
            else
            {
                _json.WriteString(name, Iso(t.ToUniversalTime()));
            }
        }

        void Str(string name, string? value)
        {
            if (value is null)
                _json.WriteNull(name);
            else
                _json.WriteString(name, value);
        }
    }

    internal static string SummaryJson(SimSummary s)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteStartObject("summary");
            json.WriteNumber("posts", s.Posts);
            json.WriteNumber("agent_events", s.AgentEvents);
            json.WriteNumber("conversations", s.Conversations);
            json.WriteNumber("decisions", s.Decisions);
            if (s.From is { } from)
                json.WriteString("from", Iso(from));
            if (s.To is { } to)
                json.WriteString("to", Iso(to));
            json.WriteStartObject("events");
            foreach (var (k, v) in s.Events)
                json.WriteNumber(k, v);
            json.WriteEndObject();
            json.WriteStartObject("breaches");
            foreach (var (k, v) in s.BreachesByMetric)
                json.WriteNumber(k, v);
            json.WriteEndObject();
            json.WriteNumber("met_in_time", s.MetInTime);
            json.WriteNumber("met_late", s.MetLate);
            json.WriteNumber("reassign_without_candidate", s.ReassignWithoutCandidate);
            json.WriteNumber("max_queue_length", s.MaxQueueLength);
            json.WriteNumber("warnings", s.Warnings.Count);
            json.WriteEndObject();
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
