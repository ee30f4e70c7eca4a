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

    [Fact]
    public async Task Killing_the_server_during_deliveries_loses_no_acknowledged_post_and_redelivery_stores_each_once()
    {
        const int total = 6_000;
        const int chunk = 100;
        var lines = Enumerable.Range(0, total).Select(i => JsonSerializer.Serialize(new
        {
            id = "d" + i,
            channel = "bluesky",
            text = $"delivery {i}: my Pulse earbuds are broken",
            in_reply_to = i % 4 == 3 ? "d" + (i - 1) : null,
        })).ToArray();

        var server = await ServerProcess.StartAsync();
        var workDir = server.WorkDir;
        await server.RunCliAsync("user", "create", "--email", "ops@example.com", "--name", "Ops", "--role", "admin", "--password", "a long passphrase");
        var token = await server.RunCliAsync("token", "create", "--user", "ops@example.com");
        var acknowledged = new HashSet<int>();
        try
        {
            using var http = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(30) };
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            var killer = Task.Run(async () =>
            {
                while (acknowledged.Count < 1_500)
                {
                    await Task.Delay(10);
                }

                await server.KillAsync();
            });
            for (var start = 0; start < total; start += chunk)
            {
                try
                {
                    var body = string.Join('\n', lines[start..Math.Min(total, start + chunk)]);
                    var response = await http.PostAsync("/api/posts", new StringContent(body));
                    if (response.IsSuccessStatusCode)
                    {
                        lock (acknowledged)
                        {
                            acknowledged.UnionWith(Enumerable.Range(start, Math.Min(chunk, total - start)));
                        }
                    }
                }
                catch (HttpRequestException)
                {
                    break; // the server is gone
                }
            }

            await killer;
        }
        finally
        {
            await server.DisposeAsync();
        }

        output.WriteLine($"{acknowledged.Count} posts acknowledged before the kill");
        Assert.InRange(acknowledged.Count, 1_500, total - 1);

        // Every acknowledged post survived the SIGKILL.
        var db = Storage.Database.Sqlite(Path.Combine(workDir, "data", "switchboard.db"));
        await using (var conn = await db.OpenAsync())
        {
            var stored = (await conn.QueryAsync<string>("SELECT external_id FROM messages")).ToHashSet();
            Assert.All(acknowledged, i => Assert.Contains("d" + i, stored));
        }

        // The client redelivers everything (it cannot know what the crash took): each post ends up stored once.
        await using var restarted = await ServerProcess.StartInAsync(workDir);
        using (var http = new HttpClient { BaseAddress = restarted.Address })
        {
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            for (var start = 0; start < total; start += chunk)
            {
                var response = await http.PostAsync("/api/posts", new StringContent(string.Join('\n', lines[start..Math.Min(total, start + chunk)])));
                Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
            }
        }

        await using var check = await db.OpenAsync();
        Assert.Equal("ok", await check.ExecuteScalarAsync<string>("PRAGMA integrity_check"));
        Assert.Equal(total, await check.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM messages"));
        Assert.Equal(total, await check.ExecuteScalarAsync<long>("SELECT COUNT(DISTINCT external_id) FROM messages"));
        Assert.Equal(total - (total / 4), await check.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM conversations"));
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
