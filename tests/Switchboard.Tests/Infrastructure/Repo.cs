namespace Switchboard.Tests.Infrastructure;

/// <summary>Finds the repository root and the shared material beside it (../shared), which is never copied in.</summary>
internal static class Repo
{
    public static string Root { get; } = FindRoot();

    public static string Shared => Path.GetFullPath(Path.Combine(Root, "..", "shared"));

    public static string SharedFile(string relative)
    {
        var path = Path.Combine(Shared, relative);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"shared data missing: {path} (the suite expects ../shared beside the repository)");
        }

        return path;
    }

    /// <summary>The built switchboard executable (its dll), for tests that run it as a separate process.</summary>
    public static string SwitchboardDll => Path.Combine(AppContext.BaseDirectory, "switchboard.dll");

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Switchboard.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("cannot find the repository root (Switchboard.sln)");
    }
}
