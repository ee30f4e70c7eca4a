using System.Data.Common;
using System.Globalization;
using System.Security.Claims;
using Dapper;
using Switchboard.Audit;
using Switchboard.Auth;

namespace Switchboard.Inbox;

public sealed record AuthorNote(long Id, string Author, string Text, DateTimeOffset CreatedAt);

public sealed record AuthorDetail(AuthorProfile Profile, double? Influence, IReadOnlyList<string> Tags, IReadOnlyList<AuthorNote> Notes, IReadOnlyList<ConversationSummary> Past);

/// <summary>
/// The author panel: profile, influence, tags agents maintain (author_tags), notes (author_notes) and past
/// conversations. An author is visible to a user who can see at least one of the author's conversations.
/// </summary>
internal static class AuthorPanel
{
    public static readonly string[] Tags = ["vip", "journalist", "employee", "regulator"];
    public const int MaxNoteLength = 2000;

    public static async Task<bool> VisibleAsync(DbConnection conn, long authorId, AccessScope scope, DbTransaction? tx, CancellationToken ct)
    {
        var p = new DynamicParameters(new { authorId });
        return await conn.ExecuteScalarAsync<long>(new CommandDefinition(
            $"SELECT COUNT(*) FROM (SELECT 1 AS x FROM conversations c WHERE c.author_id = @authorId AND {scope.Sql(p)} LIMIT 1) v", p, tx, cancellationToken: ct)) > 0;
    }

    public static async Task<AuthorDetail?> GetAsync(DbConnection conn, long authorId, AccessScope scope, CancellationToken ct)
    {
        if (!await VisibleAsync(conn, authorId, scope, null, ct))
        {
            return null;
        }

        var a = await conn.QueryFirstAsync<(long Id, string Channel, string ExternalId, string? Handle, string? Name, long? Followers, long? Verified)>(new CommandDefinition(
            "SELECT id, channel, external_id, handle, name, followers, verified FROM authors WHERE id = @authorId", new { authorId }, cancellationToken: ct));
        var influence = await conn.QueryFirstOrDefaultAsync<double?>(new CommandDefinition(
            "SELECT influence FROM messages WHERE author_id = @authorId AND influence IS NOT NULL ORDER BY id DESC LIMIT 1", new { authorId }, cancellationToken: ct));
        var tags = (await conn.QueryAsync<string>(new CommandDefinition("SELECT tag FROM author_tags WHERE author_id = @authorId ORDER BY tag", new { authorId }, cancellationToken: ct))).ToList();
        var notes = (await conn.QueryAsync<(long Id, string Author, string Text, long CreatedAt)>(new CommandDefinition(
            """
            SELECT n.id, u.display_name, n.text, n.created_at FROM author_notes n JOIN users u ON u.id = n.user_id
            WHERE n.author_id = @authorId ORDER BY n.id DESC LIMIT 50
            """, new { authorId }, cancellationToken: ct)))
            .Select(n => new AuthorNote(n.Id, n.Author, n.Text, DateTimeOffset.FromUnixTimeMilliseconds(n.CreatedAt))).ToList();
        var past = await ConversationQueries.ListAsync(conn, new ConversationFilter
        {
            Scope = scope,
            Conditions = [new SqlCondition("c.author_id = @panelAuthor", new Dictionary<string, object?> { ["panelAuthor"] = authorId })],
        }, null, 20, ct);
        var profile = new AuthorProfile(a.Id, a.Channel, a.ExternalId, a.Handle, a.Name, a.Followers, a.Verified is null ? null : a.Verified != 0, past.Items.Count);
        return new AuthorDetail(profile, influence, tags, notes, past.Items);
    }

    public static string? ValidateTag(string? tag) =>
        tag is not null && Tags.Contains(tag.Trim().ToLowerInvariant()) ? null : $"tag must be one of {string.Join(", ", Tags)}";

    public static async Task SetTagAsync(DbConnection conn, DbTransaction tx, ClaimsPrincipal user, long authorId, string tag, bool on, TimeProvider time, CancellationToken ct)
    {
        tag = tag.Trim().ToLowerInvariant();
        var had = await conn.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM author_tags WHERE author_id = @authorId AND tag = @tag", new { authorId, tag }, tx, cancellationToken: ct)) > 0;
        if (had == on)
        {
            return;
        }

        await conn.ExecuteAsync(new CommandDefinition(
            on ? "INSERT INTO author_tags (author_id, tag, created_by, created_at) VALUES (@authorId, @tag, @me, @now)"
               : "DELETE FROM author_tags WHERE author_id = @authorId AND tag = @tag",
            new { authorId, tag, me = user.UserId(), now = time.GetUtcNow().ToUnixTimeMilliseconds() }, tx, cancellationToken: ct));
        await AuditLog.WriteAsync(conn, tx, AuditEntry.By(user, on ? "author.tag" : "author.untag", "author", authorId.ToString(CultureInfo.InvariantCulture),
            new { tag, present = had }, new { tag, present = on }), time);
    }

    public static async Task<long> AddNoteAsync(DbConnection conn, DbTransaction tx, ClaimsPrincipal user, long authorId, string text, TimeProvider time, CancellationToken ct)
    {
        var id = await conn.ExecuteScalarAsync<long>(new CommandDefinition(
            "INSERT INTO author_notes (author_id, user_id, text, created_at) VALUES (@authorId, @me, @text, @now) RETURNING id",
            new { authorId, me = user.UserId(), text, now = time.GetUtcNow().ToUnixTimeMilliseconds() }, tx, cancellationToken: ct));
        await AuditLog.WriteAsync(conn, tx, AuditEntry.By(user, "author.note", "author", authorId.ToString(CultureInfo.InvariantCulture), after: new { noteId = id, text }), time);
        return id;
    }
}
