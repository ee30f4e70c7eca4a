using System.Text.Json;
using System.Text.Json.Serialization;

namespace Switchboard.Routing;

/// <summary>
/// Why a conversation is where it is, stored as JSON in <c>conversations.route_trace</c> and returned by
/// GET /api/conversations/{id}: the rules (matched or the first failing condition), the decision, the assignment with
/// every candidate's score, load and exclusion reason, and the SLA policy and calendar behind each deadline.
/// </summary>
internal sealed record RouteTrace(
    long ConfigVersion,
    DateTimeOffset At,
    IReadOnlyList<RuleTraceDto> Rules,
    RouteDecisionDto Decision,
    AssignmentTraceDto? Assignment,
    SlaTraceDto? Sla)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static RouteTrace? Parse(string? json)
    {
        if (string.IsNullOrEmpty(json))
            return null;
        try
        {
            return JsonSerializer.Deserialize<RouteTrace>(json, Json);
        }
        catch (JsonException)
        {
            return null; // a trace written by an older version: shown as missing rather than failing the page
        }
    }
}

internal sealed record RuleTraceDto(string Rule, bool Matched, string Reason);

internal sealed record RouteDecisionDto(string Team, string Priority, IReadOnlyList<string> Labels, string? SlaPolicy,
    IReadOnlyList<string> Skills, bool RequireApproval, IReadOnlyList<string> Notify, bool Crisis, string Explanation, string? Language = null);

internal sealed record CandidateDto(long UserId, string Name, bool Eligible, double Score, int Load, int Capacity, string? Excluded);

internal sealed record AssignmentTraceDto(DateTimeOffset At, long? AgentId, string? AgentName, string Reason, IReadOnlyList<CandidateDto> Candidates);

internal sealed record DeadlineDto(string Metric, DateTimeOffset? Due, string Reason);

internal sealed record SlaTraceDto(string? Policy, string? Calendar, string? Zone, IReadOnlyList<DeadlineDto> Deadlines);
