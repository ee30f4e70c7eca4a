using System.Diagnostics;
using Switchboard.Hosting;
using Switchboard.Ingest;
using Switchboard.Tests.Infrastructure;
using Xunit;

namespace Switchboard.Tests.Ingest;

/// <summary>The SWITCHBOARD_FAULTS format (the crashes themselves are AckAfterCommitTests: here they would kill the test run).</summary>
public class IngestFaultsTests
{
    [Theory]
    [InlineData("after-receive:1", "after-receive:1")]
    [InlineData("before-commit:37", "before-commit:37")]
    [InlineData(" after-commit : 250 ", "after-commit:250")]
    [InlineData("after-ack:1000000", "after-ack:1000000")]
    public void A_point_and_a_count_arm_the_hook(string value, string armed) =>
        Assert.Equal(armed, IngestFaults.Parse(value)!.ToString());

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  ")]
    public void Unset_or_empty_is_no_hook(string? value) => Assert.Null(IngestFaults.Parse(value));

    [Theory]
    [InlineData("before-commit")]
    [InlineData("before-commit:")]
    [InlineData("before-commit:0")]
    [InlineData("before-commit:-3")]
    [InlineData("before-commit:x")]
    [InlineData("before-commit:3.5")]
    [InlineData("Before-Commit:3")]
    [InlineData("during-commit:3")]
    [InlineData(":3")]
    [InlineData("before-commit:99999999999999999999")]
    public void A_malformed_value_is_an_error_naming_the_variable_and_the_points(string value)
    {
        var e = Assert.Throws<CliException>(() => IngestFaults.Parse(value));
        Assert.StartsWith($"SWITCHBOARD_FAULTS='{value}' is not valid", e.Message, StringComparison.Ordinal);
        Assert.Contains("after-receive, before-commit, after-commit, after-ack", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Crossings_below_the_mark_or_at_another_point_do_nothing()
    {
        var faults = IngestFaults.Parse("after-commit:1000")!;
        faults.Cross(FaultPoint.AfterReceive, 5_000);
        faults.Cross(FaultPoint.BeforeCommit, 5_000);
        faults.Cross(FaultPoint.AfterAck, 5_000);
        for (var i = 0; i < 999; i++)
            faults.Cross(FaultPoint.AfterCommit, 1);
        faults.Cross(FaultPoint.AfterCommit, 0);
        Assert.Equal("after-commit:1000", faults.ToString()); // still here
    }

    [Fact]
    public async Task Serve_with_a_malformed_value_stops_with_exit_code_2_and_says_why()
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.Environment[IngestFaults.Variable] = "before-commit:soon";
        foreach (var a in new[] { Repo.SwitchboardDll, "serve", "--urls", "http://127.0.0.1:0", "--db", Path.Combine(Path.GetTempPath(), "switchboard-faults-never.db") })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.Equal(2, p.ExitCode);
        Assert.StartsWith("error: SWITCHBOARD_FAULTS='before-commit:soon' is not valid", await stderr, StringComparison.Ordinal);
    }
}
