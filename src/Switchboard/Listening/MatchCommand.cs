using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Switchboard.Posts;

namespace Switchboard.Listening;

/// <summary>
/// <c>switchboard match --queries FILE --input FILE [--output FILE] [--text-column COL] [--skip-invalid]</c>:
/// matches every post of a file against a set of listening queries and writes one JSON line per post, in input
/// order: <c>{"id": "p1", "matches": ["q1", "q2"]}</c> with query ids sorted (ordinal).
/// </summary>
internal static class MatchCommand
{
    private static readonly JsonSerializerOptions Json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Command Create()
    {
        var cmd = new Command("match", "Match posts against listening queries");
        var queries = new Option<FileInfo>("--queries")
        {
            Description = "Queries, one per line as id<TAB>query; lines starting with # and blank lines are ignored",
            Required = true,
        };
        var input = new Option<FileInfo>("--input") { Description = "Posts: JSONL in the Switchboard post format, or CSV", Required = true };
        var output = new Option<FileInfo?>("--output") { Description = "Where to write the JSON lines (default: standard output)" };
        var textColumn = new Option<string?>("--text-column") { Description = "CSV column holding the post text (default: text)" };
        var skipInvalid = new Option<bool>("--skip-invalid") { Description = "Report invalid queries but match with the valid ones" };
        cmd.Options.Add(queries);
        cmd.Options.Add(input);
        cmd.Options.Add(output);
        cmd.Options.Add(textColumn);
        cmd.Options.Add(skipInvalid);
        cmd.SetAction((parse, ct) => RunAsync(
            parse.GetValue(queries)!, parse.GetValue(input)!, parse.GetValue(output), parse.GetValue(textColumn),
            parse.GetValue(skipInvalid), Console.Out, Console.Error, ct));
        return cmd;
    }

    /// <returns>0 when every post was matched; 1 when some input records were unreadable (the rest were matched);
    /// 2 for unusable arguments, unreadable files or invalid queries (without --skip-invalid).</returns>
    internal static async Task<int> RunAsync(FileInfo queries, FileInfo input, FileInfo? output, string? textColumn,
        bool skipInvalid, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        foreach (var (file, what) in new[] { (queries, "queries file"), (input, "input file") })
        {
            if (Hosting.CliFiles.InputProblem(file, what) is { } problem)
            {
                await stderr.WriteLineAsync("error: " + problem);
                return 2;
            }
        }

        ListeningIndex index;
        using (var reader = new StreamReader(queries.FullName, Encoding.UTF8))
        {
            var (loaded, errors) = LoadQueries(reader);
            foreach (var e in errors)
            {
                await stderr.WriteLineAsync($"{queries.Name}:{e}");
            }

            if (errors.Count > 0 && !skipInvalid)
            {
                await stderr.WriteLineAsync($"error: {errors.Count} invalid quer{(errors.Count == 1 ? "y" : "ies")}; fix them or pass --skip-invalid");
                return 2;
            }

            // An empty queries file (or one of comments only) is almost always the wrong file; matching nothing
            // against every post would look like a quiet success.
            if (loaded.Count == 0 && errors.Count == 0)
            {
                await stderr.WriteLineAsync($"error: queries file '{queries.FullName}' has no queries (one per line: ID<TAB>QUERY)");
                return 2;
            }

            index = loaded;
        }

        var badRecords = 0;
        // Opened only now, after the checks above: a mistyped command must not truncate an earlier output.
        TextWriter? writer = output is null ? stdout : Hosting.CliFiles.CreateText(output, stderr);
        if (writer is null)
        {
            return 2;
        }

        try
        {
            using var reader = new StreamReader(input.FullName, Encoding.UTF8);
            var doc = new PostDocument();
            var matches = new List<string>();
            var line = new StringBuilder();
            foreach (var record in PostFiles.Read(reader, new PostReadOptions(TextColumn: textColumn)))
            {
                ct.ThrowIfCancellationRequested();
                if (record.Post is not { } post)
                {
                    badRecords++;
                    await stderr.WriteLineAsync($"{input.Name}: {record.Error}");
                    continue;
                }

                doc.Load(post);
                matches.Clear();
                index.Match(doc, matches);
                matches.Sort(StringComparer.Ordinal);
                await writer.WriteLineAsync(FormatLine(post.Id, matches, line));
            }
        }
        finally
        {
            if (output is not null)
            {
                await writer.DisposeAsync();
            }
            else
            {
                await writer.FlushAsync(ct);
            }
        }

        return badRecords > 0 ? 1 : 0;
    }

    internal static string FormatLine(string id, List<string> matches, StringBuilder sb)
    {
        sb.Clear();
        sb.Append("{\"id\": ").Append(JsonSerializer.Serialize(id, Json)).Append(", \"matches\": [");
        for (var i = 0; i < matches.Count; i++)
        {
            if (i > 0)
            {
                sb.Append(", ");
            }

            sb.Append(JsonSerializer.Serialize(matches[i], Json));
        }

        return sb.Append("]}").ToString();
    }

    /// <summary>
    /// Parses a queries file. Errors read "line N: query 'id': reason at column C" (the column counts within the
    /// query, after the tab). Invalid lines are skipped; the caller decides whether they are fatal.
    /// </summary>
    internal static (ListeningIndex Index, List<string> Errors) LoadQueries(TextReader reader)
    {
        var index = new ListeningIndex();
        var errors = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var lineNumber = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            var n = lineNumber.ToString(CultureInfo.InvariantCulture);
            if (string.IsNullOrWhiteSpace(line) || line.TrimStart().StartsWith('#'))
            {
                continue;
            }

            var tab = line.IndexOf('\t');
            if (tab < 0)
            {
                errors.Add($"line {n}: expected id<TAB>query");
                continue;
            }

            var id = line[..tab].Trim();
            if (id.Length == 0)
            {
                errors.Add($"line {n}: the query id is empty");
                continue;
            }

            if (!seen.Add(id))
            {
                errors.Add($"line {n}: query '{id}' is defined twice");
                continue;
            }

            var parsed = QueryParser.Parse(line[(tab + 1)..]);
            if (parsed.Query is null)
            {
                errors.Add($"line {n}: query '{id}': {parsed.Error}");
                continue;
            }

            index.Upsert(id, parsed.Query);
        }

        return (index, errors);
    }
}
