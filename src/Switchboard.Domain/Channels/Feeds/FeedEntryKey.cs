using System.Security.Cryptography;
using System.Text;

namespace Switchboard.Channels.Feeds;

/// <summary>Dedupe key of a feed entry: "id:" + guid, else "link:" + link + "#" + content hash, else a hash of the text alone.</summary>
internal static class FeedEntryKey
{
    public static string For(FeedEntry entry)
    {
        if (!string.IsNullOrWhiteSpace(entry.Id))
            return "id:" + entry.Id.Trim();
        var hash = ContentHash(entry);
        return string.IsNullOrWhiteSpace(entry.Link) ? "hash:" + hash : "link:" + entry.Link.Trim() + "#" + hash;
    }

    private static string ContentHash(FeedEntry entry)
    {
        // Title and body separated by a NUL so ("ab","c") and ("a","bc") differ; 16 bytes of SHA-256 is ample for a key.
        var text = (entry.Title ?? "") + "\0" + (entry.Content ?? entry.Summary ?? "");
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(text), digest);
        return Convert.ToHexStringLower(digest[..16]);
    }
}
