using System.CommandLine;
using Switchboard.Channels.SafeHttp;
using Switchboard.Hosting;

namespace Switchboard.Tests.Infrastructure;

/// <summary>
/// The test assembly's entry point: <c>dotnet Switchboard.Tests.dll serve …</c> is <c>switchboard serve …</c> (same
/// options, same environment settings, same composition) except that connectors may reach fake networks on
/// loopback (<see cref="SafeHttpOptions.AllowLoopbackForTests"/>), which the product executable can never be told to
/// do. <see cref="ServerProcess"/> starts it for tests that kill a server process while one of its connectors streams
/// from a fake in the test (AckAfterCommitTests). The test runner loads this assembly and never calls it.
/// </summary>
internal static class TestServerEntry
{
    public static Task<int> Main(string[] args) => CliRunner.InvokeAsync(
        new RootCommand("switchboard serve, with connectors allowed to reach loopback (tests only)")
        {
            ServeCommand.Create(s => s with { ConnectorHttp = new SafeHttpOptions { AllowLoopbackForTests = true } }),
        },
        args,
        Console.Error);
}
