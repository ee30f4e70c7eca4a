using System.Text;
using Switchboard.Posts;

namespace Switchboard.Channels.Webhooks;

/// <summary>
/// <c>POST /hooks/generic/{accountId}</c>: posts in the Switchboard post format (one JSON object, or JSONL) from any
/// source that can sign with <see cref="GenericSignature"/>. Secret: <c>secret</c>. Setting <c>channel</c>
/// (optional): every post of this webhook is stored in that channel, so a source cannot write into another one. All posts of a request are
/// validated before any is queued, so a bad line stores nothing.
/// </summary>
internal static class GenericWebhook
{
    public const int MaxBodyBytes = 4 * 1024 * 1024;
    public const int MaxPostsPerRequest = 5_000;

    public static async Task<IResult> HandleAsync(long accountId, HttpRequest request, WebhookDeliveries deliveries, CancellationToken ct)
    {
        var (account, refusal) = await deliveries.AccountAsync(accountId, "generic", ct);
        if (account is null)
            return refusal!;
        var (body, tooLarge) = await WebhookDeliveries.ReadBodyAsync(request, MaxBodyBytes, ct);
        if (body is null)
            return tooLarge!;
        var check = GenericSignature.Verify(body, request.Headers[GenericSignature.TimestampHeader], request.Headers[GenericSignature.SignatureHeader],
            account.Secret("secret"), deliveries.Time.GetUtcNow());
        if (!check.IsValid)
            return deliveries.Refuse(account, check);

        if (deliveries.RefuseUnlessUtf8(account, body) is { } notUtf8)
            return notUtf8;
        var text = Encoding.UTF8.GetString(body);
        var posts = new List<Post>();
        foreach (var record in PostFiles.ReadJsonl(new StringReader(text)))
        {
            if (record.Error is not null)
                return deliveries.BadRequest(account, record.Error + " (nothing of this delivery was stored)");
            posts.Add(account.Setting("channel") is { Length: > 0 } channel ? record.Post! with { Channel = channel } : record.Post!);
            if (posts.Count > MaxPostsPerRequest)
                return deliveries.BadRequest(account, $"more than {MaxPostsPerRequest} posts in one delivery");
        }
        return posts.Count == 0
            ? deliveries.BadRequest(account, "no posts in the body: send one JSON object, or one per line")
            : await deliveries.DeliverAsync(account, posts, request.HttpContext.Response, ct);
    }
}
