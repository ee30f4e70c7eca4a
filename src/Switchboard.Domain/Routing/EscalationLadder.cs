namespace Switchboard.Routing;

/// <summary>
/// One rung: fires <see cref="After"/> (wall-clock time) after the previous rung, or after the ladder starts for the
/// first one, and notifies <see cref="Targets"/> ("assignee", "team_lead", an agent email, "role:duty_manager",
/// "webhook:name" — the host resolves them).
/// </summary>
internal sealed record EscalationLevel(TimeSpan After, IReadOnlyList<string> Targets);

/// <summary>
/// A ladder with its levels already flattened across <c>then:</c> chains (the loader refuses cycles), so the runtime
/// never follows references. Ladders run on wall-clock time: once a breach happened, "15 minutes later" means now.
/// </summary>
internal sealed record EscalationLadder(string Name, IReadOnlyList<EscalationLevel> Levels)
{
    string[]? _descriptions;

    /// <summary>The trace sentence for a level (0-based), built once per ladder.</summary>
    public string Describe(int level) => (_descriptions ??= [.. Levels.Select((l, i) =>
        $"ladder '{Name}' level {i + 1} of {Levels.Count}, {l.After.TotalMinutes.ToString("0.#", System.Globalization.CultureInfo.InvariantCulture)} min after the previous step")])[level];

    /// <summary>Offset of each level from the ladder start (cumulative).</summary>
    public TimeSpan OffsetOf(int level)
    {
        var total = TimeSpan.Zero;
        for (var i = 0; i <= level; i++)
            total += Levels[i].After;
        return total;
    }
}
