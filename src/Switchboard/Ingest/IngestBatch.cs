using System.Data.Common;
using Dapper;
using Switchboard.Classification;
using Switchboard.Classification.Models;
using Switchboard.Listening;
using Switchboard.Posts;
using Switchboard.Routing;
using Switchboard.Storage;

namespace Switchboard.Ingest;

/// <summary>What happened to one post of a batch.</summary>
internal enum IngestOutcome
{
    Stored,
    Duplicate,

    /// <summary>Failed on its own <see cref="DeadLetters.MaxAttempts"/> times: parked in dead_letters, taken off the source's hands.</summary>
    DeadLettered,
}

/// <summary>The result of writing one batch: an outcome per post (same order) and the conversations touched.</summary>
internal sealed record BatchResult(IReadOnlyList<IngestOutcome> Outcomes, IReadOnlyCollection<long> Conversations, int NewConversations);

/// <summary>
/// Writes a batch of posts in ONE transaction: deduplicate by (channel, external id) → thread into conversations →
/// classify → route → persist. Everything about a post is committed together or not at all, so a crash at any point
/// leaves either the whole post or nothing, and re-delivering it is harmless. Used by the server's ingest writer and by
/// `switchboard import`, so both paths behave identically.
/// </summary>
internal static class IngestBatch
{
    public static async Task<BatchResult> WriteAsync(Database db, DbConnection conn, IReadOnlyList<Post> posts, TimeProvider time, CancellationToken ct,
        TopicIndex? topics = null, RoutingRuntime? routing = null, IngestFaults? faults = null)
    {
        posts = [.. posts.Select(p => p.Storable())];
        var outcomes = new IngestOutcome[posts.Count];
        var touched = new HashSet<long>();
        var newConversations = 0;
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        await using var tx = db.IsSqlite && conn is Microsoft.Data.Sqlite.SqliteConnection s
            ? s.BeginTransaction(deferred: false)
            : await conn.BeginTransactionAsync(ct);
        var teams = (await conn.QueryAsync<(long Id, string Slug)>("SELECT id, slug FROM teams", transaction: tx))
            .ToDictionary(t => t.Slug, t => t.Id);
        await (topics?.RefreshAsync(conn, tx, ct) ?? Task.CompletedTask);
        var topicMatches = new TopicMatches();
        var models = await PipelineModels.ActiveAsync(db, conn, tx, ct);
        var routingSession = routing is null ? null : await routing.BeginAsync(conn, tx, ct);

        for (var i = 0; i < posts.Count; i++)
        {
            var post = posts[i];
            var exists = await conn.ExecuteScalarCachedAsync<long?>(
                "SELECT id FROM messages WHERE channel = @c AND external_id = @e",
                new { c = post.Channel, e = post.Id }, tx);
            if (exists is not null)
            {
                outcomes[i] = IngestOutcome.Duplicate;
                continue;
            }

            var createdAt = (post.CreatedAt ?? time.GetUtcNow()).ToUnixTimeMilliseconds();
            var authorId = await UpsertAuthorAsync(conn, tx, post);
            var labels = post.Outgoing ? null : WorkspaceModels.Apply(models, PipelineLabels.Classify(post), post.Text);
            var triage = labels?.Triage;
            // Listening topics this inbound post matches (with the language it is stored with), for routing and storage.
            IReadOnlyList<long> topicIds = post.Outgoing || topics is null ? [] : topics.Match(post with { Lang = post.Lang ?? triage?.Language });
            IReadOnlyList<string> topicNames = topicIds.Count == 0 ? [] : topics!.NamesOf(topicIds);

            // Threading: a reply joins its parent's conversation. A post whose replies arrived first (their parent was
            // missing) adopts their conversation, and any other orphan threads under it are merged in.
            long? conversationId = null;
            if (post.InReplyTo is not null)
            {
                conversationId = await conn.ExecuteScalarCachedAsync<long?>(
                    "SELECT conversation_id FROM messages WHERE channel = @c AND external_id = @e",
                    new { c = post.Channel, e = post.InReplyTo }, tx);
            }

            var orphanConversations = (await conn.QueryCachedAsync<long>(
                "SELECT DISTINCT conversation_id FROM messages WHERE channel = @c AND in_reply_to = @e",
                new { c = post.Channel, e = post.Id }, tx)).ToList();
            conversationId ??= orphanConversations.Count > 0 ? orphanConversations.Min() : null;

            var isNew = conversationId is null;
            RoutedPost? routed = null;
            if (isNew)
            {
                routed = triage is null ? null : routingSession?.Route(post, triage, DateTimeOffset.FromUnixTimeMilliseconds(createdAt), topicNames);
                var decision = routed?.Queue ?? (triage is null ? null : DepartmentRouting.Decide(triage, post.Channel));
                long? teamId = decision is not null && teams.TryGetValue(decision.TeamSlug, out var t) ? t : null;
                conversationId = await conn.ExecuteScalarCachedAsync<long>(
                    """
                    INSERT INTO conversations (channel, root_external_id, author_id, team_id, status, priority, subject,
                        message_count, sentiment, intent, department, urgency, route_reason, created_at, last_message_at, updated_at,
                        category, category_confidence, category_model)
                    VALUES (@channel, @root, @author, @team, 'open', @priority, @subject, 1, @sentiment, @intent, @department,
                        @urgency, @reason, @created, @created, @now, @category, @categoryConfidence, @categoryModel)
                    RETURNING id
                    """,
                    new
                    {
                        channel = post.Channel,
                        root = post.InReplyTo ?? post.Id,
                        author = post.Outgoing ? null : authorId,
                        team = teamId,
                        priority = decision?.Priority ?? "normal",
                        subject = Subject(post.Text),
                        sentiment = triage?.Sentiment,
                        intent = triage?.Intent,
                        department = triage?.Department,
                        urgency = triage?.Urgency ?? 0,
                        reason = decision?.Reason,
                        created = createdAt,
                        now,
                        category = labels?.Category?.Value,
                        categoryConfidence = labels?.Category?.Confidence,
                        categoryModel = labels?.Category?.Name,
                    }, tx);
                newConversations++;
            }

            var messageId = await conn.ExecuteScalarCachedAsync<long>(
                """
                INSERT INTO messages (channel, external_id, conversation_id, author_id, direction, text, lang, url, in_reply_to,
                    created_at, received_at, sentiment, sentiment_score, intent, department, urgency, influence, explain,
                    language_score, intent_score, department_score, category, category_confidence, category_model)
                VALUES (@channel, @id, @conv, @author, @direction, @text, @lang, @url, @reply, @created, @now,
                    @sentiment, @score, @intent, @department, @urgency, @influence, @explain,
                    @languageScore, @intentScore, @departmentScore, @category, @categoryConfidence, @categoryModel)
                RETURNING id
                """,
                new
                {
                    channel = post.Channel,
                    id = post.Id,
                    conv = conversationId,
                    author = authorId,
                    direction = post.Outgoing ? "out" : "in",
                    text = post.Text,
                    lang = post.Lang ?? triage?.Language,
                    url = post.Url,
                    reply = post.InReplyTo,
                    created = createdAt,
                    now,
                    sentiment = triage?.Sentiment,
                    score = triage?.SentimentScore,
                    intent = triage?.Intent,
                    department = triage?.Department,
                    urgency = triage?.Urgency,
                    influence = triage?.Influence,
                    explain = triage?.ExplainJson,
                    languageScore = triage?.LanguageScore,
                    intentScore = triage?.IntentScore,
                    departmentScore = triage?.DepartmentScore,
                    category = labels?.Category?.Value,
                    categoryConfidence = labels?.Category?.Confidence,
                    categoryModel = labels?.Category?.Name,
                }, tx);
            await topicMatches.AddAsync(conn, tx, messageId, conversationId!.Value, topicIds);
            await PipelineModels.StoreAsync(conn, tx, messageId, labels);

            var merged = false;
            foreach (var orphan in orphanConversations.Where(o => o != conversationId))
            {
                await conn.ExecuteCachedAsync("UPDATE messages SET conversation_id = @to WHERE conversation_id = @from",
                    new { to = conversationId, from = orphan }, tx);
                await conn.ExecuteCachedAsync("UPDATE message_topics SET conversation_id = @to WHERE conversation_id = @from",
                    new { to = conversationId, from = orphan }, tx);
                await MoveDependentsAsync(conn, tx, orphan, conversationId!.Value);
                await conn.ExecuteCachedAsync("DELETE FROM conversations WHERE id = @id", new { id = orphan }, tx);
                touched.Remove(orphan);
                newConversations--;
                merged = true;
            }

            if (!isNew)
            {
                // The common case (a reply arriving after its parent) is one incremental update; only a post older than
                // the conversation, a first inbound message, or a merge needs the full recomputation.
                var (start, author) = await conn.QueryFirstCachedAsync<(long CreatedAt, long? AuthorId)>(
                    $"""
                    UPDATE conversations SET message_count = message_count + 1,
                      last_message_at = {db.Greatest}(last_message_at, @created), updated_at = {db.Greatest}(updated_at, @now)
                    WHERE id = @id RETURNING created_at, author_id
                    """, new { id = conversationId, created = createdAt, now }, tx);
                merged |= createdAt < start || (author is null && !post.Outgoing);
            }

            if (merged)
            {
                await RefreshConversationAsync(db, conn, tx, conversationId!.Value, now);
            }

            if (routingSession is not null)
            {
                await routingSession.AfterMessageAsync(conn, tx, conversationId!.Value, isNew, post, routed, DateTimeOffset.FromUnixTimeMilliseconds(createdAt));
            }

            touched.Add(conversationId!.Value);
            outcomes[i] = IngestOutcome.Stored;
        }

        await topicMatches.FlushAsync(conn, tx);
        faults?.Cross(FaultPoint.BeforeCommit, posts.Count);
        await tx.CommitAsync(ct);
        routingSession?.Committed();
        return new BatchResult(outcomes, touched, newConversations);
    }

    /// <summary>
    /// Recomputes the conversation's counters from its messages, and re-roots it when an earlier post joined: a
    /// conversation's root and author are those of its oldest message, whichever order messages arrived in.
    /// </summary>
    private static async Task RefreshConversationAsync(Database db, DbConnection conn, DbTransaction tx, long id, long now)
    {
        await conn.ExecuteAsync(
            $"""
            UPDATE conversations SET
              message_count = (SELECT COUNT(*) FROM messages WHERE conversation_id = @id),
              last_message_at = (SELECT MAX(created_at) FROM messages WHERE conversation_id = @id),
              created_at = (SELECT MIN(created_at) FROM messages WHERE conversation_id = @id),
              updated_at = {db.Greatest}(updated_at, @now)
            WHERE id = @id
            """, new { id, now }, tx);

        var oldest = await conn.QueryFirstAsync<(string ExternalId, string? InReplyTo, string Direction, long? AuthorId, string Text)>(
            "SELECT external_id, in_reply_to, direction, author_id, text FROM messages WHERE conversation_id = @id ORDER BY created_at, id LIMIT 1",
            new { id }, tx);
        var firstInbound = await conn.QueryFirstOrDefaultAsync<(long? AuthorId, string Text)>(
            "SELECT author_id, text FROM messages WHERE conversation_id = @id AND direction = 'in' ORDER BY created_at, id LIMIT 1",
            new { id }, tx);
        await conn.ExecuteAsync(
            "UPDATE conversations SET root_external_id = @root, author_id = COALESCE(@author, author_id), subject = @subject WHERE id = @id",
            new
            {
                id,
                root = oldest.InReplyTo ?? oldest.ExternalId,
                author = firstInbound.AuthorId,
                subject = Subject(firstInbound.Text ?? oldest.Text),
            }, tx);
    }

    /// <summary>
    /// Before a merged orphan conversation is deleted, everything that refers to it joins the surviving conversation:
    /// notifications, notes, replies and drafts, hand-overs, labels (once each), and the SLA effects already recorded (their exactly-once keys move
    /// with them; one that the survivor already has is dropped, detached from its webhook first). The orphan's running
    /// timer is dropped: the surviving conversation's clock is the one that counts.
    /// </summary>
    private static async Task MoveDependentsAsync(DbConnection conn, DbTransaction tx, long from, long to)
    {
        var p = new { from, to };
        foreach (var table in new[] { "notifications", "replies", "conversation_notes", "handovers" })
        {
            await conn.ExecuteAsync($"UPDATE {table} SET conversation_id = @to WHERE conversation_id = @from", p, tx);
        }

        await conn.ExecuteAsync(
            "DELETE FROM conversation_labels WHERE conversation_id = @from AND label IN (SELECT label FROM conversation_labels WHERE conversation_id = @to)", p, tx);
        await conn.ExecuteAsync("UPDATE conversation_labels SET conversation_id = @to WHERE conversation_id = @from", p, tx);

        await conn.ExecuteAsync(
            "DELETE FROM reply_drafts WHERE conversation_id = @from AND user_id IN (SELECT user_id FROM reply_drafts WHERE conversation_id = @to)", p, tx);
        await conn.ExecuteAsync("UPDATE reply_drafts SET conversation_id = @to WHERE conversation_id = @from", p, tx);
        const string duplicateEffects =
            "SELECT e.id FROM sla_effects e WHERE e.conversation_id = @from AND EXISTS (SELECT 1 FROM sla_effects s " +
            "WHERE s.conversation_id = @to AND s.policy = e.policy AND s.metric = e.metric AND s.level = e.level)";
        await conn.ExecuteAsync($"UPDATE webhook_outbox SET effect_id = NULL WHERE effect_id IN ({duplicateEffects})", p, tx);
        await conn.ExecuteAsync($"DELETE FROM sla_effects WHERE id IN ({duplicateEffects})", p, tx);
        await conn.ExecuteAsync("UPDATE sla_effects SET conversation_id = @to WHERE conversation_id = @from", p, tx);
        await conn.ExecuteAsync("DELETE FROM sla_timers WHERE conversation_id = @from", p, tx);
    }

    private static async Task<long?> UpsertAuthorAsync(DbConnection conn, DbTransaction tx, Post post)
    {
        var a = post.Author;
        var key = a?.Id ?? a?.Handle;
        if (a is null || string.IsNullOrWhiteSpace(key))
        {
            return null;
        }

        return await conn.ExecuteScalarCachedAsync<long>(
            """
            INSERT INTO authors (channel, external_id, handle, name, followers, verified)
            VALUES (@c, @e, @h, @n, @f, @v)
            ON CONFLICT (channel, external_id) DO UPDATE SET
              handle = COALESCE(excluded.handle, authors.handle),
              name = COALESCE(excluded.name, authors.name),
              followers = COALESCE(excluded.followers, authors.followers),
              verified = COALESCE(excluded.verified, authors.verified)
            RETURNING id
            """,
            new { c = post.Channel, e = key, h = a.Handle, n = a.Name, f = a.Followers, v = a.Verified is null ? (long?)null : a.Verified.Value ? 1 : 0 },
            tx);
    }

    internal static string Subject(string text)
    {
        var flat = string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        if (flat.Length <= 140)
        {
            return flat;
        }

        // Never cut between the two halves of a surrogate pair: a lone half is not valid text (PostgreSQL refuses it).
        var cut = char.IsHighSurrogate(flat[138]) ? 138 : 139;
        return flat[..cut] + "…";
    }
}
