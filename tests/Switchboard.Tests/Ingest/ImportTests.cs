using Dapper;
using Switchboard.Ingest;
using Switchboard.Posts;
using Switchboard.Tests.Infrastructure;
using Xunit;

namespace Switchboard.Tests.Ingest;

public class ImportTests
{
    private static Task<int> Import(Storage.Database db, string path, StringWriter stdout, StringWriter stderr, PostReadOptions? options = null) =>
        ImportCommand.RunAsync(db, new FileInfo(path), options ?? new PostReadOptions(), stdout, stderr, interactive: false, CancellationToken.None);

    [Theory]
    [MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task The_twcs_sample_is_stored_exactly_once_threaded_by_reply_links_and_a_second_import_adds_nothing(string provider)
    {
        var db = await TestDatabases.CreateAsync(provider);
        var path = Repo.SharedFile("data/twcs/twcs_sample_5000.csv");
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        Assert.Equal(0, await Import(db, path, stdout, stderr));
        Assert.Contains("5000 read, 5000 imported, 0 duplicates, 0 rejected", stdout.ToString(), StringComparison.Ordinal);

        await using var conn = await db.OpenAsync();
        Assert.Equal(5000, await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM messages"));
        Assert.Equal(5000, await conn.ExecuteScalarAsync<long>("SELECT COUNT(DISTINCT external_id) FROM messages"));
        Assert.Equal(2222, await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM messages WHERE direction = 'out'"));
        // Every reply whose parent is in the file shares its parent's conversation.
        Assert.Equal(0, await conn.ExecuteScalarAsync<long>(
            """
            SELECT COUNT(*) FROM messages child JOIN messages parent
              ON parent.channel = child.channel AND parent.external_id = child.in_reply_to
            WHERE parent.conversation_id <> child.conversation_id
            """));
        // And no conversation is empty or miscounted.
        Assert.Equal(0, await conn.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM conversations c WHERE c.message_count <> (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id)"));
        var conversations = await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM conversations");
        Assert.InRange(conversations, 100, 4999);

        var (stdout2, stderr2) = (new StringWriter(), new StringWriter());
        Assert.Equal(0, await Import(db, path, stdout2, stderr2));
        Assert.Contains("0 imported, 5000 duplicates", stdout2.ToString(), StringComparison.Ordinal);
        Assert.Equal(5000, await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM messages"));
        Assert.Equal(conversations, await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM conversations"));
    }

    [Fact]
    public async Task The_airline_csv_imports_with_its_duplicate_ids_counted_as_duplicates()
    {
        var db = await TestDatabases.CreateAsync("sqlite");
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        Assert.Equal(0, await Import(db, Repo.SharedFile("data/airline/train.csv"), stdout, stderr));
        await using var conn = await db.OpenAsync();
        var stored = await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM messages");
        Assert.Contains($"{stored} imported", stdout.ToString(), StringComparison.Ordinal);
        Assert.InRange(stored, 11_000, 11_903);
        Assert.Equal(0, await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM messages WHERE text LIKE '%&amp;%'"));
    }

    [Fact]
    public async Task Bad_rows_are_reported_with_their_line_numbers_and_skipped()
    {
        var db = await TestDatabases.CreateAsync("sqlite");
        var file = Path.Combine(Directory.CreateTempSubdirectory().FullName, "posts.jsonl");
        await File.WriteAllLinesAsync(file,
        [
            """{"id":"1","channel":"mastodon","text":"ok"}""",
            """{"id":"2","channel":"mastodon"}""",
            "not json at all",
            """{"id":"3","channel":"mastodon","text":"also ok","unknown":{"deep":[1,2]}}""",
        ]);
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        Assert.Equal(0, await Import(db, file, stdout, stderr));
        Assert.Contains("line 2: 'text' is required", stderr.ToString(), StringComparison.Ordinal);
        Assert.Contains("line 3", stderr.ToString(), StringComparison.Ordinal);
        Assert.Contains("4 read, 2 imported, 0 duplicates, 2 rejected", stdout.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_file_is_a_clear_error()
    {
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        var missing = new FileInfo("/nonexistent/posts.jsonl");
        Assert.Equal(2, await Import(await TestDatabases.CreateAsync("sqlite"), missing.FullName, stdout, stderr));
        Assert.Equal($"error: '{missing.FullName}' does not exist", stderr.ToString().Trim());
    }

    [Fact]
    public async Task A_directory_is_called_a_directory_not_a_missing_file()
    {
        var folder = Directory.CreateTempSubdirectory("sb-import-dir-");
        try
        {
            var (stdout, stderr) = (new StringWriter(), new StringWriter());
            Assert.Equal(2, await Import(await TestDatabases.CreateAsync("sqlite"), folder.FullName, stdout, stderr));
            Assert.Equal($"error: '{folder.FullName}' is a directory, not a file", stderr.ToString().Trim());
        }
        finally
        {
            folder.Delete();
        }
    }
}
