using System.Data.Common;
using System.Globalization;
using System.Security.Claims;
using Dapper;
using Switchboard.Audit;
using Switchboard.Auth;

namespace Switchboard.Inbox;

/// <summary>
/// Labels on conversations: add and remove for one conversation (UI form, API) or a selection (bulk), and the labels a
/// routing rule puts on. Scoped like every conversation action: an id outside the caller's scope is "not found", a
/// read-only role is refused. Runs in the caller's transaction; the caller commits and publishes on the InboxFeed.
/// </summary>
internal static class ConversationLabels
{
    public static async Task<ActionResult> ChangeAsync(DbConnection conn, DbTransaction tx, AccessScope scope, ClaimsPrincipal user, long id,
        string? rawLabel, bool add, TimeProvider time, CancellationToken ct)
    {
        var p = new DynamicParameters(new { id });
        var visible = await conn.ExecuteScalarAsync<long?>(new CommandDefinition(
            $"SELECT c.id FROM conversations c WHERE c.id = @id AND {scope.Sql(p)}", p, tx, cancellationToken: ct));
        if (visible is null)
            return new(id, ActionOutcome.NotFound, $"no conversation {id}");
        if (!scope.CanWrite)
            return new(id, ActionOutcome.Forbidden, "your role may read conversations but not change them");
        var (label, error) = ConversationLabel.Normalize(rawLabel);
        if (label is null)
            return new(id, ActionOutcome.Invalid, error);

        var before = await ListAsync(conn, tx, id, ct);
        if (add == before.Contains(label))
            return new(id, ActionOutcome.Done); // already so: a retried request or a double click changes nothing
        if (add && before.Count >= ConversationLabel.MaxPerConversation)
            return new(id, ActionOutcome.Invalid, $"a conversation has at most {ConversationLabel.MaxPerConversation} labels");

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        await conn.ExecuteAsync(new CommandDefinition(add
                ? "INSERT INTO conversation_labels (conversation_id, label, source, added_by, added_at) VALUES (@id, @label, 'agent', @user, @now) ON CONFLICT DO NOTHING"
                : "DELETE FROM conversation_labels WHERE conversation_id = @id AND label = @label",
            new { id, label, user = user.UserId(), now }, tx, cancellationToken: ct));
        await conn.ExecuteAsync(new CommandDefinition("UPDATE conversations SET updated_at = @now WHERE id = @id", new { now, id }, tx, cancellationToken: ct));
        var after = await ListAsync(conn, tx, id, ct);
        await AuditLog.WriteAsync(conn, tx, AuditEntry.By(user, add ? "conversation.label" : "conversation.unlabel", "conversation",
            id.ToString(CultureInfo.InvariantCulture), new { labels = before }, new { labels = after }), time);
        return new(id, ActionOutcome.Done);
    }

    public static async Task<IReadOnlyList<string>> ListAsync(DbConnection conn, DbTransaction? tx, long id, CancellationToken ct) =>
        [.. await conn.QueryAsync<string>(new CommandDefinition(
            "SELECT label FROM conversation_labels WHERE conversation_id = @id ORDER BY label", new { id }, tx, cancellationToken: ct))];

    /// <summary>
    /// The distinct labels in use (at most 100, alphabetical), for the inbox filter. A loose index scan: one index seek
    /// per distinct label, so it costs the same with ten labelled conversations or a million.
    /// </summary>
    public static async Task<IReadOnlyList<string>> InUseAsync(DbConnection conn, CancellationToken ct) =>
        [.. await conn.QueryAsync<string>(new CommandDefinition(
            """
            WITH RECURSIVE l(label) AS (
              SELECT MIN(label) FROM conversation_labels
              UNION ALL
              SELECT (SELECT MIN(x.label) FROM conversation_labels x WHERE x.label > l.label) FROM l WHERE l.label IS NOT NULL
            )
            SELECT label FROM l WHERE label IS NOT NULL LIMIT 100
            """, cancellationToken: ct))];

    /// <summary>The labels of a page of conversations, in one query.</summary>
    public static async Task<ILookup<long, string>> ForAsync(DbConnection conn, IReadOnlyCollection<long> ids, CancellationToken ct)
    {
        if (ids.Count == 0)
            return Array.Empty<(long, string)>().ToLookup(x => x.Item1, x => x.Item2);
        // Ids come from our own query, so they are inlined (a list is not a portable Dapper parameter).
        var rows = await conn.QueryAsync<(long Conversation, string Label)>(new CommandDefinition(
            $"SELECT conversation_id, label FROM conversation_labels WHERE conversation_id IN ({string.Join(',', ids.Select(i => i.ToString(CultureInfo.InvariantCulture)))}) ORDER BY label",
            cancellationToken: ct));
        return rows.ToLookup(r => r.Conversation, r => r.Label);
    }

    /// <summary>
    /// What routing rules decided: labels already spelled by the YAML loader, each recorded with the rule that put it
    /// on (<c>rule:&lt;name&gt;</c>); at most the per-conversation limit.
    /// </summary>
    public static async Task AddFromRulesAsync(DbConnection conn, DbTransaction tx, long id, IReadOnlyList<string> labels,
        IReadOnlyDictionary<string, string> ruleOf, long nowMs)
    {
        if (labels.Count == 0)
            return;
        var have = await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM conversation_labels WHERE conversation_id = @id", new { id }, tx);
        foreach (var label in labels.Take((int)Math.Max(0, ConversationLabel.MaxPerConversation - have)))
        {
            var source = "rule:" + (ruleOf.TryGetValue(label, out var rule) ? rule : "?");
            await conn.ExecuteAsync(
                "INSERT INTO conversation_labels (conversation_id, label, source, added_by, added_at) VALUES (@id, @label, @source, NULL, @nowMs) ON CONFLICT DO NOTHING",
                new { id, label, source = source.Length > 200 ? source[..200] : source, nowMs }, tx);
        }
    }
}
