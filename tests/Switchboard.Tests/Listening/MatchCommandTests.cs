using System.Text.Json;
using Switchboard.Listening;
using Xunit;

namespace Switchboard.Tests.Listening;

public sealed class MatchCommandTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sb-match-");

    public void Dispose() => _dir.Delete(recursive: true);

    private FileInfo Write(string name, string content)
    {
        var path = Path.Combine(_dir.FullName, name);
        File.WriteAllText(path, content);
        return new FileInfo(path);
    }

    private static async Task<(int Code, string Out, string Err)> Run(FileInfo queries, FileInfo input, FileInfo? output = null,
        string? textColumn = null, bool skipInvalid = false)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await MatchCommand.RunAsync(queries, input, output, textColumn, skipInvalid, stdout, stderr, CancellationToken.None);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private const string Posts = """
        {"id": "p1", "channel": "mastodon", "text": "Acme's support is great #acme", "lang": "en"}
        {"id": "p2", "channel": "mastodon", "text": "@acme my refund never came", "lang": "fr"}
        {"id": "p3", "channel": "bluesky", "text": "nothing here"}
        """;

    [Fact]
    public async Task Writes_one_line_per_post_in_input_order_with_sorted_ids()
    {
        var queries = Write("q.tsv", "# comment line\n\nz-acme\tacme\na-refund\trefund*\nm-lang\tlang:en NOT refund\nnone\tglobex\n");
        var (code, output, err) = await Run(queries, Write("posts.jsonl", Posts));
        Assert.Equal(0, code);
        Assert.Equal("", err);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(
            [
                """{"id": "p1", "matches": ["m-lang", "z-acme"]}""",
                """{"id": "p2", "matches": ["a-refund"]}""",
                """{"id": "p3", "matches": []}""",
            ],
            lines);
        foreach (var line in lines)
        {
            using var json = JsonDocument.Parse(line);
            Assert.Equal(JsonValueKind.Array, json.RootElement.GetProperty("matches").ValueKind);
        }
    }

    [Fact]
    public async Task Invalid_queries_are_reported_with_id_and_column_and_fail()
    {
        var queries = Write("q.tsv", "ok\tacme\nbad\t(acme OR foo\nnear\tacme NEAR foo\n");
        var (code, output, err) = await Run(queries, Write("posts.jsonl", Posts));
        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.Contains("line 2: query 'bad': unbalanced parenthesis at column 1", err, StringComparison.Ordinal);
        Assert.Contains("line 3: query 'near': NEAR needs a distance, e.g. NEAR/3 at column 6", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Skip_invalid_matches_with_the_valid_queries()
    {
        var queries = Write("q.tsv", "ok\tacme\nbad\tNOT acme\n");
        var (code, output, err) = await Run(queries, Write("posts.jsonl", Posts), skipInvalid: true);
        Assert.Equal(0, code);
        Assert.Contains("query 'bad': a query needs at least one positive term at column 1", err, StringComparison.Ordinal);
        Assert.StartsWith("""{"id": "p1", "matches": ["ok"]}""", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Malformed_query_lines_are_reported()
    {
        var queries = Write("q.tsv", "no tab here\n\tacme\ndup\tacme\ndup\tfoo\n");
        var (code, _, err) = await Run(queries, Write("posts.jsonl", Posts));
        Assert.Equal(2, code);
        Assert.Contains("line 1: expected id<TAB>query", err, StringComparison.Ordinal);
        Assert.Contains("line 2: the query id is empty", err, StringComparison.Ordinal);
        Assert.Contains("line 4: query 'dup' is defined twice", err, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("# only a comment\n\n")]
    public async Task A_queries_file_without_queries_is_refused_instead_of_matching_nothing(string content)
    {
        var (code, output, err) = await Run(Write("q.tsv", content), Write("posts.jsonl", Posts));
        Assert.Equal(2, code);
        Assert.Contains("has no queries", err, StringComparison.Ordinal);
        Assert.Equal("", output);
    }

    [Fact]
    public async Task Reads_csv_with_a_text_column_and_writes_to_a_file()
    {
        var csv = Write("posts.csv", "post_id,body\n1,\"Refund please, Acme\"\n2,hello\n");
        var outFile = new FileInfo(Path.Combine(_dir.FullName, "out.jsonl"));
        var (code, stdout, err) = await Run(Write("q.tsv", "r\trefund NEAR/2 acme\n"), csv, outFile, textColumn: "body");
        Assert.True(code == 0, err);
        Assert.Equal("", stdout);
        var lines = File.ReadAllLines(outFile.FullName);
        Assert.Equal(2, lines.Length);
        Assert.EndsWith("\"matches\": [\"r\"]}", lines[0], StringComparison.Ordinal);
        Assert.EndsWith("\"matches\": []}", lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_input_records_are_reported_and_the_rest_matched()
    {
        var input = Write("posts.jsonl", "{\"id\": \"p1\", \"channel\": \"x\", \"text\": \"acme\"}\n{not json\n{\"id\": \"p3\", \"channel\": \"x\", \"text\": \"acme\"}\n");
        var (code, output, err) = await Run(Write("q.tsv", "a\tacme\n"), input);
        Assert.Equal(1, code);
        Assert.Contains("line 2", err, StringComparison.Ordinal);
        Assert.Equal(2, output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public async Task Missing_files_are_usage_errors()
    {
        var missing = new FileInfo(Path.Combine(_dir.FullName, "nope.tsv"));
        var (code, _, err) = await Run(missing, Write("posts.jsonl", Posts));
        Assert.Equal((2, $"error: queries file '{missing.FullName}' does not exist"), (code, err.Trim()));

        var missingPosts = new FileInfo(Path.Combine(_dir.FullName, "nope.jsonl"));
        (code, _, err) = await Run(Write("q.tsv", "a\tacme\n"), missingPosts);
        Assert.Equal((2, $"error: input file '{missingPosts.FullName}' does not exist"), (code, err.Trim()));
    }

    [Fact]
    public void Ids_are_json_escaped() =>
        Assert.Equal("""{"id": "a\"b", "matches": ["é"]}""", MatchCommand.FormatLine("a\"b", ["é"], new System.Text.StringBuilder()));

    [Fact]
    public async Task Directories_and_unwritable_outputs_are_usage_errors_not_crashes()
    {
        var queries = Write("q.tsv", "a\tacme\n");
        var posts = Write("posts.jsonl", Posts);
        var folder = _dir.CreateSubdirectory("folder");
        var (code, output, err) = await Run(new FileInfo(folder.FullName), posts);
        Assert.Equal((2, $"error: queries file '{folder.FullName}' is a directory, not a file"), (code, err.Trim()));

        (code, _, err) = await Run(queries, new FileInfo(folder.FullName));
        Assert.Equal((2, $"error: input file '{folder.FullName}' is a directory, not a file"), (code, err.Trim()));

        (code, output, err) = await Run(queries, posts, new FileInfo(folder.FullName));
        Assert.Equal((2, $"error: cannot write '{folder.FullName}': it is a directory"), (code, err.Trim()));
        Assert.Equal("", output);

        var missing = new FileInfo(Path.Combine(_dir.FullName, "no-such-folder", "out.jsonl"));
        (code, _, err) = await Run(queries, posts, missing);
        Assert.Equal((2, $"error: cannot write '{missing.FullName}': the directory '{missing.DirectoryName}' does not exist"), (code, err.Trim()));
    }
}
