namespace Switchboard.Posts;

/// <summary>Channel names are case-insensitive identifiers; stored lower-case so (channel, id) keys compare exactly.</summary>
public static class Channels
{
    public static string Normalize(string channel) => channel.Trim().ToLowerInvariant();
}
