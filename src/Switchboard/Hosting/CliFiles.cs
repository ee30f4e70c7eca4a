using System.Text;

namespace Switchboard.Hosting;

/// <summary>
/// The checks every command makes on the paths it is given, so a user gets the same words everywhere: a folder
/// is called a folder (FileInfo.Exists is false for one, and "does not exist" sends the user looking for a typo),
/// and an output that cannot be written is reported before any work is done, with the path.
/// </summary>
internal static class CliFiles
{
    /// <summary>Why <paramref name="file"/> cannot be read as an input file, or null when it can be.</summary>
    public static string? InputProblem(FileInfo file) =>
        Directory.Exists(file.FullName) ? $"'{file.FullName}' is a directory, not a file"
        : !file.Exists ? $"'{file.FullName}' does not exist"
        : null;

    /// <summary>Why <paramref name="file"/> cannot be written as an output file, or null when it can be.</summary>
    public static string? OutputProblem(FileInfo file)
    {
        if (Directory.Exists(file.FullName))
        {
            return $"cannot write '{file.FullName}': it is a directory";
        }

        if (file.Directory is { Exists: false } dir)
        {
            return $"cannot write '{file.FullName}': the directory '{dir.FullName}' does not exist";
        }

        return null;
    }

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
}
