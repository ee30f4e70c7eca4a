using System.Data.Common;
using System.Globalization;
using System.Text;
using Dapper;

namespace Switchboard.Inbox;

/// <summary>One row of a conversation list.</summary>
public sealed record ConversationSummary(
    long Id,
    string Channel,
    string Status,
    string Priority,
    string Subject,
    long MessageCount,
    string? Team,
    string? TeamName,
    long? AssigneeId,
    string? Assignee,
    string? AuthorHandle,
    string? AuthorName,
    string? Sentiment,
    string? Intent,
    string? Department,
    double Urgency,
    DateTimeOffset CreatedAt,
    DateTimeOffset LastMessageAt,
    DateTimeOffset? NextDueAt = null,
    long EscalationLevel = 0,
    DateTimeOffset? HoldingSince = null,
    DateTimeOffset? SnoozedUntil = null)
{
    /// <summary>Labels on the conversation (conversation_labels), alphabetical.</summary>
    public IReadOnlyList<string> Labels { get; init; } = [];
}

/// <summary>A message of a conversation's thread.</summary>
public sealed record ThreadMessage(
    long Id,
    string ExternalId,
    string Direction,
    string Text,
    string? Lang,
    string? Url,
    string? InReplyTo,
    string? AuthorHandle,
    string? AuthorName,
    DateTimeOffset CreatedAt,
    string? Sentiment,
    double? SentimentScore,
    string? Intent,
    string? Department,
    double? Urgency,
    double? Influence,
    string? Explain);

/// <summary>The author panel of a conversation.</summary>
public sealed record AuthorProfile(long Id, string Channel, string ExternalId, string? Handle, string? Name, long? Followers, bool? Verified, long Conversations);

public sealed record ConversationDetail(ConversationSummary Conversation, string? RouteReason, AuthorProfile? Author, IReadOnlyList<ThreadMessage> Messages);

/// <summary>Filters of a conversation list. Null means "any".</summary>
public sealed partial record ConversationFilter(
    string? Team = null,
    IReadOnlyCollection<long>? TeamIds = null,
    string? Status = null,
    long? AssigneeId = null,
    bool UnassignedOnly = false,
    string? Sentiment = null,
    string? Intent = null,
    string? Department = null,
    long? TopicId = null,
    string? LabelName = null,
    string? LabelValue = null,
    string? ConversationLabel = null);

public sealed record ConversationPage(IReadOnlyList<ConversationSummary> Items, string? NextCursor);

/// <summary>
/// Reads conversations for the inbox and the API. Lists use keyset pagination on (last_message_at, id), newest first:
/// a page costs the same at row 10 and at row 1,000,000, and rows arriving meanwhile never shift a page.
/// </summary>
internal static class ConversationQueries
{
    public const int MaxPageSize = 200;

    private const string SummaryColumns = """
        c.id AS Id, c.channel AS Channel, c.status AS Status, c.priority AS Priority, c.subject AS Subject,
        c.message_count AS MessageCount, t.slug AS Team, t.name AS TeamName, c.assignee_id AS AssigneeId,
        u.display_name AS Assignee, a.handle AS AuthorHandle, a.name AS AuthorName, c.sentiment AS Sentiment,
        c.intent AS Intent, c.department AS Department, c.urgency AS Urgency, c.created_at AS CreatedAtMs,
        c.last_message_at AS LastMessageAtMs, c.next_due_at AS NextDueAtMs, c.escalation_level AS EscalationLevel,
        c.holding_since AS HoldingSinceMs, c.snoozed_until AS SnoozedUntilMs
        """;

    private const string SummaryFrom = """
        FROM conversations c
        LEFT JOIN teams t ON t.id = c.team_id
        LEFT JOIN users u ON u.id = c.assignee_id
        LEFT JOIN authors a ON a.id = c.author_id
        """;

    public static async Task<ConversationPage> ListAsync(DbConnection conn, ConversationFilter filter, string? cursor, int limit, CancellationToken ct = default)
    {
        limit = Math.Clamp(limit, 1, MaxPageSize);
        var where = new List<string>();
        var p = new DynamicParameters();
        if (filter.Team is not null)
        {
            where.Add("t.slug = @team");
            p.Add("team", filter.Team);
        }

        if (filter.TeamIds is not null)
        {
            if (filter.TeamIds.Count == 0)
            {
                return new ConversationPage([], null);
            }

            where.Add($"c.team_id IN ({string.Join(',', filter.TeamIds.Select(i => i.ToString(CultureInfo.InvariantCulture)))})");
        }

        if (filter.Status is not null)
        {
            where.Add("c.status = @status");
            p.Add("status", filter.Status);
        }

        if (filter.AssigneeId is not null)
        {
            where.Add("c.assignee_id = @assignee");
            p.Add("assignee", filter.AssigneeId);
        }

        foreach (var (column, value) in new[] { ("sentiment", filter.Sentiment), ("intent", filter.Intent), ("department", filter.Department) })
        {
            if (value is not null)
            {
                where.Add($"c.{column} = @{column}");
                p.Add(column, value);
            }
        }

        if (filter.TopicId is not null)
        {
            // Conversations with at least one message the listening topic matched (ix_message_topics_topic).
            where.Add("c.id IN (SELECT mt.conversation_id FROM message_topics mt WHERE mt.topic_id = @topic)");
            p.Add("topic", filter.TopicId);
        }

        if (filter.LabelName is not null && filter.LabelValue is not null)
        {
            // A custom model's label (or a person's correction of it) on any message of the conversation.
            where.Add("EXISTS (SELECT 1 FROM message_labels ml JOIN messages lm ON lm.id = ml.message_id " +
                      "WHERE lm.conversation_id = c.id AND ml.name = @labelName AND ml.value = @labelValue)");
            p.Add("labelName", filter.LabelName);
            p.Add("labelValue", filter.LabelValue);
        }

        if (filter.ConversationLabel is not null)
        {
            where.Add("EXISTS (SELECT 1 FROM conversation_labels cl WHERE cl.conversation_id = c.id AND cl.label = @conversationLabel)");
            p.Add("conversationLabel", filter.ConversationLabel);
        }

        if (filter.UnassignedOnly)
        {
            where.Add("c.assignee_id IS NULL");
        }

        // Scope, views and extra conditions (InboxFilters.cs), then the sort's keyset condition.
        InboxFilters.Apply(filter, where, p);
        var order = InboxOrder.For(filter.Sort);
        order.ApplyCursor(cursor, where, p);

        p.Add("limit", limit + 1);
        var sql = $"SELECT {SummaryColumns} {SummaryFrom} {(where.Count > 0 ? "WHERE " + string.Join(" AND ", where) : "")} " +
                  $"ORDER BY {order.OrderBy} LIMIT @limit";
        var rows = (await conn.QueryAsync<SummaryRow>(new CommandDefinition(sql, p, cancellationToken: ct))).Select(r => r.ToSummary()).ToList();
        string? next = null;
        if (rows.Count > limit)
        {
            rows.RemoveAt(rows.Count - 1);
            var last = rows[^1];
            next = order.Encode(last);
        }

        var labels = await ConversationLabels.ForAsync(conn, [.. rows.Select(r => r.Id)], ct);
        return new ConversationPage([.. rows.Select(r => labels.Contains(r.Id) ? r with { Labels = [.. labels[r.Id]] } : r)], next);
    }

    /// <summary>One conversation with its thread, or null when it does not exist or lies outside the caller's scope.</summary>
    public static async Task<ConversationDetail?> GetAsync(DbConnection conn, long id, Auth.AccessScope scope, CancellationToken ct = default)
    {
        var p = new DynamicParameters(new { id });
        var row = await conn.QueryFirstOrDefaultAsync<SummaryRow>(new CommandDefinition(
            $"SELECT {SummaryColumns}, c.route_reason AS RouteReason, c.author_id AS AuthorId {SummaryFrom} WHERE c.id = @id AND {scope.Sql(p)}", p, cancellationToken: ct));
        if (row is null)
        {
            return null;
        }

        var messages = (await conn.QueryAsync<MessageRow>(new CommandDefinition(
            """
            SELECT m.id AS Id, m.external_id AS ExternalId, m.direction AS Direction, m.text AS Text, m.lang AS Lang, m.url AS Url,
                   m.in_reply_to AS InReplyTo, a.handle AS AuthorHandle, a.name AS AuthorName, m.created_at AS CreatedAtMs,
                   m.sentiment AS Sentiment, m.sentiment_score AS SentimentScore, m.intent AS Intent, m.department AS Department,
                   m.urgency AS Urgency, m.influence AS Influence, m.explain AS Explain
            FROM messages m LEFT JOIN authors a ON a.id = m.author_id
            WHERE m.conversation_id = @id ORDER BY m.created_at, m.id
            """, new { id }, cancellationToken: ct))).Select(m => m.ToMessage()).ToList();

        AuthorProfile? author = null;
        if (row.AuthorId is { } authorId)
        {
            var a = await conn.QueryFirstOrDefaultAsync<AuthorRow>(new CommandDefinition(
                """
                SELECT a.id AS Id, a.channel AS Channel, a.external_id AS ExternalId, a.handle AS Handle, a.name AS Name,
                       a.followers AS Followers, a.verified AS Verified,
                       (SELECT COUNT(*) FROM conversations c WHERE c.author_id = a.id) AS Conversations
                FROM authors a WHERE a.id = @authorId
                """, new { authorId }, cancellationToken: ct));
            author = a is null ? null : new AuthorProfile(a.Id, a.Channel, a.ExternalId, a.Handle, a.Name, a.Followers,
                a.Verified is null ? null : a.Verified != 0, a.Conversations);
        }

        var summary = row.ToSummary() with { Labels = await ConversationLabels.ListAsync(conn, null, id, ct) };
        return new ConversationDetail(summary, row.RouteReason, author, messages);
    }

    public static string EncodeCursor(long lastMessageAt, long id) =>
        Convert.ToBase64String(Encoding.ASCII.GetBytes($"{lastMessageAt}:{id}")).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>Decodes a cursor; a malformed one is the caller's error, reported as a 400.</summary>
    public static (long At, long Id) DecodeCursor(string cursor)
    {
        try
        {
            var b64 = cursor.Replace('-', '+').Replace('_', '/');
            b64 = b64.PadRight(b64.Length + ((4 - (b64.Length % 4)) % 4), '=');
            var parts = Encoding.ASCII.GetString(Convert.FromBase64String(b64)).Split(':');
            return (long.Parse(parts[0], CultureInfo.InvariantCulture), long.Parse(parts[1], CultureInfo.InvariantCulture));
        }
        catch (Exception e) when (e is FormatException or IndexOutOfRangeException or OverflowException)
        {
            throw new InvalidCursorException();
        }
    }

    internal sealed class InvalidCursorException() : Exception("the cursor is not one this server issued");

    private sealed class SummaryRow
    {
        public long Id { get; init; }
        public string Channel { get; init; } = "";
        public string Status { get; init; } = "";
        public string Priority { get; init; } = "";
        public string Subject { get; init; } = "";
        public long MessageCount { get; init; }
        public string? Team { get; init; }
        public string? TeamName { get; init; }
        public long? AssigneeId { get; init; }
        public string? Assignee { get; init; }
        public string? AuthorHandle { get; init; }
        public string? AuthorName { get; init; }
        public string? Sentiment { get; init; }
        public string? Intent { get; init; }
        public string? Department { get; init; }
        public double Urgency { get; init; }
        public long CreatedAtMs { get; init; }
        public long LastMessageAtMs { get; init; }
        public long? NextDueAtMs { get; init; }
        public long EscalationLevel { get; init; }
        public long? HoldingSinceMs { get; init; }
        public long? SnoozedUntilMs { get; init; }
        public string? RouteReason { get; init; }
        public long? AuthorId { get; init; }

        public ConversationSummary ToSummary() => new(Id, Channel, Status, Priority, Subject, MessageCount, Team, TeamName,
            AssigneeId, Assignee, AuthorHandle, AuthorName, Sentiment, Intent, Department, Urgency,
            DateTimeOffset.FromUnixTimeMilliseconds(CreatedAtMs), DateTimeOffset.FromUnixTimeMilliseconds(LastMessageAtMs),
            Ms(NextDueAtMs), EscalationLevel, Ms(HoldingSinceMs), Ms(SnoozedUntilMs));

        private static DateTimeOffset? Ms(long? ms) => ms is { } v ? DateTimeOffset.FromUnixTimeMilliseconds(v) : null;
    }

    private sealed class MessageRow
    {
        public long Id { get; init; }
        public string ExternalId { get; init; } = "";
        public string Direction { get; init; } = "";
        public string Text { get; init; } = "";
        public string? Lang { get; init; }
        public string? Url { get; init; }
        public string? InReplyTo { get; init; }
        public string? AuthorHandle { get; init; }
        public string? AuthorName { get; init; }
        public long CreatedAtMs { get; init; }
        public string? Sentiment { get; init; }
        public double? SentimentScore { get; init; }
        public string? Intent { get; init; }
        public string? Department { get; init; }
        public double? Urgency { get; init; }
        public double? Influence { get; init; }
        public string? Explain { get; init; }

        public ThreadMessage ToMessage() => new(Id, ExternalId, Direction, Text, Lang, Url, InReplyTo, AuthorHandle, AuthorName,
            DateTimeOffset.FromUnixTimeMilliseconds(CreatedAtMs), Sentiment, SentimentScore, Intent, Department, Urgency, Influence, Explain);
    }

    private sealed class AuthorRow
    {
        public long Id { get; init; }
        public string Channel { get; init; } = "";
        public string ExternalId { get; init; } = "";
        public string? Handle { get; init; }
        public string? Name { get; init; }
        public long? Followers { get; init; }
        public long? Verified { get; init; }
        public long Conversations { get; init; }
    }
}
