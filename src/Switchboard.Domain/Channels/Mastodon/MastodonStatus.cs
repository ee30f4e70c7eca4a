using Switchboard.Channels.Html;
using Switchboard.Posts;

namespace Switchboard.Channels.Mastodon;

internal sealed record MastodonAccount(string Id, string Username, string Acct, string? DisplayName, string? Url, long? FollowersCount, bool Bot);

/// <summary>
/// A Mastodon Status as Switchboard keeps it. <see cref="Id"/> is local to the instance it was read from (and is what
/// <c>in_reply_to_id</c> refers to); <see cref="Uri"/> is the global ActivityPub id.
/// </summary>
internal sealed record MastodonStatus(
    string Id,
    string? Uri,
    string? Url,
    DateTimeOffset? CreatedAt,
    DateTimeOffset? EditedAt,
    string? InReplyToId,
    string? Language,
    string Visibility,
    string SpoilerText,
    /// <summary>HTML as the server sent it; render only through <see cref="HtmlSanitizer.Sanitize"/>.</summary>
    string ContentHtml,
    MastodonAccount Account,
    MastodonStatus? Reblog)
{
    /// <summary>Plain text for listening and classification: the content warning first, then the body.</summary>
    public string Text
    {
        get
        {
            var body = HtmlSanitizer.ToText(ContentHtml);
            return SpoilerText.Length > 0 ? SpoilerText + "\n\n" + body : body;
        }
    }

    /// <summary>
    /// The shared post shape. <paramref name="channel"/> names the connected account's instance (e.g.
    /// "mastodon:mastodon.social") because ids are per instance. A boost is stored as the boosted status.
    /// </summary>
    public Post ToPost(string channel)
    {
        var s = Reblog ?? this;
        return new Post(
            Id: s.Id,
            Channel: channel,
            Text: s.Text,
            CreatedAt: s.CreatedAt,
            Author: new Author(Id: s.Account.Id, Handle: s.Account.Acct, Name: string.IsNullOrEmpty(s.Account.DisplayName) ? null : s.Account.DisplayName, Followers: s.Account.FollowersCount),
            Lang: s.Language,
            Url: s.Url ?? s.Uri,
            InReplyTo: s.InReplyToId);
    }
}

/// <summary>A Notification; mentions carry the status to answer.</summary>
internal sealed record MastodonNotification(string Id, string Type, DateTimeOffset? CreatedAt, MastodonAccount? Account, MastodonStatus? Status);
