using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;

namespace Switchboard.Channels.SafeHttp;

/// <summary>Validators from a previous fetch, sent back as If-None-Match / If-Modified-Since.</summary>
internal sealed record ConditionalGet(string? ETag = null, DateTimeOffset? LastModified = null);

internal enum FetchStatus
{
    Ok,
    /// <summary>304: nothing changed since the validators were issued.</summary>
    NotModified,
    /// <summary>The URL or an address it resolved/redirected to is not allowed (SSRF defence). Not retryable.</summary>
    Refused,
    TooLarge,
    Timeout,
    /// <summary>Non-success status after redirects; <see cref="FetchResult.HttpStatus"/> has it (429/503 carry Retry-After).</summary>
    HttpError,
    NetworkError,
}

internal sealed record FetchResult(
    FetchStatus Status,
    Uri Url,
    byte[]? Body = null,
    int HttpStatus = 0,
    string? Error = null,
    string? ETag = null,
    DateTimeOffset? LastModified = null,
    Uri? ContentLocation = null,
    TimeSpan? RetryAfter = null,
    string? ContentType = null);

/// <summary>
/// The one HTTP client for user-supplied URLs. Defences, in order: only http/https, no credentials in the URL, no
/// "localhost" names; DNS resolved by us inside <see cref="SocketsHttpHandler.ConnectCallback"/> and every resolved
/// address checked by <see cref="AddressPolicy"/> (so a name that resolves to 127.0.0.1, an integer/octal/hex IPv4
/// spelling and an IPv6-mapped address are all caught on the address really connected to, and DNS rebinding has no
/// window); redirects followed by hand, each hop re-validated; a response size cap and an overall timeout.
/// No proxy is used (a proxy would connect on our behalf and bypass the address check).
/// </summary>
internal sealed partial class SafeHttpClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly SafeHttpOptions _options;

    public SafeHttpClient(SafeHttpOptions? options = null)
    {
        _options = options ?? new SafeHttpOptions();
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseProxy = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.GZip | DecompressionMethods.Deflate | DecompressionMethods.Brotli,
            ConnectTimeout = _options.ConnectTimeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            ConnectCallback = ConnectAsync,
        };
        _http = new HttpClient(handler) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
    }

    /// <summary>Null when the URL may be requested (its addresses are still checked at connect time), else why not.</summary>
    public static string? CheckUrl(Uri url)
    {
        if (!url.IsAbsoluteUri)
            return "not an absolute URL";
        if (url.Scheme is not ("http" or "https"))
            return $"scheme '{url.Scheme}' is not allowed (only http and https)";
        if (url.UserInfo.Length > 0)
            return "URLs with credentials (user@host) are not allowed";
        var host = url.IdnHost.TrimEnd('.');
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase))
            return "localhost is not allowed";
        return null;
    }

    public async Task<FetchResult> GetAsync(Uri url, ConditionalGet? conditions = null, CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.Timeout);
        var current = url;
        try
        {
            for (int hop = 0; ; hop++)
            {
                if (CheckUrl(current) is { } refusal)
                    return new FetchResult(FetchStatus.Refused, current, Error: refusal);
                using var request = new HttpRequestMessage(HttpMethod.Get, current);
                request.Headers.UserAgent.ParseAdd(_options.UserAgent);
                request.Headers.Accept.ParseAdd("application/rss+xml, application/atom+xml, application/rdf+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5");
                if (conditions?.ETag is { Length: > 0 } etag && EntityTagHeaderValue.TryParse(etag, out var tag))
                    request.Headers.IfNoneMatch.Add(tag);
                if (conditions?.LastModified is { } since)
                    request.Headers.IfModifiedSince = since;

                using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
                var status = (int)response.StatusCode;
                if (status is 301 or 302 or 303 or 307 or 308)
                {
                    if (hop >= _options.MaxRedirects)
                        return new FetchResult(FetchStatus.Refused, current, HttpStatus: status, Error: $"more than {_options.MaxRedirects} redirects");
                    if (response.Headers.Location is not { } location)
                        return new FetchResult(FetchStatus.HttpError, current, HttpStatus: status, Error: "redirect without a Location header");
                    current = location.IsAbsoluteUri ? location : new Uri(current, location);
                    continue;
                }
                var etagOut = response.Headers.ETag?.ToString();
                var lastModified = response.Content.Headers.LastModified;
                if (response.StatusCode == HttpStatusCode.NotModified)
                    return new FetchResult(FetchStatus.NotModified, current, HttpStatus: status, ETag: etagOut ?? conditions?.ETag, LastModified: lastModified ?? conditions?.LastModified);
                if (!response.IsSuccessStatusCode)
                    return new FetchResult(FetchStatus.HttpError, current, HttpStatus: status, Error: $"HTTP {status} {response.ReasonPhrase}", RetryAfter: RetryAfter(response));
                if (response.Content.Headers.ContentLength > _options.MaxResponseBytes)
                    return new FetchResult(FetchStatus.TooLarge, current, HttpStatus: status, Error: $"response is larger than {_options.MaxResponseBytes} bytes");
                var body = await ReadBoundedAsync(response.Content, timeout.Token);
                if (body is null)
                    return new FetchResult(FetchStatus.TooLarge, current, HttpStatus: status, Error: $"response is larger than {_options.MaxResponseBytes} bytes");
                var contentLocation = response.Content.Headers.ContentLocation is { } cl
                    ? (cl.IsAbsoluteUri ? cl : new Uri(current, cl))
                    : null;
                if (contentLocation is not null && contentLocation.Scheme is not ("http" or "https"))
                    contentLocation = null;
                return new FetchResult(FetchStatus.Ok, current, body, status, ETag: etagOut, LastModified: lastModified,
                    ContentLocation: contentLocation, ContentType: response.Content.Headers.ContentType?.MediaType);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new FetchResult(FetchStatus.Timeout, current, Error: $"no complete response within {_options.Timeout.TotalSeconds:0} s");
        }
        catch (HttpRequestException ex) when (FindRefusal(ex) is { } refused)
        {
            return new FetchResult(FetchStatus.Refused, current, Error: refused.Message);
        }
        catch (HttpRequestException ex)
        {
            return new FetchResult(FetchStatus.NetworkError, current, Error: ex.Message);
        }
        catch (IOException ex)
        {
            return new FetchResult(FetchStatus.NetworkError, current, Error: ex.Message);
        }
    }

    private static AddressRefusedException? FindRefusal(Exception ex)
    {
        for (Exception? e = ex; e is not null; e = e.InnerException)
        {
            if (e is AddressRefusedException refused)
                return refused;
        }
        return null;
    }

    private static TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta)
            return delta;
        if (header?.Date is { } date && response.Headers.Date is { } now)
            return date - now > TimeSpan.Zero ? date - now : TimeSpan.Zero;
        return null;
    }

    private async Task<byte[]?> ReadBoundedAsync(HttpContent content, CancellationToken ct)
    {
        await using var stream = await content.ReadAsStreamAsync(ct);
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int n;
        while ((n = await stream.ReadAsync(chunk, ct)) > 0)
        {
            // Counted after decompression, so a gzip bomb stops at the limit too.
            if (buffer.Length + n > _options.MaxResponseBytes)
                return null;
            buffer.Write(chunk, 0, n);
        }
        return buffer.ToArray();
    }

    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var host = context.DnsEndPoint.Host;
        IPAddress[] addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal)
            ? [literal]
            : _options.ResolverForTests is { } resolve ? await resolve(host, ct) : await Dns.GetHostAddressesAsync(host, ct);
        if (addresses.Length == 0)
            throw new AddressRefusedException($"{host} did not resolve to any address");
        // Every answer must be public: refusing the whole name when any record is internal keeps a mixed answer from
        // reaching the internal one on a retry or a later connection.
        foreach (var address in addresses)
        {
            if (AddressPolicy.Refusal(address, _options.AllowLoopbackForTests) is { } reason)
                throw new AddressRefusedException($"{host} resolves to {address}, a {reason}: refused");
        }
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            // Connect to the addresses we checked, never to the name (which could resolve differently a second time).
            await socket.ConnectAsync(addresses, context.DnsEndPoint.Port, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>The connect-time SSRF check refused an address; surfaces as <see cref="FetchStatus.Refused"/>.</summary>
internal sealed class AddressRefusedException(string message) : IOException(message);
