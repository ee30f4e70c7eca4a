using Switchboard.Hosting;
using Switchboard.Tests.Infrastructure;
using Xunit;

namespace Switchboard.Tests.Hosting;

/// <summary>
/// The command line's error contract, through the real executable: bad usage or input is one "error: …" line (a
/// parse error adds a pointer to --help) and exit code 2, never the whole help text or a stack trace.
/// </summary>
public sealed class CliRunnerTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sb-cli-");

    public void Dispose() => _dir.Delete(recursive: true);

    private string Write(string name, string content)
    {
        var path = Path.Combine(_dir.FullName, name);
        File.WriteAllText(path, content);
        return path;
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static void AssertNoStackTrace(string stderr)
    {
        Assert.DoesNotContain("Unhandled exception", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_option_is_one_line_and_a_pointer_to_help_with_exit_code_2()
    {
        var (code, stdout, stderr) = await Cli.RunAsync(_dir.FullName, "classify", "--input", "x.csv", "--bogus");
        Assert.Equal(2, code);
        Assert.Equal(["error: Unrecognized command or argument '--bogus'.", "Try 'switchboard classify --help'."], Lines(stderr));
        Assert.Equal("", stdout);
    }

    [Fact]
    public async Task A_value_of_the_wrong_type_is_named_in_words_not_as_a_clr_type()
    {
        var (code, _, stderr) = await Cli.RunAsync(_dir.FullName, "train", "--input", "a.csv", "--label-column", "l", "--output", "m.sbm", "--epochs", "abc");
        Assert.Equal(2, code);
        Assert.Equal(["error: Cannot parse argument 'abc' for option '--epochs' as a whole number.", "Try 'switchboard train --help'."], Lines(stderr));
    }

    [Fact]
    public async Task Help_still_wins_over_a_missing_required_option()
    {
        var (code, stdout, stderr) = await Cli.RunAsync(_dir.FullName, "model", "import", "--help");
        Assert.Equal(0, code);
        Assert.Contains("Usage:", stdout, StringComparison.Ordinal);
        Assert.Equal("", stderr);
    }

    [Theory]
    [InlineData("model", "list")]
    [InlineData("token", "create", "--user", "a@example.com")]
    [InlineData("channels", "export")]
    [InlineData("import", "posts.jsonl")]
    public async Task A_database_that_cannot_be_opened_is_one_line_naming_it(params string[] args)
    {
        Write("posts.jsonl", "{\"id\":\"1\",\"channel\":\"x\",\"text\":\"hello\"}\n");
        var folder = _dir.CreateSubdirectory("a-folder");
        var (code, _, stderr) = await Cli.RunAsync(_dir.FullName, [.. args, "--db", folder.FullName]);
        AssertNoStackTrace(stderr);
        Assert.Equal(2, code);
        var line = Assert.Single(Lines(stderr));
        Assert.StartsWith($"error: database sqlite:{folder.FullName}: SQLite Error 14", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Migrate_on_a_database_that_cannot_be_opened_exits_2_like_the_other_commands()
    {
        var folder = _dir.CreateSubdirectory("a-folder");
        var (code, _, stderr) = await Cli.RunAsync(_dir.FullName, "migrate", "--db", folder.FullName);
        Assert.Equal(2, code);
        Assert.StartsWith($"error: cannot migrate sqlite:{folder.FullName}: SQLite Error 14", Assert.Single(Lines(stderr)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_postgresql_server_that_is_down_is_one_line_without_the_password()
    {
        var (code, _, stderr) = await Cli.RunAsync(_dir.FullName, "model", "list", "--db", "postgresql://sb:s3cret@127.0.0.1:1/sb");
        AssertNoStackTrace(stderr);
        Assert.Equal(2, code);
        var line = Assert.Single(Lines(stderr));
        Assert.StartsWith("error: database postgresql://sb@127.0.0.1:1/sb: ", line, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_malformed_db_value_names_the_option_or_the_variable_it_came_from()
    {
        var (code, _, stderr) = await Cli.RunAsync(_dir.FullName, "model", "list", "--db", "postgresql://sb:s3cret@[broken/sb");
        AssertNoStackTrace(stderr);
        Assert.Equal(2, code);
        Assert.StartsWith("error: --db: not a SQLite file path or a PostgreSQL URL/connection string", Assert.Single(Lines(stderr)), StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", stderr, StringComparison.Ordinal);

        (code, _, stderr) = await Cli.RunAsync(_dir.FullName, new Dictionary<string, string> { ["SWITCHBOARD_DB"] = "Host=127.0.0.1;Port=abc" },
            "token", "create", "--user", "a@example.com");
        AssertNoStackTrace(stderr);
        Assert.Equal(2, code);
        Assert.StartsWith("error: SWITCHBOARD_DB: not a SQLite file path", Assert.Single(Lines(stderr)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_with_a_database_that_cannot_be_opened_stops_with_one_error_line()
    {
        var folder = _dir.CreateSubdirectory("a-folder");
        var (code, _, stderr) = await Cli.RunAsync(_dir.FullName, "serve", "--urls", "http://127.0.0.1:0", "--db", folder.FullName);
        AssertNoStackTrace(stderr);
        Assert.Equal(2, code);
        Assert.Contains($"error: database sqlite:{folder.FullName}: SQLite Error 14", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_output_path_that_is_a_directory_is_refused_by_match_and_simulate()
    {
        var posts = Write("posts.jsonl", "{\"id\":\"1\",\"channel\":\"x\",\"text\":\"hello\",\"created_at\":\"2026-11-23T09:00:00Z\"}\n");
        var queries = Write("q.tsv", "q1\thello\n");
        var folder = _dir.CreateSubdirectory("out");
        var (code, _, stderr) = await Cli.RunAsync(_dir.FullName, "match", "--queries", queries, "--input", posts, "--output", folder.FullName);
        AssertNoStackTrace(stderr);
        Assert.Equal(2, code);
        Assert.Equal($"error: cannot write '{folder.FullName}': it is a directory", Assert.Single(Lines(stderr)));

        var config = Path.Combine(Repo.Root, "src", "Switchboard", "Demo", "workspace.yaml");
        (code, _, stderr) = await Cli.RunAsync(_dir.FullName, "simulate", "--config", config, "--input", posts, "--output", folder.FullName);
        AssertNoStackTrace(stderr);
        Assert.Equal(2, code);
        Assert.Equal($"error: cannot write '{folder.FullName}': it is a directory", Assert.Single(Lines(stderr)));
    }

    [Fact]
    public async Task Simulate_replaces_its_output_only_when_the_run_succeeds()
    {
        var posts = Write("posts.jsonl", "{\"id\":\"1\",\"channel\":\"x\",\"text\":\"my refund never arrived\",\"created_at\":\"2026-11-23T09:00:00Z\"}\n");
        var config = Path.Combine(Repo.Root, "src", "Switchboard", "Demo", "workspace.yaml");
        var output = Write("events.jsonl", "earlier events\n");

        // A broken config: refused, and the earlier output is still there.
        var broken = Write("broken.yaml", "teams: [\n");
        var (code, _, stderr) = await Cli.RunAsync(_dir.FullName, "simulate", "--config", broken, "--input", posts, "--output", output);
        Assert.Equal(2, code);
        AssertNoStackTrace(stderr);
        Assert.Equal("earlier events\n", File.ReadAllText(output));

        // A good run replaces it, and no temporary file stays behind.
        (code, _, stderr) = await Cli.RunAsync(_dir.FullName, "simulate", "--config", config, "--input", posts, "--output", output);
        Assert.True(code == 0, stderr);
        Assert.Contains("\"event\":\"routed\"", File.ReadAllText(output), StringComparison.Ordinal);
        Assert.DoesNotContain(_dir.GetFiles(), f => f.Name.EndsWith(".tmp", StringComparison.Ordinal));

        // Its refusals read like every other command's.
        (code, _, stderr) = await Cli.RunAsync(_dir.FullName, "simulate", "--config", config, "--input", Write("empty.jsonl", "\n"));
        Assert.Equal(2, code);
        Assert.StartsWith("error: no usable posts or agent events", Lines(stderr)[^1], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("feed", "parse")]
    [InlineData("channels", "import")]
    [InlineData("model", "import", "--name", "complaint_reason")]
    [InlineData("import")]
    public async Task A_directory_given_as_the_file_is_called_a_directory(params string[] args)
    {
        var folder = _dir.CreateSubdirectory("input");
        string[] db = args[0] == "feed" ? [] : ["--db", Path.Combine(_dir.FullName, "sb.db")];
        var (code, _, stderr) = await Cli.RunAsync(_dir.FullName, [.. args, folder.FullName, .. db]);
        Assert.Equal(2, code);
        Assert.Equal($"error: '{folder.FullName}' is a directory, not a file", Assert.Single(Lines(stderr)));
    }

    [Theory]
    [InlineData("feed", "parse")]
    [InlineData("channels", "import")]
    [InlineData("model", "import", "--name", "complaint_reason")]
    [InlineData("import")]
    public async Task A_missing_file_is_named_with_its_full_path(params string[] args)
    {
        var missing = Path.Combine(_dir.FullName, "no-such-file");
        string[] db = args[0] == "feed" ? [] : ["--db", Path.Combine(_dir.FullName, "sb.db")];
        var (code, _, stderr) = await Cli.RunAsync(_dir.FullName, [.. args, "no-such-file", .. db]);
        Assert.Equal(2, code);
        Assert.Equal($"error: '{missing}' does not exist", Assert.Single(Lines(stderr)));
    }

    [Theory]
    [InlineData("System.Nullable`1[System.Int32]", "as a whole number")]
    [InlineData("System.Double", "as a number")]
    [InlineData("Switchboard.Something", "as expected type 'Switchboard.Something'")]
    public void Friendly_names_the_expected_type_in_words(string type, string expected) =>
        Assert.Equal($"Cannot parse argument 'x' for option '--n' {expected}.",
            CliRunner.Friendly($"Cannot parse argument 'x' for option '--n' as expected type '{type}'."));
}
