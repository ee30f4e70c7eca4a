using Switchboard.Classification.Scoring;
using Switchboard.Classification.Sentiment;

namespace Switchboard.Classification;

// Everything about the workspace that changes a post's labels: its audience lists, which channels are internal,
// and the tunable weights. Build one per workspace and reuse it; it is immutable and thread-safe.
internal sealed record ClassifierContext
{
    public static ClassifierContext Default { get; } = new();

    public AudienceLists Audience { get; init; } = AudienceLists.Empty;
    // Channels whose posts come from inside the company (Slack, Teams, an intranet feed...).
    public IReadOnlySet<string> InternalChannels { get; init; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
    public InfluenceOptions Influence { get; init; } = InfluenceOptions.Default;
    public UrgencyOptions Urgency { get; init; } = UrgencyOptions.Default;
    public SentimentOptions Sentiment { get; init; } = SentimentOptions.Default;
}
