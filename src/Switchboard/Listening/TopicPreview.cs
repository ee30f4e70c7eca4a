using System.Data.Common;
using Dapper;
using Switchboard.Posts;

namespace Switchboard.Listening;

/// <summary>One recent post a draft query matches, cut into highlighted runs.</summary>
internal sealed record PreviewPost(long MessageId, long ConversationId, string Channel, string? Author, DateTimeOffset CreatedAt,
    IReadOnlyList<TextSegment> Segments);

/// <summary>How a draft query does on recent history: how many of the scanned posts match, and the newest of them.</summary>
internal sealed record PreviewResult(int Scanned, int MatchCount, IReadOnlyList<PreviewPost> Posts);

/// <summary>
/// The live preview while a manager types a query: the draft is evaluated directly (no index) against the most recent
/// <see cref="Window"/> stored inbound posts. Bounded work per keystroke whatever the history size; the parser's
/// length and depth limits bound the per-post cost.
/// </summary>
internal static class TopicPreview
{
    public const int Window = 2_000;
    public const int MaxShown = 100;

    private sealed record Row(long Id, long ConversationId, string Channel, string Text, string? Lang, string? Url, string? Handle,
        string? Name, long? Followers, long? Verified, long CreatedAtMs);

    public static async Task<PreviewResult> RunAsync(DbConnection conn, CompiledQuery query, int shown, CancellationToken ct)
    {
        var rows = (await conn.QueryAsync<Row>(new CommandDefinition(
            """
            SELECT m.id AS Id, m.conversation_id AS ConversationId, m.channel AS Channel, m.text AS Text, m.lang AS Lang, m.url AS Url,
                   a.handle AS Handle, a.name AS Name, a.followers AS Followers, a.verified AS Verified, m.created_at AS CreatedAtMs
            FROM messages m LEFT JOIN authors a ON a.id = m.author_id
            WHERE m.direction = 'in' ORDER BY m.id DESC LIMIT @window
            """, new { window = Window }, cancellationToken: ct))).ToList();
        var doc = new PostDocument();
        var count = 0;
        var posts = new List<PreviewPost>();
        foreach (var r in rows)
        {
            doc.Load(new Post("", r.Channel, r.Text, Lang: r.Lang, Url: r.Url,
                Author: new Author(Handle: r.Handle, Followers: r.Followers, Verified: r.Verified is null ? null : r.Verified != 0)));
            if (!query.Matches(doc))
            {
                continue;
            }

            count++;
            if (posts.Count < shown)
            {
                posts.Add(new PreviewPost(r.Id, r.ConversationId, r.Channel, r.Name ?? r.Handle, DateTimeOffset.FromUnixTimeMilliseconds(r.CreatedAtMs),
                    MatchHighlights.Of(query, doc, r.Text)));
            }
        }

        return new PreviewResult(rows.Count, count, posts);
    }
}
