using System.Globalization;
using System.Text;
using Dapper;
using Switchboard.Auth;

namespace Switchboard.Inbox;

/// <summary>How a conversation list is sorted.</summary>
public enum InboxSort
{
    /// <summary>Newest activity first.</summary>
    Recent,

    /// <summary>Most urgent first (the classifier's urgency).</summary>
    Urgency,

    /// <summary>Earliest SLA deadline first; conversations without a running clock are left out.</summary>
    Due,
}

/// <summary>An extra condition on the conversation alias `c` with its parameters (e.g. a label or topic filter).</summary>
internal sealed record SqlCondition(string Sql, IReadOnlyDictionary<string, object?> Parameters);

/// <summary>The inbox's part of a conversation filter: access scope, views, sort and extra conditions.</summary>
public sealed partial record ConversationFilter
{
    /// <summary>Rows outside this scope are never returned. Null only for trusted callers (CLI, benchmarks).</summary>
    internal AccessScope? Scope { get; init; }

    public InboxSort Sort { get; init; }

    /// <summary>Waiting for an eligible agent (holding_since set), not resolved.</summary>
    public bool HoldingOnly { get; init; }

    /// <summary>escalation_level &gt; 0, not resolved.</summary>
    public bool EscalatedOnly { get; init; }

    /// <summary>A running SLA deadline at or before this time (Unix ms): "breaching soon" and already breached.</summary>
    public long? DueBeforeMs { get; init; }

    /// <summary>Further conditions other features add (labels, topics) without changing the query code.</summary>
    internal IReadOnlyList<SqlCondition> Conditions { get; init; } = [];
}

internal static class InboxFilters
{
    public static void Apply(ConversationFilter f, List<string> where, DynamicParameters p)
    {
        if (f.Scope is { } scope)
        {
            where.Add(scope.Sql(p));
        }

        if (f.HoldingOnly)
        {
            where.Add("c.holding_since IS NOT NULL AND c.status <> 'resolved'");
        }

        if (f.EscalatedOnly)
        {
            where.Add("c.escalation_level > 0 AND c.status <> 'resolved'");
        }

        if (f.DueBeforeMs is { } due)
        {
            where.Add("c.next_due_at IS NOT NULL AND c.next_due_at <= @dueBefore AND c.status IN ('open', 'pending')");
            p.Add("dueBefore", due);
        }

        foreach (var c in f.Conditions)
        {
            where.Add("(" + c.Sql + ")");
            foreach (var (name, value) in c.Parameters)
            {
                p.Add(name, value);
            }
        }
    }
}

/// <summary>
/// A sort and its keyset cursor: the cursor carries the last row's sort key and id, so every page is an index range
/// scan whatever its depth. Cursors of one sort are rejected by another (InvalidCursorException → 400).
/// </summary>
internal sealed record InboxOrder(InboxSort Sort, string OrderBy)
{
    public static InboxOrder For(InboxSort sort) => sort switch
    {
        InboxSort.Urgency => new(sort, "c.urgency DESC, c.id DESC"),
        InboxSort.Due => new(sort, "c.next_due_at ASC, c.id ASC"),
        _ => new(sort, "c.last_message_at DESC, c.id DESC"),
    };

    public void ApplyCursor(string? cursor, List<string> where, DynamicParameters p)
    {
        if (Sort == InboxSort.Due)
        {
            where.Add("c.next_due_at IS NOT NULL");
        }

        if (cursor is null)
        {
            return;
        }

        switch (Sort)
        {
            case InboxSort.Recent:
                var (at, id) = ConversationQueries.DecodeCursor(cursor);
                where.Add("(c.last_message_at < @cAt OR (c.last_message_at = @cAt AND c.id < @cId))");
                p.Add("cAt", at);
                p.Add("cId", id);
                break;
            case InboxSort.Urgency:
                var (u, uid) = Decode(cursor, 'u');
                where.Add("(c.urgency < @cU OR (c.urgency = @cU AND c.id < @cId))");
                p.Add("cU", double.Parse(u, NumberStyles.Float, CultureInfo.InvariantCulture));
                p.Add("cId", uid);
                break;
            case InboxSort.Due:
                var (d, did) = Decode(cursor, 'd');
                where.Add("(c.next_due_at > @cDue OR (c.next_due_at = @cDue AND c.id > @cId))");
                p.Add("cDue", long.Parse(d, NumberStyles.Integer, CultureInfo.InvariantCulture));
                p.Add("cId", did);
                break;
        }
    }

    public string Encode(ConversationSummary last) => Sort switch
    {
        InboxSort.Urgency => Pack("u" + last.Urgency.ToString("R", CultureInfo.InvariantCulture) + ":" + last.Id.ToString(CultureInfo.InvariantCulture)),
        InboxSort.Due => Pack("d" + (last.NextDueAt?.ToUnixTimeMilliseconds() ?? 0).ToString(CultureInfo.InvariantCulture) + ":" + last.Id.ToString(CultureInfo.InvariantCulture)),
        _ => ConversationQueries.EncodeCursor(last.LastMessageAt.ToUnixTimeMilliseconds(), last.Id),
    };

    private static string Pack(string s) => Convert.ToBase64String(Encoding.ASCII.GetBytes(s)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static (string Key, long Id) Decode(string cursor, char kind)
    {
        try
        {
            var b64 = cursor.Replace('-', '+').Replace('_', '/');
            b64 = b64.PadRight(b64.Length + ((4 - (b64.Length % 4)) % 4), '=');
            var text = Encoding.ASCII.GetString(Convert.FromBase64String(b64));
            var colon = text.LastIndexOf(':');
            if (text.Length < 3 || text[0] != kind || colon < 2)
            {
                throw new ConversationQueries.InvalidCursorException();
            }

            var key = text[1..colon];
            _ = double.Parse(key, NumberStyles.Float, CultureInfo.InvariantCulture);
            return (key, long.Parse(text[(colon + 1)..], CultureInfo.InvariantCulture));
        }
        catch (Exception e) when (e is FormatException or OverflowException)
        {
            throw new ConversationQueries.InvalidCursorException();
        }
    }
}
