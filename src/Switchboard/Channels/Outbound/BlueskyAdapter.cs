using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Switchboard.Channels.Accounts;
using Switchboard.Channels.Bluesky;
using Switchboard.Channels.SafeHttp;

namespace Switchboard.Channels.Outbound;

/// <summary>
/// Replies on Bluesky through the account's PDS: a session from an app password (<c>createSession</c>, cached), the
/// parent's cid and thread root from <c>app.bsky.feed.getPostThread</c>, then <c>com.atproto.repo.createRecord</c>
/// with a record key derived from the reply (see <see cref="BlueskyApi.RecordKey"/>), so the same reply can only ever
/// be one record. Reconcile: <c>com.atproto.repo.getRecord</c> of that key in our repo. Account (kind "bluesky"):
/// settings <c>handle</c> and <c>service</c> (the PDS, default https://bsky.social); secret <c>app_password</c>.
/// </summary>
internal sealed class BlueskyAdapter(ChannelAccountStore accounts, OutboundHttp http, TimeProvider time) : NetworkAdapter(accounts, http)
{
    /// <summary>Access tokens live about two hours; renew well before.</summary>
    private static readonly TimeSpan SessionLifetime = TimeSpan.FromMinutes(90);

    private readonly ConcurrentDictionary<long, Session> _sessions = new();

    public override IReadOnlyCollection<string> Channels { get; } = ["bluesky"];

    /// <summary>300 graphemes; counted in UTF-16 units here, which is never fewer.</summary>
    public override int MaxLength => 300;

    protected override string AccountKind => "bluesky";

    private sealed record Session(string Did, string AccessJwt, DateTimeOffset CreatedAt);

    protected override async Task<SendOutcome> SendAsync(ChannelAccount account, OutboundReply reply, CancellationToken ct)
    {
        var (session, failure) = await SessionAsync(account, ct);
        if (session is null)
            return failure!;
        var service = Service(account);
        var thread = await Http.SendApiAsync(HttpMethod.Get,
            Join(service, "/xrpc/app.bsky.feed.getPostThread?depth=0&parentHeight=0&uri=" + Uri.EscapeDataString(reply.InReplyToExternalId)),
            Bearer(session.AccessJwt), null, ct);
        if (!thread.IsSuccess)
        {
            // Nothing was written yet: a failed read is a plain failure or a retry, never an unknown.
            var read = WriteFailure(thread, "could not read the parent post on Bluesky");
            return read is { Status: SendStatus.Unknown } ? read with { Status = SendStatus.RetryLater } : read!;
        }
        if (Target(thread.Body) is not { } target)
            return new SendOutcome(SendStatus.Failed, Error: "the parent post on Bluesky has no cid (deleted or blocked?)");
        var createdAt = reply.CreatedAt ?? time.GetUtcNow();
        string body;
        try
        {
            body = BlueskyApi.ReplyBody(session.Did, target, reply.Text, reply.IdempotencyKey, createdAt);
        }
        catch (ArgumentException ex)
        {
            return new SendOutcome(SendStatus.Failed, Error: ex.Message);
        }
        var response = await Http.SendApiAsync(HttpMethod.Post, Join(service, BlueskyApi.CreateRecordPath), Bearer(session.AccessJwt),
            new StringContent(body, Encoding.UTF8, "application/json"), ct);
        if (response.Status == ApiCallStatus.Answered && response.HttpStatus == 400)
        {
            // The key is fixed per reply: a refusal may mean "this record already exists" from an earlier attempt.
            var existing = await ReconcileAsync(account, reply, ct);
            if (existing.Status == SendStatus.Sent)
                return existing;
        }
        if (WriteFailure(response, "Bluesky refused the reply") is { } writeFailure)
        {
            if (response.HttpStatus == 401)
                _sessions.TryRemove(account.Id, out _);
            return writeFailure;
        }
        using var doc = ParseJson(response.Body);
        return doc is not null && Str(doc.RootElement, "uri") is { } uri
            ? new SendOutcome(SendStatus.Sent, uri, WebUrl(uri))
            : new SendOutcome(SendStatus.Unknown, Error: "Bluesky accepted the reply but its answer could not be read");
    }

    protected override async Task<SendOutcome> ReconcileAsync(ChannelAccount account, OutboundReply reply, CancellationToken ct)
    {
        var (session, failure) = await SessionAsync(account, ct);
        if (session is null)
            return failure! with { Status = SendStatus.Unknown };
        var rkey = BlueskyApi.RecordKey(reply.IdempotencyKey, reply.CreatedAt ?? time.GetUtcNow());
        var response = await Http.SendApiAsync(HttpMethod.Get,
            Join(Service(account), "/xrpc/com.atproto.repo.getRecord?repo=" + Uri.EscapeDataString(session.Did)
                + "&collection=" + JetstreamParser.PostCollection + "&rkey=" + rkey),
            Bearer(session.AccessJwt), null, ct);
        if (response.Status == ApiCallStatus.Answered && response.HttpStatus == 400)
        {
            using var error = ParseJson(response.Body);
            if (error is not null && Str(error.RootElement, "error") == "RecordNotFound")
                return new SendOutcome(SendStatus.Failed, Error: "no record with this reply's key in our repository");
        }
        if (LookupFailure(response, "could not look the reply up on Bluesky") is { } lookup)
            return lookup;
        using var doc = ParseJson(response.Body);
        return doc is not null && Str(doc.RootElement, "uri") is { } uri
            ? new SendOutcome(SendStatus.Sent, uri, WebUrl(uri))
            : new SendOutcome(SendStatus.Unknown, Error: "Bluesky's answer could not be read");
    }

    private async Task<(Session? Session, SendOutcome? Failure)> SessionAsync(ChannelAccount account, CancellationToken ct)
    {
        if (_sessions.TryGetValue(account.Id, out var cached) && time.GetUtcNow() - cached.CreatedAt < SessionLifetime)
            return (cached, null);
        if (account.Setting("handle") is not { Length: > 0 } handle || account.Secret("app_password") is not { Length: > 0 } password)
            return (null, new SendOutcome(SendStatus.Failed, Error: "the Bluesky account needs a handle setting and an app_password secret"));
        var response = await Http.SendApiAsync(HttpMethod.Post, Join(Service(account), BlueskyApi.CreateSessionPath), null,
            new StringContent(BlueskyApi.CreateSessionBody(handle, password), Encoding.UTF8, "application/json"), ct);
        if (!response.IsSuccess)
        {
            // Creating a session posts nothing: whatever went wrong, retrying it cannot duplicate a reply.
            var failure = WriteFailure(response, "could not sign in to Bluesky")!;
            return (null, failure.Status == SendStatus.Unknown ? failure with { Status = SendStatus.RetryLater } : failure);
        }
        using var doc = ParseJson(response.Body);
        if (doc is null || Str(doc.RootElement, "did") is not { } did || Str(doc.RootElement, "accessJwt") is not { } jwt)
            return (null, new SendOutcome(SendStatus.Failed, Error: "Bluesky's session answer could not be read"));
        var session = new Session(did, jwt, time.GetUtcNow());
        _sessions[account.Id] = session;
        return (session, null);
    }

    /// <summary>The parent as a reply target: its uri and cid, and its thread root when it is itself a reply.</summary>
    private static BlueskyPost? Target(byte[]? body)
    {
        using var doc = ParseJson(body);
        if (doc is null || !doc.RootElement.TryGetProperty("thread", out var thread) || !thread.TryGetProperty("post", out var post)
            || Str(post, "uri") is not { } uri || Str(post, "cid") is not { } cid)
            return null;
        string? rootUri = null, rootCid = null;
        if (post.TryGetProperty("record", out var record) && record.ValueKind == JsonValueKind.Object
            && record.TryGetProperty("reply", out var reply) && reply.ValueKind == JsonValueKind.Object
            && reply.TryGetProperty("root", out var root))
        {
            rootUri = Str(root, "uri");
            rootCid = Str(root, "cid");
        }
        return new BlueskyPost(uri, "", "", "", null, [], rootUri, null, cid, rootCid);
    }

    private static string Service(ChannelAccount account) => account.Setting("service") is { Length: > 0 } s ? s : "https://bsky.social";

    /// <summary>at://did/app.bsky.feed.post/rkey → https://bsky.app/profile/did/post/rkey.</summary>
    private static string? WebUrl(string atUri)
    {
        var parts = atUri.StartsWith("at://", StringComparison.Ordinal) ? atUri[5..].Split('/') : [];
        return parts.Length == 3 ? $"https://bsky.app/profile/{parts[0]}/post/{parts[2]}" : null;
    }
}
