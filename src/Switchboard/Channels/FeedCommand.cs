using System.CommandLine;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Switchboard.Channels.Feeds;
using Switchboard.Channels.SafeHttp;

namespace Switchboard.Channels;

/// <summary>
/// <c>switchboard feed parse FILE|URL</c>: shows what Switchboard reads from a feed, as JSON, so a manager can check a
/// feed before adding it. URLs go through <see cref="SafeHttpClient"/> like every user-supplied URL.
/// </summary>
internal static class FeedCommand
{
    public static Command Create()
    {
        var feed = new Command("feed", "Inspect RSS/Atom feeds");
        var parse = new Command("parse", "Print what Switchboard reads from a feed (file or http/https URL) as JSON");
        var target = new Argument<string>("FILE|URL") { Description = "A feed file path or an http(s) URL" };
        parse.Arguments.Add(target);
        parse.SetAction(async (result, ct) =>
        {
            using var http = new SafeHttpClient();
            return await RunAsync(result.GetValue(target)!, Console.Out, Console.Error, http, ct);
        });
        feed.Subcommands.Add(parse);
        return feed;
    }

    /// <returns>0 when the feed was read, 1 when it could not be fetched or parsed, 2 for bad input (missing file, refused URL scheme).</returns>
    internal static async Task<int> RunAsync(string target, TextWriter stdout, TextWriter stderr, SafeHttpClient http, CancellationToken ct)
    {
        FeedParseResult parsed;
        if (LooksLikeUrl(target, out var url))
        {
            if (SafeHttpClient.CheckUrl(url) is { } refusal)
            {
                await stderr.WriteLineAsync($"error: {target}: {refusal}");
                return 2;
            }
            var fetched = await http.GetAsync(url, cancellationToken: ct);
            if (fetched.Status != FetchStatus.Ok)
            {
                await stderr.WriteLineAsync($"error: {target}: {fetched.Status}: {fetched.Error}");
                return 1;
            }
            using var body = new MemoryStream(fetched.Body!, writable: false);
            parsed = FeedParser.Parse(body, new FeedParseOptions { DocumentUri = fetched.ContentLocation ?? fetched.Url });
        }
        else
        {
            var file = new FileInfo(target);
            if (Hosting.CliFiles.InputProblem(file) is { } problem)
            {
                await stderr.WriteLineAsync("error: " + problem);
                return 2;
            }
            try
            {
                await using var stream = file.OpenRead();
                // No document URI: a saved copy's relative links would otherwise resolve to file:// paths on this machine.
                parsed = FeedParser.Parse(stream, new FeedParseOptions());
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                await stderr.WriteLineAsync($"error: {target}: {ex.Message}");
                return 1;
            }
        }
        if (parsed.Error is { } error)
        {
            await stderr.WriteLineAsync($"error: {target}: not a readable feed: {error}");
            return 1;
        }
        await stdout.WriteLineAsync(ToJson(parsed.Feed!));
        return 0;
    }

    private static bool LooksLikeUrl(string target, out Uri url)
    {
        // "C:\feeds\x.xml" has a one-letter "scheme"; real URL schemes are longer.
        if (FeedContext.HasScheme(target) && target.IndexOf(':', StringComparison.Ordinal) > 1 && Uri.TryCreate(target, UriKind.Absolute, out var parsed))
        {
            url = parsed;
            return true;
        }
        url = null!;
        return false;
    }

    internal static string ToJson(Feed feed)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("title", feed.Title);
            json.WriteString("link", feed.Link);
            json.WriteString("format", feed.Format.ToString());
            json.WriteStartArray("entries");
            foreach (var e in feed.Entries)
            {
                json.WriteStartObject();
                json.WriteString("id", e.Id);
                json.WriteString("title", e.Title);
                json.WriteString("link", e.Link);
                // ISO 8601 UTC when the date was understood; the feed's own text when not, so the manager sees the problem.
                json.WriteString("published", (e.Published ?? e.Updated)?.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture) ?? e.PublishedText ?? e.UpdatedText);
                json.WriteString("author", e.Author);
                json.WriteString("content", e.Content ?? e.Summary);
                json.WriteString("comments", e.Comments);
                if (e.CommentsFeed is not null)
                    json.WriteString("commentsFeed", e.CommentsFeed);
                json.WriteString("dedupeKey", e.DedupeKey);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}
