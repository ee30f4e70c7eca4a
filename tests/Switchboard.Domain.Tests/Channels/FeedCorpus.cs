using System.Globalization;
using System.Text;
using Switchboard.Channels.Feeds;

namespace Switchboard.Tests.Channels;

/// <summary>
/// Runs the feed parser over feedparser's "wellformed" corpus and evaluates each file's Python expectation against a
/// feedparser-shaped view of what Switchboard stores. Shared by <see cref="FeedCorpusTests"/> and the report writer.
///
/// Classification ("concerns what Switchboard stores"): an expectation is in scope when every feed/entries access in it
/// is one of <see cref="StoredPaths"/> (feed title and link; entry id/guid, title, link(s), published/updated, author,
/// content/summary value, comments and wfw comment links) and it uses no other name than bozo. Expectations on fields
/// Switchboard does not keep (language, rights, tags, iTunes, geo, media, HTTP headers, version…) are out of scope.
/// The whole sanitize/ folder is out of scope: each of its expectations is feedparser's sanitizer output, whereas
/// Switchboard stores HTML as sent and sanitizes at render time with its own allow-list.
/// </summary>
internal static class FeedCorpus
{
    public static readonly HashSet<string> StoredPaths = new(StringComparer.Ordinal)
    {
        "feed.title", "feed.title_detail.value", "feed.link", "feed.links.*.href", "feed.links.*.rel", "feed.links.*.type",
        "entries.id", "entries.guid", "entries.guidislink", "entries.title", "entries.title_detail.value", "entries.link",
        "entries.links.*.href", "entries.links.*.rel", "entries.links.*.type",
        "entries.published", "entries.published_parsed", "entries.updated", "entries.updated_parsed",
        "entries.issued", "entries.issued_parsed", "entries.modified", "entries.modified_parsed", "entries.date", "entries.date_parsed",
        "entries.author", "entries.author_detail.name", "entries.author_detail.email", "entries.author_detail.href",
        "entries.content.*.value", "entries.summary", "entries.description", "entries.summary_detail.value",
        "entries.comments", "entries.wfw_comment", "entries.wfw_commentrss",
    };

    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal) { "and", "or", "not", "in", "is", "bozo", "None", "True", "False" };

    internal enum Outcome { Pass, Fail, OutOfScope }

    internal sealed record CaseResult(string File, string Description, string Expect, Outcome Outcome, string Detail);

    public static IEnumerable<string> Files(string wellformed) =>
        Directory.EnumerateFiles(wellformed, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal);

    public static CaseResult Run(string wellformed, string file)
    {
        var relative = Path.GetRelativePath(wellformed, file).Replace('\\', '/');
        var text = File.ReadAllText(file);
        var (description, expect, headers) = Header(text);
        // feedparser's own test server served these files from this address; expectations resolve relative URLs against it.
        var documentUri = new Uri("http://127.0.0.1:8097/tests/wellformed/" + relative);
        // As an HTTP client would: a Content-Location that is not http(s) (javascript:…) is ignored.
        if (headers.TryGetValue("Content-Location", out var location) && Uri.TryCreate(documentUri, location, out var located)
            && located.Scheme is "http" or "https")
            documentUri = located;
        FeedParseResult parsed;
        using (var stream = File.OpenRead(file))
            parsed = FeedParser.Parse(stream, new FeedParseOptions { DocumentUri = documentUri });

        if (expect is null)
            return new(relative, description, "", Outcome.OutOfScope, "no Expect line");
        var scope = Scope(relative, expect);
        if (scope is not null)
            return new(relative, description, expect, Outcome.OutOfScope, scope);
        if (parsed.Error is { } error)
            return new(relative, description, expect, Outcome.Fail, "not parsed: " + error);
        try
        {
            var view = View(parsed.Feed!);
            var ok = PythonExpectation.Evaluate(expect, name => name switch
            {
                "bozo" => false,
                "feed" => view.Feed,
                "entries" => view.Entries,
                _ => throw new NotSupportedException("name " + name),
            });
            return new(relative, description, expect, ok ? Outcome.Pass : Outcome.Fail, ok ? "" : Actual(expect, view));
        }
        catch (PythonExpectation.MissingKeyException ex)
        {
            return new(relative, description, expect, Outcome.Fail, ex.Message);
        }
        catch (NotSupportedException ex)
        {
            return new(relative, description, expect, Outcome.Fail, "evaluator: " + ex.Message);
        }
    }

    /// <summary>Null when in scope, else the reason it is not.</summary>
    public static string? Scope(string relative, string expect)
    {
        if (relative.StartsWith("sanitize/", StringComparison.Ordinal))
            return "sanitizer output (Switchboard stores HTML as sent; sanitizes at render)";
        List<string> paths;
        HashSet<string> names;
        try
        {
            (paths, names) = PythonExpectation.Analyse(expect);
        }
        catch (NotSupportedException ex)
        {
            return "expression not analysable: " + ex.Message;
        }
        var others = names.Where(n => !Keywords.Contains(n)).ToList();
        if (others.Count > 0)
            return "uses " + string.Join(", ", others);
        if (paths.Count == 0)
            return "no field expectation (only bozo)";
        var foreign = paths.Where(p => !StoredPaths.Contains(p)).Distinct().ToList();
        return foreign.Count > 0 ? "not stored: " + string.Join(", ", foreign) : null;
    }

    private static (string Description, string? Expect, Dictionary<string, string> Headers) Header(string text)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        string description = "", expect = "";
        bool hasExpect = false;
        var start = text.IndexOf("<!--", StringComparison.Ordinal);
        var end = start < 0 ? -1 : text.IndexOf("-->", start, StringComparison.Ordinal);
        if (start < 0 || end < 0)
            return (description, null, headers);
        foreach (var raw in text[(start + 4)..end].Split('\n'))
        {
            var line = raw.Trim();
            if (line.StartsWith("Description:", StringComparison.Ordinal))
                description = line["Description:".Length..].Trim();
            else if (line.StartsWith("Expect:", StringComparison.Ordinal))
            {
                expect = line["Expect:".Length..].Trim();
                hasExpect = true;
            }
            else if (line.StartsWith("Header:", StringComparison.Ordinal))
            {
                var header = line["Header:".Length..].Trim();
                var colon = header.IndexOf(':', StringComparison.Ordinal);
                if (colon > 0)
                    headers[header[..colon].Trim()] = header[(colon + 1)..].Trim();
            }
        }
        return (description, hasExpect ? expect : null, headers);
    }

    internal sealed record FeedView(Dictionary<string, object?> Feed, List<object?> Entries);

    /// <summary>The parsed model in feedparser's shape (keys it would set; a key Switchboard lacks is absent, i.e. a KeyError).</summary>
    public static FeedView View(Feed feed)
    {
        var head = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (feed.Title is not null)
        {
            head["title"] = feed.Title;
            head["title_detail"] = new Dictionary<string, object?> { ["value"] = feed.Title };
        }
        if (feed.Link is not null)
            head["link"] = feed.Link;
        head["links"] = Links(feed.Links);
        var entries = new List<object?>();
        foreach (var e in feed.Entries)
        {
            var d = new Dictionary<string, object?>(StringComparer.Ordinal);
            if (e.Id is not null)
            {
                d["id"] = e.Id;
                d["guid"] = e.Id;
            }
            d["guidislink"] = e.Link is not null && e.Id == e.Link && e.GuidIsPermaLink;
            if (e.Title is not null)
            {
                d["title"] = e.Title;
                d["title_detail"] = new Dictionary<string, object?> { ["value"] = e.Title };
            }
            if (e.Link is not null)
                d["link"] = e.Link;
            d["links"] = Links(e.Links);
            if (e.PublishedText is not null)
            {
                d["published"] = d["issued"] = e.PublishedText;
                if (e.Published is { } p)
                    d["published_parsed"] = d["issued_parsed"] = TimeTuple(p);
            }
            // feedparser 6 answers "updated" with the published date when there is no updated date.
            var updatedText = e.UpdatedText ?? e.PublishedText;
            var updated = e.UpdatedText is not null ? e.Updated : e.Published;
            if (updatedText is not null)
            {
                d["updated"] = d["modified"] = d["date"] = updatedText;
                if (updated is { } u)
                    d["updated_parsed"] = d["modified_parsed"] = d["date_parsed"] = TimeTuple(u);
            }
            if (e.Author is not null)
                d["author"] = e.Author;
            if (e.AuthorName is not null || e.AuthorEmail is not null || e.AuthorUri is not null)
            {
                var detail = new Dictionary<string, object?>(StringComparer.Ordinal);
                if (e.AuthorName is not null) detail["name"] = e.AuthorName;
                if (e.AuthorEmail is not null) detail["email"] = e.AuthorEmail;
                if (e.AuthorUri is not null) detail["href"] = e.AuthorUri;
                d["author_detail"] = detail;
            }
            if (e.Content is not null)
                d["content"] = new List<object?> { new Dictionary<string, object?> { ["value"] = e.Content } };
            if (e.Summary is not null)
            {
                d["summary"] = d["description"] = e.Summary;
                d["summary_detail"] = new Dictionary<string, object?> { ["value"] = e.Summary };
            }
            if (e.Comments is not null)
                d["comments"] = e.Comments;
            if (e.CommentApi is not null)
                d["wfw_comment"] = e.CommentApi;
            if (e.CommentsFeed is not null)
                d["wfw_commentrss"] = e.CommentsFeed;
            entries.Add(d);
        }
        return new FeedView(head, entries);
    }

    private static List<object?> Links(IReadOnlyList<FeedLink> links) =>
        links.Select(l => (object?)new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["href"] = l.Href,
            ["rel"] = l.Rel,
            ["type"] = l.Type,
        }).ToList();

    // Python's time.struct_time in UTC: (year, month, day, hour, minute, second, weekday Monday=0, day of year, isdst=0).
    private static List<object?> TimeTuple(DateTimeOffset t)
    {
        var u = t.UtcDateTime;
        return [(long)u.Year, (long)u.Month, (long)u.Day, (long)u.Hour, (long)u.Minute, (long)u.Second, (long)(((int)u.DayOfWeek + 6) % 7), (long)u.DayOfYear, 0L];
    }

    private static string Actual(string expect, FeedView view)
    {
        // Show the values of the accessed paths so the report says what Switchboard read.
        var sb = new StringBuilder();
        foreach (var path in PythonExpectation.Analyse(expect).Paths.Distinct())
        {
            var parts = path.Split('.');
            object? current = parts[0] == "feed" ? view.Feed : (view.Entries.Count > 0 ? view.Entries[0] : null);
            foreach (var part in parts.Skip(1))
            {
                current = (current, part) switch
                {
                    (Dictionary<string, object?> d, _) => d.GetValueOrDefault(part),
                    (List<object?> l, "*") => l.Count > 0 ? l[0] : null,
                    _ => null,
                };
            }
            sb.Append(CultureInfo.InvariantCulture, $"{path} = {Show(current)}; ");
        }
        return "got " + sb.ToString().TrimEnd(' ', ';');
    }

    private static string Show(object? value) => value switch
    {
        null => "(absent)",
        string s => "'" + (s.Length > 120 ? s[..120] + "…" : s) + "'",
        List<object?> l => "(" + string.Join(", ", l.Select(Show)) + ")",
        Dictionary<string, object?> d => "{" + string.Join(", ", d.Select(kv => kv.Key + ": " + Show(kv.Value))) + "}",
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };
}
