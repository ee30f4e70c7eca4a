using System.Diagnostics;
using System.Globalization;
using Switchboard.Hosting;

namespace Switchboard.Ingest;

/// <summary>The moments of a message's way through ingest at which <see cref="IngestFaults"/> can crash the process.</summary>
internal enum FaultPoint
{
    /// <summary>The source has the message (request body read, stream event parsed); nothing of it is queued yet.</summary>
    AfterReceive,

    /// <summary>Inside the ingest batch, everything written, before its transaction commits.</summary>
    BeforeCommit,

    /// <summary>Committed; the item's completion is not set, so no HTTP answer is sent and no cursor saved.</summary>
    AfterCommit,

    /// <summary>The source has acknowledged: the HTTP 2xx is sent, or the connector's cursor is saved.</summary>
    AfterAck,
}

/// <summary>
/// TEST HOOK for the reliability plan's "ack after commit" test (AckAfterCommitTests): with
/// <c>SWITCHBOARD_FAULTS=before-commit:37</c> the server kills itself (SIGKILL on Linux, no shutdown, no flushing:
/// exactly what <c>kill -9</c> does) when the 37th message since its start crosses that point. Unset, nothing is
/// created and every call site costs one null check (<c>faults?.Cross(…)</c>), with no allocation. Read only from the
/// environment (<see cref="ServeSettings.Faults"/>), never from a configuration file, so it cannot be switched on by
/// accident; a server started with it says so in its log.
/// </summary>
internal sealed class IngestFaults
{
    public const string Variable = "SWITCHBOARD_FAULTS";

    private static readonly (string Name, FaultPoint Point)[] Names =
    [
        ("after-receive", FaultPoint.AfterReceive),
        ("before-commit", FaultPoint.BeforeCommit),
        ("after-commit", FaultPoint.AfterCommit),
        ("after-ack", FaultPoint.AfterAck),
    ];

    private long _crossed;

    private IngestFaults(FaultPoint point, long at)
    {
        Point = point;
        At = at;
    }

    public FaultPoint Point { get; }

    /// <summary>The message (1-based, counted from the process start) whose crossing of <see cref="Point"/> kills the process.</summary>
    public long At { get; }

    public override string ToString() => $"{NameOf(Point)}:{At.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The fault configured in <see cref="Variable"/>, or null when it is unset or empty.</summary>
    public static IngestFaults? FromEnvironment() => Parse(Environment.GetEnvironmentVariable(Variable));

    /// <summary>
    /// <c>&lt;point&gt;:&lt;n&gt;</c>, e.g. <c>after-commit:250</c>. A value that is set but malformed stops the start
    /// (<see cref="CliException"/>: "error: …", exit code 2) instead of silently running without the fault.
    /// </summary>
    public static IngestFaults? Parse(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
            return null;
        var colon = value.IndexOf(':', StringComparison.Ordinal);
        var name = colon < 0 ? value.Trim() : value[..colon].Trim();
        var point = Array.FindIndex(Names, n => n.Name == name);
        if (colon < 0 || point < 0
            || !long.TryParse(value.AsSpan(colon + 1).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var at) || at < 1)
        {
            throw new CliException(
                $"{Variable}='{value}' is not valid: expected <point>:<n>, a point of {string.Join(", ", Names.Select(n => n.Name))} " +
                "and n the message (from 1) at which the process crashes, e.g. before-commit:37");
        }

        return new IngestFaults(Names[point].Point, at);
    }

    /// <summary>
    /// <paramref name="messages"/> messages cross <paramref name="point"/> (a batch crosses with all of its posts); the
    /// process dies if the configured message is among them. Thread-safe: exactly one caller crosses the mark.
    /// </summary>
    public void Cross(FaultPoint point, int messages)
    {
        if (point != Point || messages <= 0)
            return;
        var after = Interlocked.Add(ref _crossed, messages);
        if (after >= At && after - messages < At)
            Crash();
    }

    /// <summary>After-ack for an HTTP source: the answer is the ack, so the crossing happens once it has been sent.</summary>
    public void CrossAfterResponse(HttpResponse response, int messages) => response.OnCompleted(() =>
    {
        Cross(FaultPoint.AfterAck, messages);
        return Task.CompletedTask;
    });

    private void Crash()
    {
        // Written before dying so the test (and anyone reading the log) can tell this crash from a real one.
        Console.Error.WriteLine($"{Variable}: crashing at {this} (killing the process, as kill -9 would)");
        Process.GetCurrentProcess().Kill();
        Environment.FailFast($"{Variable}: crashing at {this}");
    }

    private static string NameOf(FaultPoint point) => Array.Find(Names, n => n.Point == point).Name;
}
