using System.Text;
using Switchboard.Hosting;
using Xunit;

namespace Switchboard.Tests.Hosting;

/// <summary>
/// ReplaceOnSuccessAsync, which train and simulate write their outputs through: an earlier output survives any
/// failed run, and no temporary file is left beside it.
/// </summary>
public sealed class CliFilesTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sb-clifiles-");

    public void Dispose() => _dir.Delete(recursive: true);

    private FileInfo Earlier(string content = "earlier\n")
    {
        var target = new FileInfo(Path.Combine(_dir.FullName, "out.jsonl"));
        File.WriteAllText(target.FullName, content);
        return target;
    }

    private static Func<Stream, Task<int>> Writes(string text, int code) => async stream =>
    {
        await stream.WriteAsync(Encoding.UTF8.GetBytes(text));
        return code;
    };

    private void AssertOnlyTheTarget(FileInfo target) =>
        Assert.Equal([target.Name], _dir.GetFileSystemInfos().Select(f => f.Name));

    [Fact]
    public async Task The_target_survives_a_writer_that_throws_and_no_temporary_file_remains()
    {
        var target = Earlier();
        var stderr = new StringWriter();
        await Assert.ThrowsAsync<InvalidOperationException>(() => CliFiles.ReplaceOnSuccessAsync(target, async stream =>
        {
            await stream.WriteAsync("half a fi"u8.ToArray());
            throw new InvalidOperationException("boom");
        }, stderr));
        Assert.Equal("earlier\n", File.ReadAllText(target.FullName));
        AssertOnlyTheTarget(target);
        Assert.Equal("", stderr.ToString());
    }

    [Fact]
    public async Task The_target_survives_a_writer_that_fails_and_its_exit_code_is_kept()
    {
        var target = Earlier();
        var stderr = new StringWriter();
        Assert.Equal(2, await CliFiles.ReplaceOnSuccessAsync(target, Writes("partial", 2), stderr));
        Assert.Equal("earlier\n", File.ReadAllText(target.FullName));
        AssertOnlyTheTarget(target);
        Assert.Equal("", stderr.ToString());
    }

    [Fact]
    public async Task A_successful_writer_replaces_the_target_and_leaves_no_temporary_file()
    {
        var target = Earlier("a much longer earlier output than the new one\n");
        Assert.Equal(0, await CliFiles.ReplaceOnSuccessAsync(target, Writes("new\n", 0), new StringWriter()));
        Assert.Equal("new\n", File.ReadAllText(target.FullName));
        AssertOnlyTheTarget(target);

        var fresh = new FileInfo(Path.Combine(_dir.FullName, "fresh.txt"));
        Assert.Equal(0, await CliFiles.ReplaceOnSuccessAsync(fresh, Writes("x", 0), new StringWriter()));
        Assert.Equal("x", File.ReadAllText(fresh.FullName));
    }

    [Fact]
    public async Task An_output_that_cannot_be_written_is_refused_before_the_writer_runs_under_the_name_given()
    {
        var ran = false;
        Func<Stream, Task<int>> writer = _ =>
        {
            ran = true;
            return Task.FromResult(0);
        };

        var folder = _dir.CreateSubdirectory("out");
        var stderr = new StringWriter();
        Assert.Equal(2, await CliFiles.ReplaceOnSuccessAsync(new FileInfo(folder.FullName), writer, stderr, noun: "model"));
        Assert.Equal($"error: cannot write model '{folder.FullName}': it is a directory", stderr.ToString().Trim());

        var missing = new FileInfo(Path.Combine(_dir.FullName, "no-such-dir", "out.jsonl"));
        stderr = new StringWriter();
        Assert.Equal(2, await CliFiles.ReplaceOnSuccessAsync(missing, writer, stderr));
        Assert.Equal($"error: cannot write '{missing.FullName}': the directory '{missing.DirectoryName}' does not exist", stderr.ToString().Trim());

        var file = Earlier();
        var under = new FileInfo(Path.Combine(file.FullName, "out.jsonl"));
        stderr = new StringWriter();
        Assert.Equal(2, await CliFiles.ReplaceOnSuccessAsync(under, writer, stderr, createDirectory: true));
        Assert.StartsWith($"error: cannot write '{under.FullName}': ", stderr.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(".tmp", stderr.ToString(), StringComparison.Ordinal);

        Assert.False(ran);
        Assert.Equal(["out", "out.jsonl"], _dir.GetFileSystemInfos().Select(f => f.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_missing_directory_is_created_when_asked()
    {
        var target = new FileInfo(Path.Combine(_dir.FullName, "models", "m.sbm"));
        Assert.Equal(0, await CliFiles.ReplaceOnSuccessAsync(target, Writes("model", 0), new StringWriter(), createDirectory: true));
        Assert.Equal("model", File.ReadAllText(target.FullName));
        Assert.Equal(["m.sbm"], target.Directory!.GetFileSystemInfos().Select(f => f.Name));
    }
}
