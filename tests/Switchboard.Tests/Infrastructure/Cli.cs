using System.Diagnostics;

namespace Switchboard.Tests.Infrastructure;

/// <summary>
/// Runs the built switchboard executable once, as a user types it, and returns its exit code and both streams. For
/// tests of what the command line itself does (parse errors, the error contract), which RunAsync cannot show.
/// </summary>
internal static class Cli
{
    public static async Task<(int Code, string Out, string Err)> RunAsync(string workDir, IReadOnlyDictionary<string, string>? env,
        params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = workDir, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Repo.SwitchboardDll);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        // A SWITCHBOARD_DB of the machine running the tests must not decide which database a test touches.
        psi.Environment.Remove("SWITCHBOARD_DB");
        foreach (var (k, v) in env ?? new Dictionary<string, string>())
        {
            psi.Environment[k] = v;
        }

        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await p.WaitForExitAsync(timeout.Token);
        return (p.ExitCode, await stdout, await stderr);
    }

    public static Task<(int Code, string Out, string Err)> RunAsync(string workDir, params string[] args) =>
        RunAsync(workDir, null, args);
}
