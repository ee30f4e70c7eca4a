using System.Text;

namespace Switchboard.Hosting;

/// <summary>
/// The checks every command makes on the paths it is given, so a user gets the same words everywhere: a directory
/// is called a directory (FileInfo.Exists is false for one, and "does not exist" sends the user looking for a typo),
/// and an output that cannot be written is reported before any work is done, with the path.
/// </summary>
internal static class CliFiles
{
    /// <summary>
    /// Why <paramref name="file"/> cannot be read as an input file, or null when it can be. <paramref name="noun"/>
    /// names the option the path came from ("config file" for --config) when a command takes more than one kind of
    /// file through options; a command's single FILE argument needs none.
    /// </summary>
    public static string? InputProblem(FileInfo file, string? noun = null) =>
        Directory.Exists(file.FullName) ? $"{Named(file, noun)} is a directory, not a file"
        : !file.Exists ? $"{Named(file, noun)} does not exist"
        : null;

    /// <summary>Why <paramref name="file"/> cannot be written as an output file, or null when it can be.</summary>
    public static string? OutputProblem(FileInfo file, string? noun = null)
    {
        if (Directory.Exists(file.FullName))
        {
            return $"cannot write {Named(file, noun)}: it is a directory";
        }

        if (file.Directory is { Exists: false } dir)
        {
            return $"cannot write {Named(file, noun)}: the directory '{dir.FullName}' does not exist";
        }

        return null;
    }

    private static string Named(FileInfo file, string? noun) => noun is null ? $"'{file.FullName}'" : $"{noun} '{file.FullName}'";

    /// <summary>
    /// Creates (truncates) an output file for UTF-8 text, or returns null after writing "error: …" with the path and
    /// the system's reason to <paramref name="stderr"/>.
    /// </summary>
    public static StreamWriter? CreateText(FileInfo file, TextWriter stderr)
    {
        if (OutputProblem(file) is { } problem)
        {
            stderr.WriteLine("error: " + problem);
            return null;
        }

        try
        {
            return new StreamWriter(file.FullName, append: false, new UTF8Encoding(false), 1 << 16);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"error: cannot write '{file.FullName}': {e.Message}");
            return null;
        }
    }

    /// <summary>
    /// Writes <paramref name="target"/> through "TARGET.tmp" beside it, which replaces the target only when
    /// <paramref name="write"/> returns exit code 0: an existing output survives a failed run, and a crash never
    /// leaves half a file under the target's name. The temporary file is created before <paramref name="write"/>
    /// runs, so an output that cannot be written is refused (exit code 2) before any work is done, and under the
    /// name the user gave. It is removed whatever happens, also when <paramref name="write"/> throws (which
    /// propagates: a failure to read an input is the writer's to report, not "cannot write").
    /// </summary>
    /// <param name="noun">Names the output in messages, as in <see cref="OutputProblem"/>.</param>
    /// <param name="createDirectory">Create a missing parent directory instead of refusing it.</param>
    /// <returns>The writer's exit code, 2 when the output cannot be created, 1 when it cannot be completed or
    /// moved into place.</returns>
    public static async Task<int> ReplaceOnSuccessAsync(FileInfo target, Func<Stream, Task<int>> write, TextWriter stderr,
        string? noun = null, bool createDirectory = false)
    {
        var tmp = target.FullName + ".tmp";
        FileStream stream;
        try
        {
            if (createDirectory && !Directory.Exists(target.FullName))
            {
                target.Directory?.Create();
            }

            if (OutputProblem(target, noun) is { } problem)
            {
                await stderr.WriteLineAsync("error: " + problem);
                return 2;
            }

            stream = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            var reason = e.Message.Replace(tmp, target.FullName, StringComparison.Ordinal);
            await stderr.WriteLineAsync($"error: cannot write {Named(target, noun)}: {reason}");
            return 2;
        }

        try
        {
            int code;
            try
            {
                code = await write(stream);
            }
            catch
            {
                await stream.DisposeAsync();
                throw;
            }

            try
            {
                // The dispose flushes the last buffer: a full disk shows here or in the move, and is reported.
                await stream.DisposeAsync();
                if (code == 0)
                {
                    File.Move(tmp, target.FullName, overwrite: true);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // After a failed run the temporary file is discarded anyway; the run has said what went wrong.
                if (code != 0)
                {
                    return code;
                }

                var reason = e.Message.Replace(tmp, target.FullName, StringComparison.Ordinal);
                await stderr.WriteLineAsync($"error: cannot write {Named(target, noun)}: {reason}");
                return 1;
            }

            return code;
        }
        finally
        {
            // Only still there when the run failed; after the move there is nothing to delete.
            File.Delete(tmp);
        }
    }
}
