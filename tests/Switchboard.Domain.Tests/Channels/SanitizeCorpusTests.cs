using System.Text.RegularExpressions;
using Switchboard.Channels.Feeds;
using Switchboard.Channels.Html;
using Xunit;
using Xunit.Abstractions;

namespace Switchboard.Tests.Channels;

/// <summary>
/// feedparser's sanitize/ corpus (745 hostile or borderline HTML fragments in titles, summaries and content) run through
/// what Switchboard renders: the stored value passed to <see cref="HtmlSanitizer.Sanitize"/>. feedparser's expected
/// serializations are not compared (different allow-list, see docs/feed-corpus.md); what must hold is that nothing
/// executable survives.
/// </summary>
public partial class SanitizeCorpusTests(ITestOutputHelper output)
{
    [GeneratedRegex(@"<\s*(script|iframe|frame|object|embed|applet|style|link|meta|base|form|svg|math)\b|\son[a-z]+\s*=|javascript:|vbscript:|data:text|expression\s*\(", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Dangerous();

    [Fact]
    public void No_executable_construct_survives_sanitizing_the_feedparser_sanitize_corpus()
    {
        var folder = SharedCorpus.Path_("corpora", "feedparser", "wellformed", "sanitize");
        if (folder is null || !Directory.Exists(folder))
        {
            output.WriteLine("SKIPPED: ../shared/corpora/feedparser/wellformed/sanitize not found");
            return;
        }
        int files = 0, values = 0, raw = 0;
        foreach (var file in Directory.EnumerateFiles(folder).Order(StringComparer.Ordinal))
        {
            using var stream = File.OpenRead(file);
            var feed = FeedParser.Parse(stream, new FeedParseOptions { DocumentUri = new Uri("http://127.0.0.1:8097/") }).Feed;
            Assert.NotNull(feed);
            files++;
            var stored = new[] { feed.Title }.Concat(feed.Entries.SelectMany(e => new[] { e.Title, e.Summary, e.Content }))
                .Where(v => !string.IsNullOrEmpty(v));
            foreach (var value in stored)
            {
                values++;
                if (Dangerous().IsMatch(value!))
                    raw++;
                var clean = HtmlSanitizer.Sanitize(value);
                Assert.False(Dangerous().IsMatch(clean), $"{Path.GetFileName(file)}: '{value}' sanitized to '{clean}'");
                var text = HtmlSanitizer.ToText(value);
                Assert.DoesNotContain("<script", HtmlSanitizer.Sanitize(text), StringComparison.OrdinalIgnoreCase);
            }
        }
        output.WriteLine($"{files} files, {values} stored HTML values, {raw} dangerous before sanitizing, 0 after");
        Assert.True(raw > 100, "the corpus should exercise the sanitizer");
    }
}
