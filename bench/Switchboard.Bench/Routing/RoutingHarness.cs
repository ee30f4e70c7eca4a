using System.Diagnostics;
using System.Globalization;
using System.Text;
using Switchboard.Routing;
using Switchboard.Routing.Configuration;
using Switchboard.Sla;

namespace Switchboard.Bench.Routing;

/// <summary>
/// <c>-- routing [posts] [seed]</c>: routing + assignment decisions per second on one core (target ≥ 50,000/s),
/// business-time deadlines against the naive minute-by-minute walk (the baseline, same inputs), and end-to-end
/// <c>switchboard simulate</c> throughput on generated traffic (target: 100,000 posts in under 10 s).
/// </summary>
internal static class RoutingHarness
{
    public static int Run(string[] args)
    {
        var posts = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100_000;
        var seed = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : Environment.TickCount;
        Console.WriteLine($"machine load average: {(File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "n/a")}");
        Console.WriteLine($"routing harness: seed {seed}, {posts:N0} simulated posts, {Environment.ProcessorCount} cores visible, single-threaded");
        var configPath = FindRepoFile("src/Switchboard/Demo/workspace.yaml");
        var ws = WorkspaceLoader.LoadText(File.ReadAllText(configPath)).Workspace ?? throw new InvalidOperationException("demo workspace invalid");
        var rng = new Random(seed);

        // 1. Routing + assignment decisions.
        var inputs = Enumerable.Range(0, 20_000).Select(i => RandomInput(rng, i)).ToArray();
        var loads = ws.Agents.ToDictionary(a => a.Id, a => new AgentLoad(rng.Next(4) > 0, rng.Next(a.Capacity + 1), null), StringComparer.OrdinalIgnoreCase);
        var cursors = new Dictionary<string, int>();
        long decisions = 0, assigned = 0;
        foreach (var input in inputs.Take(5_000))
            _ = Assigner.Decide(new AssignmentRequest("c", RoutingEngine.Route(input, ws).Team, [], input.Language), ws, loads, -1); // warm-up (JIT)
        var sw = Stopwatch.StartNew();
        var cpu0 = Cpu();
        while (sw.Elapsed < TimeSpan.FromSeconds(3))
        {
            foreach (var input in inputs)
            {
                var d = RoutingEngine.Route(input, ws);
                var a = Assigner.Decide(new AssignmentRequest("c", d.Team, d.Skills, input.Language), ws, loads, cursors.GetValueOrDefault(d.Team, -1));
                cursors[d.Team] = a.RoundRobinCursor;
                if (a.Agent is not null)
                    assigned++;
                decisions++;
            }
        }
        var cpu = (Cpu() - cpu0).TotalSeconds;
        var perSecond = decisions / cpu;
        Console.WriteLine($"routing+assignment: {decisions:N0} decisions in {sw.Elapsed.TotalSeconds:0.00} s wall, {cpu:0.00} s CPU = {perSecond:N0}/CPU-s " +
            $"({decisions / sw.Elapsed.TotalSeconds:N0}/wall-s; {perSecond / 50_000:0.0}x the 50,000/s target; {100.0 * assigned / decisions:0}% assigned, rest queued)");

        // 2. Business-time deadlines vs the naive minute-by-minute walk on the same cases.
        var cal = ws.Calendars["berlin-office"];
        var starts = Enumerable.Range(0, 2_000).Select(_ => new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddMinutes(rng.Next(0, 525_600))).ToArray();
        var target = TimeSpan.FromHours(8);
        var (fastN, fastT) = Measure(() => { foreach (var s in starts) _ = cal.AddBusinessTime(s, target); return starts.Length; });
        var (slowN, slowT) = Measure(() => { foreach (var s in starts.Take(200)) _ = NaiveAdd(cal, s, target); return 200; });
        var fast = fastN / fastT;
        var slow = slowN / slowT;
        Console.WriteLine($"deadline (8 business hours, split shifts, Berlin): {fast:N0}/s vs naive minute walk {slow:N0}/s = {fast / slow:0}x");

        // 3. End-to-end simulate.
        var dir = Directory.CreateTempSubdirectory("sb-routing-bench-");
        try
        {
            var inputFile = new FileInfo(Path.Combine(dir.FullName, "traffic.jsonl"));
            var (lines, agentEvents) = WriteTraffic(inputFile.FullName, posts, rng);
            var stderr = new StringWriter();
            sw.Restart();
            var simCpu0 = Cpu();
            var code = SimulateCommand.RunAsync(new FileInfo(configPath), inputFile, TextWriter.Null, stderr, CancellationToken.None).GetAwaiter().GetResult();
            var wall = sw.Elapsed.TotalSeconds;
            var elapsed = (Cpu() - simCpu0).TotalSeconds;
            var summary = stderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "";
            Console.WriteLine($"simulate: {posts:N0} posts + {agentEvents:N0} agent events ({lines:N0} lines) in {wall:0.00} s wall, {elapsed:0.00} s CPU " +
                $"= {posts / elapsed:N0} posts/CPU-s, exit {code} (CPU time is {100 * elapsed / 10:0}% of the 10 s target)");
            Console.WriteLine("summary: " + summary);
            // Of which: reading and parsing the input file (PostFiles), measured separately on the same file.
            var readCpu0 = Cpu();
            using (var reader = new StreamReader(inputFile.FullName))
                _ = SimulateCommand.ReadInputsAsync(reader, TextWriter.Null, CancellationToken.None).GetAwaiter().GetResult();
            Console.WriteLine($"of which reading the input (second read, warm): {(Cpu() - readCpu0).TotalSeconds:0.00} s CPU");
            return code;
        }
        finally
        {
            if (Environment.GetEnvironmentVariable("KEEP_TRAFFIC") is { } keep)
                File.Copy(Path.Combine(dir.FullName, "traffic.jsonl"), keep, true);
            dir.Delete(recursive: true);
        }
    }

    /// <summary>
    /// CPU time of the process. The machine is shared and oversubscribed, so wall time mostly measures the neighbours;
    /// CPU time is what the work costs on one core (it includes GC and JIT threads, so it errs on the slow side).
    /// </summary>
    static TimeSpan Cpu() => Process.GetCurrentProcess().TotalProcessorTime;

    static (long N, double Seconds) Measure(Func<int> body)
    {
        long n = 0;
        var sw = Stopwatch.StartNew();
        var cpu0 = Cpu();
        while (sw.Elapsed < TimeSpan.FromSeconds(2))
            n += body();
        return (n, (Cpu() - cpu0).TotalSeconds);
    }

    static DateTimeOffset NaiveAdd(BusinessCalendar cal, DateTimeOffset start, TimeSpan duration)
    {
        var t = start;
        for (var left = (int)duration.TotalMinutes; left > 0; t = t.AddMinutes(1))
        {
            if (cal.IsOpen(t))
                left--;
        }
        return t;
    }

    static readonly string[] Texts =
    [
        "my order never arrived", "love the new campaign", "cannot login to the app", "is there a partner program",
        "are you hiring interns", "great service today", "thinking about a boycott", "the app shows an error",
        "where is my refund", "question about the brand event", "password reset does not work", "thanks a lot",
    ];

    static readonly string[] Sentiments = ["negative", "neutral", "positive"];
    static readonly string[] Intents = ["complaint", "question", "praise"];
    static readonly string[] Langs = ["en", "de", "fr", "es", "nl"];
    static readonly string[] Topics = ["campaign", "brand", "product", "support"];

    static RoutingInput RandomInput(Random rng, int i) => new(
        rng.Next(3) == 0 ? "mastodon" : "twitter", Texts[rng.Next(Texts.Length)],
        new DateTimeOffset(2026, 11, 23, 0, 0, 0, TimeSpan.Zero).AddMinutes(rng.Next(10_080)),
        Langs[rng.Next(Langs.Length)], [Topics[rng.Next(Topics.Length)]], Sentiments[rng.Next(3)], Intents[rng.Next(3)],
        AuthorId: "u" + rng.Next(50_000), AuthorHandle: rng.Next(200) == 0 ? "techreporter" : "user" + i, Followers: rng.Next(200_000));

    /// <summary>A week of traffic: posts ~6 s apart, a third continuing a recent conversation; replies, acks and resolutions for most.</summary>
    static (int Lines, int AgentEvents) WriteTraffic(string path, int posts, Random rng)
    {
        var start = new DateTimeOffset(2026, 11, 23, 0, 0, 0, TimeSpan.Zero);
        var span = TimeSpan.FromDays(7).Ticks;
        var lines = new List<(long Ticks, string Line)>(posts * 2);
        var agentEvents = 0;
        var recent = new List<(string Conv, string Author)>();
        for (var i = 0; i < posts; i++)
        {
            var t = start.AddTicks(span / posts * i);
            string conv, author;
            if (recent.Count > 0 && rng.Next(3) == 0)
            {
                (conv, author) = recent[rng.Next(recent.Count)];
            }
            else
            {
                conv = "p" + i;
                author = "u" + rng.Next(50_000);
                recent.Add((conv, author));
                if (recent.Count > 500)
                    recent.RemoveAt(0);
                if (rng.Next(10) < 7)
                {
                    lines.Add((t.AddMinutes(rng.Next(5, 300)).UtcTicks, $$"""{"event":"agent_reply","conversation":"{{conv}}","at":"{{Iso(t.AddMinutes(rng.Next(5, 300)))}}"}"""));
                    agentEvents++;
                }
                if (rng.Next(10) < 5)
                {
                    var at = t.AddMinutes(rng.Next(60, 2_880));
                    lines.Add((at.UtcTicks, $$"""{"event":"agent_resolve","conversation":"{{conv}}","at":"{{Iso(at)}}"}"""));
                    agentEvents++;
                }
            }
            var text = Texts[rng.Next(Texts.Length)];
            lines.Add((t.UtcTicks, $$"""{"id":"m{{i}}","channel":"twitter","text":"{{text}}","created_at":"{{Iso(t)}}","author":{"id":"{{author}}","followers":{{rng.Next(200_000)}}},"lang":"{{Langs[rng.Next(Langs.Length)]}}","conversation":"{{conv}}","sentiment":"{{Sentiments[rng.Next(3)]}}","intent":"{{Intents[rng.Next(3)]}}"}"""));
        }
        // Agent events can land before their conversation's first post in file order; the simulator orders by time.
        using var w = new StreamWriter(path, false, new UTF8Encoding(false));
        foreach (var (_, line) in lines.OrderBy(l => l.Ticks))
            w.WriteLine(line);
        return (lines.Count, agentEvents);
    }

    static string Iso(DateTimeOffset t) => t.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    static string FindRepoFile(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var f = Path.Combine(dir.FullName, relative);
            if (File.Exists(f))
                return f;
        }
        throw new FileNotFoundException(relative);
    }
}
