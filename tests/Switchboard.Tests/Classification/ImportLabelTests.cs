using Dapper;
using Switchboard.Classification.Corrections;
using Switchboard.Ingest;
using Switchboard.Posts;
using Switchboard.Tests.Infrastructure;
using Xunit;

namespace Switchboard.Tests.Classification;

public class ImportLabelTests
{
    private static string Csv(string content, string name = "labelled.csv")
    {
        var dir = Directory.CreateTempSubdirectory("switchboard-import-labels-");
        var path = Path.Combine(dir.FullName, name);
        File.WriteAllText(path, content);
        return path;
    }

    [Fact]
    public async Task Import_with_a_label_column_stores_human_labels_by_import_once()
    {
        var db = await TestDatabases.CreateMigratedAsync("sqlite");
        var path = Csv("id,text,airline_sentiment\n1,my bag is lost again,negative\n2,thanks for the smooth flight,positive\n3,flight at 9?,\n4,what a day,furious\n");
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var labels = new ImportLabelOptions("airline_sentiment", "sentiment");
        Assert.Equal(0, await ImportCommand.RunAsync(db, new FileInfo(path), new PostReadOptions(), stdout, stderr, false, default, labels));
        Assert.Contains("line 5", stderr.ToString(), StringComparison.Ordinal);
        Assert.Contains("furious", stderr.ToString(), StringComparison.Ordinal);
        Assert.Equal(0, await ImportCommand.RunAsync(db, new FileInfo(path), new PostReadOptions(), stdout, new StringWriter(), false, default, labels));

        await using var conn = await db.OpenAsync();
        var rows = (await conn.QueryAsync<(string Text, string Label, string Value, string Kind, string Actor, long? User)>(
            """
            SELECT m.text, lc.label, lc.new_value, lc.kind, lc.actor, lc.user_id FROM label_corrections lc
            JOIN messages m ON m.id = lc.message_id ORDER BY m.external_id
            """)).ToList();
        Assert.Equal(
            [("my bag is lost again", "sentiment", "negative", "import", "import", (long?)null), ("thanks for the smooth flight", "sentiment", "positive", "import", "import", null)],
            rows);
    }

    [Fact]
    public async Task A_jsonl_line_without_the_label_field_is_an_unlabelled_post_and_a_file_where_none_has_it_is_an_error()
    {
        var db = await TestDatabases.CreateMigratedAsync("sqlite");
        // The first line has no label: before, that refused the whole file as if the field did not exist.
        var path = Csv("""
            {"id":"j1","channel":"x","text":"flight at 9?"}
            {"id":"j2","channel":"x","text":"my bag is lost again","sentiment_label":"negative"}
            """, "labelled.jsonl");
        var labels = new ImportLabelOptions("sentiment_label", "sentiment");
        var stderr = new StringWriter();
        Assert.Equal(0, await ImportCommand.RunAsync(db, new FileInfo(path), new PostReadOptions(), new StringWriter(), stderr, false, default, labels));
        Assert.DoesNotContain("error", stderr.ToString(), StringComparison.Ordinal);
        await using (var conn = await db.OpenAsync())
        {
            Assert.Equal(["negative"], await conn.QueryAsync<string>("SELECT new_value FROM label_corrections WHERE label = 'sentiment'"));
        }

        // No line has it: the posts are stored (a re-import is harmless), but the run says so and fails.
        var none = Csv("""
            {"id":"n1","channel":"x","text":"hello"}
            {"id":"n2","channel":"x","text":"hello again"}
            """, "unlabelled.jsonl");
        stderr = new StringWriter();
        Assert.Equal(2, await ImportCommand.RunAsync(db, new FileInfo(none), new PostReadOptions(), new StringWriter(), stderr, false, default, labels));
        Assert.Contains("no line has a 'sentiment_label' field", stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Import_with_a_missing_label_column_or_a_reserved_label_name_is_refused()
    {
        var db = await TestDatabases.CreateMigratedAsync("sqlite");
        var path = Csv("id,text\n1,hello\n");
        var stderr = new StringWriter();
        Assert.NotEqual(0, await ImportCommand.RunAsync(db, new FileInfo(path), new PostReadOptions(), new StringWriter(), stderr, false, default,
            new ImportLabelOptions("airline_sentiment", "sentiment")));
        Assert.Contains("no 'airline_sentiment' column", stderr.ToString(), StringComparison.Ordinal);

        stderr = new StringWriter();
        Assert.Equal(2, await ImportCommand.RunAsync(db, new FileInfo(path), new PostReadOptions(), new StringWriter(), stderr, false, default,
            new ImportLabelOptions("text", "Bad Name")));
        Assert.Contains("--label", stderr.ToString(), StringComparison.Ordinal);
    }
}
