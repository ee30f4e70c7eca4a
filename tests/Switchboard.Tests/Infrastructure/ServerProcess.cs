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
        StartCoreAsync(new ServerStart(Directory.CreateTempSubdirectory("switchboard-serve-").FullName, FreePort()) { Environment = environment, Args = extraArgs });

    private static Task<ServerProcess> StartCoreAsync(string workDir, int port, IReadOnlyDictionary<string, string> environment, string[] extraArgs) =>
        StartCoreAsync(new ServerStart(workDir, port) { Environment = environment, Args = extraArgs });

    /// <summary>Starts the server as <paramref name="start"/> says (working folder, port, environment, entry point).</summary>
    public static Task<ServerProcess> StartAsync(ServerStart start) => StartCoreAsync(start);

    private static async Task<ServerProcess> StartCoreAsync(ServerStart start)
    {
        var address = new Uri($"http://127.0.0.1:{start.Port}");
        var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = start.WorkDir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (name, value) in start.Environment)
        {
            psi.Environment[name] = value;
        }

        var dll = start.LoopbackConnectors ? typeof(TestServerEntry).Assembly.Location : Repo.SwitchboardDll;
        foreach (var a in new[] { dll, "serve", "--urls", address.ToString().TrimEnd('/') }.Concat(start.Args))
        {
            psi.ArgumentList.Add(a);
        }

        var watch = Stopwatch.StartNew();
        var server = new ServerProcess(Process.Start(psi)!, address, start.WorkDir);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        while (watch.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (server._process.HasExited)
            {
                if (start.MayExitBeforeReady)
                {
                    await server._process.WaitForExitAsync();
                    return server;
                }

                throw new InvalidOperationException("switchboard serve exited early:\n" + server.Log);
            }

            try
            {
                if ((await http.GetAsync(new Uri(address, "/healthz"))).StatusCode == HttpStatusCode.OK)
                {
                    server.ReadyAfter = watch.Elapsed;
                    try
                    {
                        server.ReadyCpu = server._process.TotalProcessorTime;
                    }
                    catch (InvalidOperationException) when (server._process.HasExited)
                    {
                        // Ready, then gone before its CPU time could be read: a fault firing right after the start.
                        // The caller sees the exit; the CPU figure is only reported, never asserted.
                    }
                    return server;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }
            catch (System.Net.Sockets.SocketException)
            {
                // A process that dies while the probe's connection is being set up (a crash test's fault firing
                // during start) surfaces unwrapped, from reading the socket's remote end point (ENOTCONN); the next
                // pass sees the exit.
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

    /// <summary>
    /// A free port below Linux's ephemeral range (32768 and up): while the server is down, neither a client's
    /// outgoing connection nor another test's "free port" can take it, so a restart binds where clients expect it.
    /// </summary>
    public static int PortOutsideEphemeralRange()
    {
        for (var attempt = 0; ; attempt++)
        {
            var port = Random.Shared.Next(20_000, 32_000);
            try
            {
                using var l = new TcpListener(IPAddress.Loopback, port);
                l.Start();
                return port;
            }
            catch (SocketException) when (attempt < 50)
            {
            }
        }
    }

    /// <summary>Whether the process has ended (killed, crashed or exited).</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>The exit code once the process has ended (137 on Linux for SIGKILL).</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>Waits until the process ends on its own; false when it still runs after <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
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

/// <summary>How to start a <see cref="ServerProcess"/>.</summary>
internal sealed record ServerStart(string WorkDir, int Port)
{
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// Runs the test assembly's entry point (<see cref="TestServerEntry"/>) instead of switchboard.dll: the same server,
    /// whose connectors may reach the fake networks this process serves on loopback.
    /// </summary>
    public bool LoopbackConnectors { get; init; }

    /// <summary>A process that ends before it answers /healthz (a fault injected early) is returned, not an error.</summary>
    public bool MayExitBeforeReady { get; init; }

    public IReadOnlyList<string> Args { get; init; } = [];
}
