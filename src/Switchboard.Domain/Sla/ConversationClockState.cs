namespace Switchboard.Sla;

internal enum ConversationStatus
{
    Open,
    WaitingOnCustomer,
    Snoozed,
    Resolved,
}

internal enum ClockStatus
{
    Running,
    Paused,
    Met,
    Stopped,
}

/// <summary>
/// One SLA clock. Business time used so far is <see cref="Consumed"/> plus, while running, the business time since
/// <see cref="RunningSince"/>. <see cref="Due"/> and <see cref="WarnAt"/> are computed whenever the clock (re)starts
/// so the host can store them on the conversation row and index them.
/// </summary>
internal sealed class MetricClock
{
    public SlaMetric Metric { get; set; }
    /// <summary>Next-response and reopened resolution clocks restart; each run is a cycle with its own effect keys.</summary>
    public int Cycle { get; set; }
    public string Policy { get; set; } = "";
    public TimeSpan Target { get; set; }
    public TimeSpan Consumed { get; set; }
    public DateTimeOffset StartedAt { get; set; }
    public DateTimeOffset? RunningSince { get; set; }
    public DateTimeOffset? Due { get; set; }
    public DateTimeOffset? WarnAt { get; set; }
    public bool Warned { get; set; }
    public bool Breached { get; set; }
    public ClockStatus Status { get; set; }

    /// <summary>The metric part of effect keys: "first_response", "next_response.2", "resolution.1".</summary>
    public string MetricKey => _metricKey is { } k && _keyFor == (Metric, Cycle) ? k : ComputeKey();

    string? _metricKey;
    (SlaMetric, int) _keyFor;

    string ComputeKey()
    {
        _keyFor = (Metric, Cycle);
        return _metricKey = Cycle == 0 ? Metric.Wire() : $"{Metric.Wire()}.{Cycle}";
    }

    public bool Active => Status is ClockStatus.Running or ClockStatus.Paused;

    public MetricClock Clone() => (MetricClock)MemberwiseClone();
}

/// <summary>A running escalation ladder: started by a breach (or a crisis), stopped by acknowledgement, meeting the metric or resolving.</summary>
internal sealed class LadderRun
{
    public string Ladder { get; set; } = "";
    public string Policy { get; set; } = "";
    public string Metric { get; set; } = "";
    public DateTimeOffset StartedAt { get; set; }
    /// <summary>Index of the next level to fire; equal to the level count when done.</summary>
    public int NextLevel { get; set; }
    public bool Stopped { get; set; }

    public LadderRun Clone() => (LadderRun)MemberwiseClone();
}

/// <summary>
/// Everything the timers of one conversation depend on. Plain data (serialisable as JSON) so the host stores it on the
/// conversation; every change goes through <see cref="ConversationClock.Apply"/>, which returns a new instance.
/// </summary>
internal sealed class ConversationClockState
{
    public string Conversation { get; set; } = "";
    public string? Policy { get; set; }
    public string? Team { get; set; }
    public string? Assignee { get; set; }
    public int AssignmentSeq { get; set; }
    public DateTimeOffset? AssignedAt { get; set; }
    public int ReassignFiredSeq { get; set; }
    public ConversationStatus Status { get; set; }
    public DateTimeOffset? SnoozedUntil { get; set; }
    public int CustomerMessages { get; set; }
    public DateTimeOffset? LastCustomerMessageAt { get; set; }
    public DateTimeOffset? LastAgentReplyAt { get; set; }
    public bool FirstResponseDone { get; set; }
    public int NextResponseCycle { get; set; }
    public int ResolutionCycle { get; set; }
    public bool Crisis { get; set; }
    public List<MetricClock> Clocks { get; set; } = [];
    public List<LadderRun> Ladders { get; set; } = [];
    /// <summary>"rule|customer-message-number" of time-based rules already fired.</summary>
    public HashSet<string> FiredRules { get; set; } = new(StringComparer.Ordinal);

    public static ConversationClockState New(string conversation) => new() { Conversation = conversation };

    public ConversationClockState Clone()
    {
        var c = (ConversationClockState)MemberwiseClone();
        c.Clocks = [.. Clocks.Select(x => x.Clone())];
        c.Ladders = [.. Ladders.Select(x => x.Clone())];
        c.FiredRules = new HashSet<string>(FiredRules, StringComparer.Ordinal);
        return c;
    }
}
