using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Switchboard.Tests.Infrastructure;

/// <summary>
/// The built `switchboard` executable running as its own process, exactly as a user starts it, on a free loopback
/// port and in its own working folder (so ./data/ is fresh). Disposing kills it.
/// </summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private ServerProcess(Process process, Uri address, string workDir)
    {
        _process = process;
        Address = address;
        WorkDir = workDir;
        process.OutputDataReceived += (_, e) => { lock (_log) { _log.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (_log) { _log.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public Uri Address { get; }

    public string WorkDir { get; }

    /// <summary>From just before the process was started to its first 200 on /healthz (to within the 25 ms poll interval).</summary>
    public TimeSpan ReadyAfter { get; private set; }

    /// <summary>The processor time the server had used when it first answered /healthz (all its threads).</summary>
    public TimeSpan ReadyCpu { get; private set; }

    /// <summary>The processor time the server has used so far (all its threads); only while it runs.</summary>
    public TimeSpan Cpu => _process.TotalProcessorTime;

    public string Log { get { lock (_log) { return _log.ToString(); } } }

    public static Task<ServerProcess> StartAsync(params string[] extraArgs) =>
        StartInAsync(Directory.CreateTempSubdirectory("switchboard-serve-").FullName, extraArgs);

    /// <summary>Starts the server in a given working folder, e.g. to restart it on the same ./data/.</summary>
    public static Task<ServerProcess> StartInAsync(string workDir, params string[] extraArgs) =>
        StartCoreAsync(workDir, FreePort(), new Dictionary<string, string>(), extraArgs);

    /// <summary>
    /// Starts the server in a given working folder on a given port, e.g. to restart it where its clients expect it.
    /// </summary>
    public static Task<ServerProcess> StartInAsync(string workDir, int port, params string[] extraArgs) =>
        StartCoreAsync(workDir, port, new Dictionary<string, string>(), extraArgs);

    /// <summary>Starts the server in a fresh working folder with extra environment variables (e.g. a log level).</summary>
    public static Task<ServerProcess> StartWithEnvironmentAsync(IReadOnlyDictionary<string, string> environment, params string[] extraArgs) =>
        StartCoreAsync(Directory.CreateTempSubdirectory("switchboard-serve-").FullName, FreePort(), environment, extraArgs);

    private static async Task<ServerProcess> StartCoreAsync(string workDir, int port, IReadOnlyDictionary<string, string> environment, string[] extraArgs)
    {
        var address = new Uri($"http://127.0.0.1:{port}");
        var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = workDir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (name, value) in environment)
        {
            psi.Environment[name] = value;
        }

        foreach (var a in new[] { Repo.SwitchboardDll, "serve", "--urls", address.ToString().TrimEnd('/') }.Concat(extraArgs))
        {
            psi.ArgumentList.Add(a);
        }

        var watch = Stopwatch.StartNew();
        var server = new ServerProcess(Process.Start(psi)!, address, workDir);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        while (watch.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (server._process.HasExited)
            {
                throw new InvalidOperationException("switchboard serve exited early:\n" + server.Log);
            }

            try
            {
                if ((await http.GetAsync(new Uri(address, "/healthz"))).StatusCode == HttpStatusCode.OK)
                {
                    server.ReadyAfter = watch.Elapsed;
                    server.ReadyCpu = server._process.TotalProcessorTime;
                    return server;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(25);
        }

        await server.DisposeAsync();
        throw new TimeoutException("switchboard serve did not answer /healthz within 60 s:\n" + server.Log);
    }

    /// <summary>Runs another switchboard command in the server's working folder (same ./data/).</summary>
    public async Task<string> RunCliAsync(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = WorkDir, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Repo.SwitchboardDll);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"switchboard {string.Join(' ', args)} failed: {await stderr}");
        }

        return (await stdout).Trim();
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    /// <summary>SIGKILL: no shutdown hooks, no flushing; what was committed is all that survives.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
