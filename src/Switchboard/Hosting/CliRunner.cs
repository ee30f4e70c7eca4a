using System.CommandLine;
using System.CommandLine.Invocation;
using System.Data.Common;
using System.Text.RegularExpressions;

namespace Switchboard.Hosting;

/// <summary>
/// Runs the parsed command line with the CLI's error contract (docs: exit code 2 for bad usage or input): a usage
/// error is one "error: …" line per problem and a pointer to --help, not the whole help text; a problem of the
/// environment (a database that cannot be opened, a path that cannot be written) is one line too, never a stack
/// trace. Anything else is a bug and keeps System.CommandLine's report with the stack trace.
/// </summary>
internal static partial class CliRunner
{
    public const int UsageError = 2;

    public static async Task<int> InvokeAsync(RootCommand root, string[] args, TextWriter stderr)
    {
        var parse = root.Parse(args);
        // --help and --version win over errors (System.CommandLine decides that); only a real parse error is ours.
        if (parse.Action is ParseErrorAction)
        {
            foreach (var error in parse.Errors)
            {
                await stderr.WriteLineAsync("error: " + Friendly(error.Message));
            }

            await stderr.WriteLineAsync($"Try '{CommandPath(parse.CommandResult.Command, root)} --help'.");
            return UsageError;
        }

        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (CliException e)
        {
            await stderr.WriteLineAsync("error: " + e.Message);
            return UsageError;
        }
        catch (DbException e)
        {
            // Almost always the --db value: a file in a folder that cannot be written, a server that is down, a
            // wrong password. The database is named (without its password) so the user knows which value to fix.
            await stderr.WriteLineAsync($"error: database {DatabaseName(parse)}: {e.Message}");
            return UsageError;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The commands check their own files; this is the safety net for a path one of them did not expect.
            await stderr.WriteLineAsync("error: " + e.Message);
            return UsageError;
        }
    }

    // System.CommandLine names CLR types ("System.Nullable`1[System.Int32]"); a user knows "a whole number".
    internal static string Friendly(string message) => ExpectedType().Replace(message, m => m.Groups[1].Value switch
    {
        "System.Int32" or "System.Int64" or "System.Nullable`1[System.Int32]" or "System.Nullable`1[System.Int64]" => "as a whole number",
        "System.Double" or "System.Nullable`1[System.Double]" => "as a number",
        "System.TimeSpan" or "System.Nullable`1[System.TimeSpan]" => "as a duration such as 00:30:00",
        _ => m.Value,
    });

    private static string CommandPath(Command command, RootCommand root)
    {
        var names = new List<string>();
        for (var c = command; c is not null && c != root; c = c.Parents.OfType<Command>().FirstOrDefault())
        {
            names.Insert(0, c.Name);
        }

        names.Insert(0, "switchboard");
        return string.Join(' ', names);
    }

    private static string DatabaseName(ParseResult parse)
    {
        try
        {
            var option = parse.CommandResult.Command.Options.FirstOrDefault(o => o.Name == "--db") as Option<string?>;
            return CommonOptions.Database(option is null ? null : parse.GetValue(option)).Display;
        }
        catch (CliException)
        {
            return "(invalid --db)";
        }
    }

    [GeneratedRegex(@"as expected type '([^']+)'")]
    private static partial Regex ExpectedType();
}

/// <summary>
/// A problem with what the user gave a command that stops it, reported as one "error: …" line and exit code 2. Only
/// for checks deep below a command's RunAsync (e.g. parsing SWITCHBOARD_DB inside a shared helper), where returning
/// an exit code would have to be threaded through every caller; commands otherwise return their codes.
/// </summary>
internal sealed class CliException(string message) : Exception(message);
