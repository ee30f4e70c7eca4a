using System.Diagnostics;
using System.Text.Json;
using Dapper;
using Switchboard.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Switchboard.Tests.Ingest;

public class CrashTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Killing_an_import_with_sigkill_and_running_it_again_stores_every_row_exactly_once()
    {
        const int total = 20_000;
        var seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        var dir = Directory.CreateTempSubdirectory("switchboard-crash-").FullName;
        var file = Path.Combine(dir, "posts.jsonl");
        await using (var w = new StreamWriter(file))
        {
            for (var i = 0; i < total; i++)
            {
                // A third are replies, some to posts later in the file, so re-attachment is exercised across the crash.
                string? reply = i > 10 && random.NextDouble() < 0.33 ? "p" + random.Next(0, Math.Min(total, i + 50)) : null;
                await w.WriteLineAsync(JsonSerializer.Serialize(new
                {
                    id = "p" + i,
                    channel = "mastodon",
                    text = $"post {i} about the Brightwave Hub",
                    created_at = DateTimeOffset.FromUnixTimeSeconds(1_790_000_000 + i).ToString("o"),
                    in_reply_to = reply == "p" + i ? null : reply,
                    author = new { id = "a" + random.Next(500) },
                }));
            }
        }

        var dbPath = Path.Combine(dir, "switchboard.db");
        using (var first = Start(file, dbPath))
        {
            var db = Storage.Database.Sqlite(dbPath);
            var killedAt = 0L;
            var watch = Stopwatch.StartNew();
            while (watch.Elapsed < TimeSpan.FromSeconds(120) && !first.HasExited)
            {
                killedAt = await CountAsync(db);
                if (killedAt >= 2000)
                {
                    first.Kill(entireProcessTree: true); // SIGKILL on Linux: no chance to clean up
                    break;
                }

                await Task.Delay(20);
            }

            await first.WaitForExitAsync();
            output.WriteLine($"killed with at least {killedAt} rows committed");
            Assert.True(killedAt < total, "the import finished before it could be killed; make the input larger");
        }

        using (var second = Start(file, dbPath))
        {
            var stdout = await second.StandardOutput.ReadToEndAsync();
            await second.WaitForExitAsync();
            output.WriteLine(stdout);
            Assert.Equal(0, second.ExitCode);
        }

        var check = Storage.Database.Sqlite(dbPath);
        await using var conn = await check.OpenAsync();
        Assert.Equal("ok", await conn.ExecuteScalarAsync<string>("PRAGMA integrity_check"));
        Assert.Equal(total, await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM messages"));
        Assert.Equal(total, await conn.ExecuteScalarAsync<long>("SELECT COUNT(DISTINCT external_id) FROM messages"));
        Assert.Equal(0, await conn.ExecuteScalarAsync<long>(
            """
            SELECT COUNT(*) FROM messages child JOIN messages parent
              ON parent.channel = child.channel AND parent.external_id = child.in_reply_to
            WHERE parent.conversation_id <> child.conversation_id
            """));
        Assert.Equal(0, await conn.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM conversations c WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id)"));
    }

    private static Process Start(string file, string db)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { Repo.SwitchboardDll, "import", file, "--db", db })
        {
            psi.ArgumentList.Add(a);
        }

        var p = Process.Start(psi)!;
        p.ErrorDataReceived += (_, _) => { };
        p.BeginErrorReadLine();
        return p;
    }

    private static async Task<long> CountAsync(Storage.Database db)
    {
        if (!File.Exists(db.Display["sqlite:".Length..]))
        {
            return 0;
        }

        try
        {
            await using var conn = await db.OpenAsync();
            return await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM messages");
        }
        catch (Microsoft.Data.Sqlite.SqliteException)
        {
            return 0; // schema not created yet
        }
    }
}
