using System.Net.Sockets;

namespace Switchboard.Channels.SafeHttp;

/// <summary>
/// How an API call ended, from the point of view of "did the request reach the server?", which decides whether a
/// write may be retried: <see cref="NotSent"/> (refused, connection refused) is safe to retry, <see cref="MaybeSent"/>
/// (timeout or connection lost after the request was written) is not.
/// </summary>
internal enum ApiCallStatus
{
    Answered,
    /// <summary>The URL or its address is not allowed (SSRF defence): not retryable.</summary>
    Refused,
    /// <summary>No connection was made: the request certainly did not reach the server.</summary>
    NotSent,
    /// <summary>The request may have reached the server (timeout, reset while waiting for the answer).</summary>
    MaybeSent,
    /// <summary>The answer was larger than the response limit.</summary>
    TooLarge,
}

internal sealed record ApiResponse(ApiCallStatus Status, int HttpStatus = 0, byte[]? Body = null, TimeSpan? RetryAfter = null, string? Error = null)
{
    public bool IsSuccess => Status == ApiCallStatus.Answered && HttpStatus is >= 200 and < 300;
}

/// <summary>API calls (JSON or form bodies, any method) to user-configured instances, with the same SSRF defences.</summary>
internal sealed partial class SafeHttpClient
{
    /// <summary>
    /// Sends one request without following redirects (an API write that redirects is an error, and following it
    /// could re-send a POST elsewhere). The response body is read up to the size limit.
    /// </summary>
    public async Task<ApiResponse> SendApiAsync(HttpMethod method, Uri url, IReadOnlyDictionary<string, string>? headers,
        HttpContent? content, CancellationToken cancellationToken = default)
    {
        if (CheckUrl(url) is { } refusal)
            return new ApiResponse(ApiCallStatus.Refused, Error: refusal);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.Timeout);
        using var request = new HttpRequestMessage(method, url) { Content = content };
        request.Headers.UserAgent.ParseAdd(_options.UserAgent);
        request.Headers.Accept.ParseAdd("application/json");
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            if (!request.Headers.TryAddWithoutValidation(name, value))
                request.Content?.Headers.TryAddWithoutValidation(name, value);
        }
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            var status = (int)response.StatusCode;
            var retryAfter = RetryAfter(response);
            if (response.Content.Headers.ContentLength > _options.MaxResponseBytes)
                return new ApiResponse(ApiCallStatus.TooLarge, status, Error: $"response is larger than {_options.MaxResponseBytes} bytes");
            var body = await ReadBoundedAsync(response.Content, timeout.Token);
            return body is null
                ? new ApiResponse(ApiCallStatus.TooLarge, status, Error: $"response is larger than {_options.MaxResponseBytes} bytes")
                : new ApiResponse(ApiCallStatus.Answered, status, body, retryAfter);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new ApiResponse(ApiCallStatus.MaybeSent, Error: $"no complete response within {_options.Timeout.TotalSeconds:0.#} s");
        }
        catch (HttpRequestException ex) when (FindRefusal(ex) is { } refused)
        {
            return new ApiResponse(ApiCallStatus.Refused, Error: refused.Message);
        }
        // A connect failure surfaces as a SocketException directly inside the HttpRequestException; a reset after the
        // connection was made arrives wrapped in an IOException and may have reached the server.
        catch (HttpRequestException ex) when (ex.InnerException is SocketException || ex.HttpRequestError == HttpRequestError.NameResolutionError)
        {
            return new ApiResponse(ApiCallStatus.NotSent, Error: ex.Message);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            return new ApiResponse(ApiCallStatus.MaybeSent, Error: ex.Message);
        }
    }
}
