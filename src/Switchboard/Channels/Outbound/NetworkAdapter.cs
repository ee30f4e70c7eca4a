using System.Text.Json;
using Switchboard.Channels.Accounts;
using Switchboard.Channels.SafeHttp;

namespace Switchboard.Channels.Outbound;

/// <summary>The HTTP client of the outbound adapters: the SSRF-safe client, because instance URLs come from users.</summary>
internal sealed class OutboundHttp(SafeHttpClient client) : IDisposable
{
    public SafeHttpClient Client => client;

    public static OutboundHttp CreateDefault() => new(new SafeHttpClient(new SafeHttpOptions
    {
        Timeout = TimeSpan.FromSeconds(30),
        MaxResponseBytes = 4 * 1024 * 1024,
        UserAgent = "Switchboard/1.0 (+outbound replies)",
    }));

    public void Dispose() => client.Dispose();
}

/// <summary>
/// What the real network adapters share: finding the account a reply leaves through, the character limit, and the
/// translation of an HTTP outcome into a send outcome. The translation is the safety rule of issue 7: only a request
/// that certainly did not reach the network is retried (429/503 after Retry-After, connection refused); a timeout or a
/// 5xx after the request left is Unknown and gets reconciled, never re-sent blindly.
/// </summary>
internal abstract class NetworkAdapter(ChannelAccountStore accounts, OutboundHttp http) : OutboundAdapter
{
    /// <summary>The channel_accounts.kind this adapter uses.</summary>
    protected abstract string AccountKind { get; }

    protected SafeHttpClient Http => http.Client;

    public sealed override async Task<SendOutcome> SendAsync(OutboundReply reply, CancellationToken ct)
    {
        if (reply.Text.Length > MaxLength)
            return new SendOutcome(SendStatus.Failed, Error: $"the reply has {reply.Text.Length} characters; {AccountKind} allows {MaxLength}");
        if (string.IsNullOrWhiteSpace(reply.Text))
            return new SendOutcome(SendStatus.Failed, Error: "the reply is empty");
        var (account, error) = await AccountAsync(reply, ct);
        return account is null ? new SendOutcome(SendStatus.Failed, Error: error) : await SendAsync(account, reply, ct);
    }

    public sealed override async Task<SendOutcome> ReconcileAsync(OutboundReply reply, CancellationToken ct)
    {
        var (account, error) = await AccountAsync(reply, ct);
        return account is null ? new SendOutcome(SendStatus.Unknown, Error: error) : await ReconcileAsync(account, reply, ct);
    }

    /// <summary>Whether a reply could leave through a configured account (the demo falls back to its recorder when not).</summary>
    public async Task<bool> HasAccountAsync(OutboundReply reply, CancellationToken ct) => (await AccountAsync(reply, ct)).Account is not null;

    protected abstract Task<SendOutcome> SendAsync(ChannelAccount account, OutboundReply reply, CancellationToken ct);

    protected abstract Task<SendOutcome> ReconcileAsync(ChannelAccount account, OutboundReply reply, CancellationToken ct);

    /// <summary>
    /// The conversation's account (set when the message arrived through it), else the only enabled account of this
    /// kind. Several accounts and no usable mark is refused: guessing could answer from the wrong brand.
    /// </summary>
    private async Task<(ChannelAccount? Account, string? Error)> AccountAsync(OutboundReply reply, CancellationToken ct)
    {
        // A conversation found by a listening-only connector (e.g. the Bluesky firehose) is marked with that
        // account, which cannot post: then the account of this adapter's kind is looked up as if unmarked.
        if (reply.ChannelAccountId is { } id && await accounts.GetAsync(id, ct) is { } marked && marked.Kind == AccountKind)
            return marked.Enabled ? (marked, null) : (null, $"the {AccountKind} account '{marked.Name}' is disabled");
        var candidates = (await accounts.ListAsync(AccountKind, ct)).Where(a => a.Enabled).ToList();
        return candidates.Count switch
        {
            1 => (candidates[0], null),
            0 => (null, $"no enabled {AccountKind} account is configured"),
            _ => (null, $"{candidates.Count} {AccountKind} accounts are configured and the conversation is not tied to one"),
        };
    }

    /// <summary>Classifies the outcome of a write; on success returns null so the caller reads the body.</summary>
    protected static SendOutcome? WriteFailure(ApiResponse response, string what) => response.Status switch
    {
        ApiCallStatus.Refused => new SendOutcome(SendStatus.Failed, Error: $"{what}: {response.Error}"),
        ApiCallStatus.NotSent => new SendOutcome(SendStatus.RetryLater, Error: $"{what}: {response.Error}"),
        ApiCallStatus.MaybeSent or ApiCallStatus.TooLarge => new SendOutcome(SendStatus.Unknown, Error: $"{what}: {response.Error}"),
        _ => response.HttpStatus switch
        {
            >= 200 and < 300 => null,
            429 or 503 => new SendOutcome(SendStatus.RetryLater, Error: $"{what}: HTTP {response.HttpStatus}{Detail(response)}", RetryAfter: response.RetryAfter),
            // The server may have done the work before failing (or a proxy gave up waiting): look before sending again.
            408 or 500 or 502 or 504 => new SendOutcome(SendStatus.Unknown, Error: $"{what}: HTTP {response.HttpStatus}{Detail(response)}"),
            _ => new SendOutcome(SendStatus.Failed, Error: $"{what}: HTTP {response.HttpStatus}{Detail(response)}"),
        },
    };

    /// <summary>A lookup during a reconcile: anything but a success leaves the outcome unknown.</summary>
    protected static SendOutcome? LookupFailure(ApiResponse response, string what) =>
        response.IsSuccess ? null : new SendOutcome(SendStatus.Unknown,
            Error: $"{what}: " + (response.Status == ApiCallStatus.Answered ? $"HTTP {response.HttpStatus}{Detail(response)}" : response.Error));

    /// <summary>The network's own error message, shortened, for the agent (never the request, which holds tokens).</summary>
    protected static string Detail(ApiResponse response)
    {
        if (response.Body is not { Length: > 0 } body)
            return "";
        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            if (root.ValueKind == JsonValueKind.Object)
            {
                foreach (var name in new[] { "error_description", "error", "message" })
                {
                    if (root.TryGetProperty(name, out var v))
                    {
                        var text = v.ValueKind == JsonValueKind.Object && v.TryGetProperty("message", out var m) ? m.ToString() : v.ToString();
                        return ": " + (text.Length > 200 ? text[..200] + "…" : text);
                    }
                }
            }
        }
        catch (JsonException)
        {
            // not JSON: no detail
        }
        return "";
    }

    protected static Uri Join(string baseUrl, string pathAndQuery) => new(baseUrl.TrimEnd('/') + pathAndQuery);

    protected static Dictionary<string, string> Bearer(string token) => new() { ["Authorization"] = "Bearer " + token };

    protected static JsonDocument? ParseJson(byte[]? body)
    {
        try
        {
            return body is null ? null : JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException)
        {
            return null;
        }
    }

    protected static string? Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v)
            ? v.ValueKind switch { JsonValueKind.String => v.GetString(), JsonValueKind.Number => v.GetRawText(), _ => null }
            : null;

    /// <summary>Text compared loosely for reconciling: whitespace collapsed (networks re-wrap and trim what they store).</summary>
    protected static string Loose(string text) => string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
}
