using Microsoft.AspNetCore.Http.HttpResults;
using Switchboard.Auth;
using Switchboard.Ingest;
using Switchboard.Posts;
using Switchboard.Storage;

namespace Switchboard.Api;

/// <summary>
/// `POST /api/posts`: deliver posts in the Switchboard post format (one JSON object, or JSONL). The response comes
/// only after the posts are committed, so a 2xx means durable; a retried delivery is absorbed as a duplicate.
/// </summary>
internal static class PostsEndpoints
{
    public const int MaxBodyBytes = 4 * 1024 * 1024;
    public const int MaxPostsPerRequest = 5_000;

    public static RouteGroupBuilder MapPostsApi(this RouteGroupBuilder api)
    {
        api.MapPost("/posts", IngestAsync).WithTags("Ingest")
            .WithSummary("Deliver posts (JSON object or JSONL); answers after they are durably stored");
        return api;
    }

    internal static async Task<Results<Ok<IngestResponse>, ProblemHttpResult>> IngestAsync(HttpRequest request, IngestQueue queue, CancellationToken ct)
    {
        if (request.ContentLength > MaxBodyBytes)
        {
            return TypedResults.Problem($"body larger than {MaxBodyBytes} bytes", statusCode: StatusCodes.Status413PayloadTooLarge);
        }

        // Read at most MaxBodyBytes + 1 so a chunked body without Content-Length is bounded too.
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int n;
        while ((n = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            buffer.Write(chunk, 0, n);
            if (buffer.Length > MaxBodyBytes)
            {
                return TypedResults.Problem($"body larger than {MaxBodyBytes} bytes", statusCode: StatusCodes.Status413PayloadTooLarge);
            }
        }

        string text;
        try
        {
            text = new System.Text.UTF8Encoding(false, throwOnInvalidBytes: true).GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
        }
        catch (System.Text.DecoderFallbackException)
        {
            return Problems.BadRequest("the body is not valid UTF-8");
        }

        var posts = new List<Post>();
        foreach (var record in PostFiles.ReadJsonl(new StringReader(text)))
        {
            if (record.Error is not null)
            {
                return Problems.BadRequest(record.Error + " (nothing of this request was stored)");
            }

            posts.Add(record.Post!);
            if (posts.Count > MaxPostsPerRequest)
            {
                return Problems.BadRequest($"more than {MaxPostsPerRequest} posts in one request");
            }
        }

        if (posts.Count == 0)
        {
            return Problems.BadRequest("no posts in the body: send one JSON object, or one per line");
        }

        var outcomes = await Task.WhenAll(posts.Select(p => queue.IngestAsync(p, ct)));
        queue.Faults?.CrossAfterResponse(request.HttpContext.Response, posts.Count);
        return TypedResults.Ok(new IngestResponse(outcomes.Count(o => o == IngestOutcome.Stored), outcomes.Count(o => o == IngestOutcome.Duplicate),
            outcomes.Count(o => o == IngestOutcome.DeadLettered)));
    }
}

/// <summary>What happened to a request's posts; <c>deadLettered</c> counts posts that kept failing and were parked (GET /api/dead-letters).</summary>
internal sealed record IngestResponse(int Stored, int Duplicates, int DeadLettered = 0);
