using System.Data.Common;
using System.Text.Json;
using System.Text.Json.Serialization;
using Dapper;
using Switchboard.Routing.Configuration;
using Switchboard.Storage;

namespace Switchboard.Sla;

/// <summary>
/// Persists a conversation's clock state: the state JSON (optimistically versioned), the deadline columns views sort
/// by, and the conversation's one durable timer row (its earliest pending timer) that the scheduler keys on.
/// </summary>
internal static class ClockStore
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.General) { Converters = { new JsonStringEnumConverter() } };

    public static ConversationClockState Read(string? json, long conversationId)
    {
        if (!string.IsNullOrEmpty(json))
        {
            var s = JsonSerializer.Deserialize<ConversationClockState>(json, Json);
            if (s is not null)
            {
                s.FiredRules = new HashSet<string>(s.FiredRules, StringComparer.Ordinal);
                return s;
            }
        }
        return ConversationClockState.New(Key(conversationId));
    }

    public static string Key(long conversationId) => conversationId.ToString(System.Globalization.CultureInfo.InvariantCulture);

    static long? Ms(DateTimeOffset? d) => d?.ToUnixTimeMilliseconds();

    /// <summary>The deadline of the latest active clock of a metric (paused clocks have none).</summary>
    static DateTimeOffset? DueOf(ConversationClockState s, SlaMetric metric) =>
        s.Status == ConversationStatus.Resolved ? null : s.Clocks.LastOrDefault(c => c.Metric == metric && c.Active)?.Due;

    /// <summary>
    /// Writes the state when the row still has <paramref name="expectedVersion"/>; false when someone else changed it
    /// first (the caller's transaction must then roll back and retry with fresh state).
    /// </summary>
    public static async Task<bool> SaveAsync(DbConnection conn, DbTransaction tx, long id, ConversationClockState s, Workspace ws,
        long expectedVersion, TimeProvider time)
    {
        var fr = DueOf(s, SlaMetric.FirstResponse);
        var nr = DueOf(s, SlaMetric.NextResponse);
        var res = DueOf(s, SlaMetric.Resolution);
        DateTimeOffset? next = null;
        foreach (var d in new[] { fr, nr, res })
        {
            if (d is { } v && (next is null || v < next))
                next = v;
        }
        // sla_policy is the policy that last applied: kept when the clocks stop (resolved), so reports still count the
        // conversation as one under an SLA policy.
        var policy = s.Clocks.LastOrDefault(c => c.Active)?.Policy ?? s.Policy;
        var n = await conn.ExecuteCachedAsync(
            """
            UPDATE conversations SET sla_state = @state, sla_version = sla_version + 1, sla_policy = COALESCE(@policy, sla_policy),
              first_response_due_at = @fr, next_response_due_at = @nr, resolution_due_at = @res, next_due_at = @next
            WHERE id = @id AND sla_version = @expectedVersion
            """,
            new { id, state = JsonSerializer.Serialize(s, Json), policy, fr = Ms(fr), nr = Ms(nr), res = Ms(res), next = Ms(next), expectedVersion }, tx);
        if (n != 1)
            return false;
        var timer = ConversationClock.Earliest(s, ws);
        if (timer is null)
        {
            await conn.ExecuteCachedAsync("DELETE FROM sla_timers WHERE conversation_id = @id", new { id }, tx);
        }
        else
        {
            // Rewriting the row also drops any lease: the timer now describes the new state, and whoever held the
            // old one fails its own version check.
            await conn.ExecuteCachedAsync(
                """
                INSERT INTO sla_timers (conversation_id, due_at, kind, policy, metric, level, lease_owner, lease_until, updated_at)
                VALUES (@id, @due, @kind, @policy, @metric, @level, NULL, NULL, @now)
                ON CONFLICT (conversation_id) DO UPDATE SET due_at = excluded.due_at, kind = excluded.kind, policy = excluded.policy,
                  metric = excluded.metric, level = excluded.level, lease_owner = NULL, lease_until = NULL, updated_at = excluded.updated_at
                """,
                new
                {
                    id,
                    due = timer.Due.ToUnixTimeMilliseconds(),
                    kind = timer.Kind.ToString(),
                    policy = timer.Policy,
                    metric = timer.Metric,
                    level = timer.Level,
                    now = time.GetUtcNow().ToUnixTimeMilliseconds(),
                }, tx);
        }
        return true;
    }
}
