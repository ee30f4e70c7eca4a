namespace Switchboard.Tests.Channels;

/// <summary>
/// Finds ../shared beside the repository root (corpora and fixtures are read in place, never copied into the repo).
/// Null when absent, so tests can skip with a clear message on machines without it.
/// </summary>
internal static class SharedCorpus
{
    public static string? Root()
    {
        if (Environment.GetEnvironmentVariable("SWITCHBOARD_SHARED") is { Length: > 0 } configured && Directory.Exists(configured))
            return configured;
        // <repo>/../shared; a git worktree nested one level deeper (<root>/wt/<name>) finds it one level further up.
        for (var dir = RepoRoot() is { } repo ? new DirectoryInfo(repo) : null; dir is not null; dir = dir.Parent)
        {
            var shared = Path.Combine(dir.FullName, "..", "shared");
            if (Directory.Exists(Path.Combine(shared, "corpora")) || Directory.Exists(Path.Combine(shared, "fixtures")))
                return Path.GetFullPath(shared);
        }
        return null;
    }

    public static string? RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Switchboard.sln")))
                return dir.FullName;
        }
        return null;
    }

    public static string? Path_(params string[] parts) => Root() is { } root ? Path.Combine([root, .. parts]) : null;
}
