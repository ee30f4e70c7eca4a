using Switchboard.Posts;

namespace Switchboard.Listening;

/// <summary>
/// A post prepared for matching: its tokens (folded) and the metadata fields queries can test. Reusable: call
/// <see cref="Load(Post)"/> for each post so the hot path allocates nothing once the buffers have grown.
/// Not thread-safe; use one per thread.
/// </summary>
public sealed class PostDocument
{
    internal readonly TokenBuffer Tokens = new();

    /// <summary>Lower-cased language tag, e.g. "en" or "en-us".</summary>
    public string? Lang { get; private set; }
    public string? Channel { get; private set; }
    /// <summary>Lower-cased author handle without a leading <c>@</c>.</summary>
    public string? AuthorHandle { get; private set; }
    public long? Followers { get; private set; }
    public bool? Verified { get; private set; }
    /// <summary>Lower-cased hosts of URLs in the text and of the post's own URL.</summary>
    public IReadOnlyList<string> Hosts => Tokens.Hosts;
    public int TokenCount => Tokens.Count;

    public static PostDocument From(Post post)
    {
        var doc = new PostDocument();
        doc.Load(post);
        return doc;
    }

    public void Load(Post post)
    {
        ArgumentNullException.ThrowIfNull(post);
        Tokenizer.Tokenize(post.Text ?? "", Tokens);
        Tokenizer.AddUrlHost(post.Url, Tokens.Hosts);
        Lang = Lower(post.Lang);
        Channel = Lower(post.Channel);
        var handle = post.Author?.Handle;
        AuthorHandle = string.IsNullOrWhiteSpace(handle) ? null : Lower(handle.Trim().TrimStart('@'));
        Followers = post.Author?.Followers;
        Verified = post.Author?.Verified;
    }

    /// <summary>Loads bare text with no metadata (tests, previews of a draft query against typed text).</summary>
    public void Load(string text) => Load(new Post("", "", text));

    public string TokenText(int position) => Tokens.TextWithSigil(position).ToString();

    public TokenKind TokenKind(int position) => Tokens.Tokens[position].Kind;

    // ToLowerInvariant returns the same instance when nothing changes, so already-normalised posts cost nothing.
    private static string? Lower(string? s) => string.IsNullOrEmpty(s) ? null : s.ToLowerInvariant();

    internal bool MatchesField(FieldNode f) => f.Field switch
    {
        QueryField.Lang => Lang is { } l && (l == f.Value || (l.Length > f.Value.Length && l.StartsWith(f.Value, StringComparison.Ordinal) && l[f.Value.Length] is '-' or '_')),
        QueryField.Channel => Channel == f.Value,
        QueryField.Author => AuthorHandle == f.Value,
        QueryField.Site => HasSite(f.Value),
        QueryField.Followers => Followers is { } n && f.Comparison switch
        {
            Comparison.Greater => n > f.Number,
            Comparison.GreaterOrEqual => n >= f.Number,
            Comparison.Less => n < f.Number,
            Comparison.LessOrEqual => n <= f.Number,
            _ => n == f.Number,
        },
        QueryField.Verified => f.Value == "true" ? Verified == true : Verified != true,
        _ => false,
    };

    private bool HasSite(string site)
    {
        foreach (var h in Tokens.Hosts)
        {
            if (h == site || (h.Length > site.Length && h.EndsWith(site, StringComparison.Ordinal) && h[h.Length - site.Length - 1] == '.'))
            {
                return true;
            }
        }

        return false;
    }
}
