using System.Text;
using System.Text.Json;
using Switchboard.Classification;
using Xunit;

namespace Switchboard.Tests.Classification;

public sealed class ClassificationCommandTests : IDisposable
{
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("sb-class-");

    public void Dispose() => dir.Delete(recursive: true);

    private FileInfo WriteFile(string name, string content)
    {
        var path = Path.Combine(dir.FullName, name);
        File.WriteAllText(path, content, new UTF8Encoding(false));
        return new FileInfo(path);
    }

    private static string Csv(IEnumerable<(string Text, string Label)> rows) =>
        "id,text,topic\n" + string.Join("\n", rows.Select((r, i) => $"{i},\"{r.Text.Replace("\"", "\"\"")}\",{r.Label}")) + "\n";

    private static List<(string, string)> Topics(int n, int seed)
    {
        var rng = new Random(seed);
        (string Label, string[] Words)[] topics =
        [
            ("billing", ["invoice", "charged", "payment", "refund"]),
            ("delivery", ["package", "courier", "tracking", "shipping"]),
        ];
        return Enumerable.Range(0, n).Select(_ =>
        {
            var (label, words) = topics[rng.Next(2)];
            return ($"hello my {words[rng.Next(words.Length)]} is a problem today", label);
        }).ToList();
    }

    private async Task<(int Code, string Out, string Err)> Train(FileInfo input, string label, FileInfo model)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        var code = await TrainCommand.RunAsync(input, label, null, model, null, TimeProvider.System, o, e, default);
        return (code, o.ToString(), e.ToString());
    }

    [Fact]
    public async Task Train_eval_and_classify_work_end_to_end()
    {
        var train = WriteFile("train.csv", Csv(Topics(300, 1)));
        var test = WriteFile("test.csv", Csv(Topics(100, 2)));
        var model = new FileInfo(Path.Combine(dir.FullName, "m.sbm"));
        var (code, stdout, stderr) = await Train(train, "topic", model);
        Assert.True(code == 0, stderr);
        Assert.Contains("trained on 300 examples", stdout);

        var o = new StringWriter();
        var e = new StringWriter();
        Assert.Equal(0, await EvalCommand.RunAsync(model, test, "topic", null, o, e, default));
        Assert.Contains("accuracy  1.0000", o.ToString());
        Assert.Contains("confusion", o.ToString());

        o = new StringWriter();
        Assert.Equal(0, await ClassifyCommand.RunAsync(test, model, null, ClassifierContext.Default, o, e, default));
        var lines = o.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(100, lines.Length);
        using var first = JsonDocument.Parse(lines[0]);
        var root = first.RootElement;
        Assert.Equal("0", root.GetProperty("id").GetString());
        foreach (var p in new[] { "language", "sentiment", "sentiment_score", "intent", "department", "urgency", "influence", "label", "confidence", "explain" })
        {
            Assert.True(root.TryGetProperty(p, out _), $"missing {p}");
        }

        // Input order is kept.
        Assert.Equal(Enumerable.Range(0, 100).Select(i => i.ToString()),
            lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("id").GetString()));
    }

    [Fact]
    public async Task Classify_without_model_reads_jsonl_and_omits_label()
    {
        var input = WriteFile("p.jsonl",
            "{\"id\":\"a\",\"channel\":\"x\",\"text\":\"I love you guys!\"}\n{\"id\":\"b\",\"channel\":\"x\",\"text\":\"\"}\n");
        var o = new StringWriter();
        var e = new StringWriter();
        var code = await ClassifyCommand.RunAsync(input, null, null, ClassifierContext.Default, o, e, default);
        var lines = o.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length >= 1, e.ToString());
        using var doc = JsonDocument.Parse(lines[0]);
        Assert.Equal("positive", doc.RootElement.GetProperty("sentiment").GetString());
        Assert.False(doc.RootElement.TryGetProperty("label", out _));
        Assert.True(code is 0 or 1);
    }

    [Fact]
    public async Task Missing_label_column_is_a_clear_error()
    {
        var input = WriteFile("t.csv", Csv(Topics(10, 3)));
        var (code, _, err) = await Train(input, "sentiment", new FileInfo(Path.Combine(dir.FullName, "m")));
        Assert.Equal(2, code);
        Assert.Contains("no 'sentiment' column", err);
    }

    [Fact]
    public async Task A_missing_input_file_is_a_clear_error_for_train_and_eval()
    {
        var missing = new FileInfo(Path.Combine(dir.FullName, "nope.csv"));
        var model = new FileInfo(Path.Combine(dir.FullName, "m"));
        var (code, _, err) = await Train(missing, "topic", model);
        Assert.Equal(2, code);
        Assert.Contains($"input file '{missing.FullName}' does not exist", err, StringComparison.Ordinal);
        Assert.False(model.Exists);

        Assert.Equal(0, (await Train(WriteFile("t.csv", Csv(Topics(40, 5))), "topic", model)).Code);
        var e = new StringWriter();
        Assert.Equal(2, await EvalCommand.RunAsync(new FileInfo(model.FullName), missing, "topic", null, new StringWriter(), e, default));
        Assert.Contains($"input file '{missing.FullName}' does not exist", e.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_text_column_is_a_clear_error()
    {
        var input = WriteFile("t.csv", "id,body,topic\n1,hello,a\n");
        var (code, _, err) = await Train(input, "topic", new FileInfo(Path.Combine(dir.FullName, "m")));
        Assert.Equal(2, code);
        Assert.Contains("'text' column", err);
    }

    [Fact]
    public async Task Invalid_utf8_is_a_clear_error()
    {
        var path = Path.Combine(dir.FullName, "bad.csv");
        File.WriteAllBytes(path, [.. "id,text,topic\n1,caf"u8, 0xC3, 0x28, .. ",a\n2,ok,b\n"u8]);
        var (code, _, err) = await Train(new FileInfo(path), "topic", new FileInfo(Path.Combine(dir.FullName, "m")));
        Assert.Equal(2, code);
        Assert.Contains("not valid UTF-8", err);
    }

    [Fact]
    public async Task Single_label_is_refused()
    {
        var input = WriteFile("t.csv", "id,text,topic\n1,hello,a\n2,world,a\n");
        var (code, _, err) = await Train(input, "topic", new FileInfo(Path.Combine(dir.FullName, "m")));
        Assert.Equal(2, code);
        Assert.Contains("at least two distinct labels", err);
    }

    [Fact]
    public async Task Corrupt_or_foreign_model_is_a_clear_error()
    {
        var input = WriteFile("t.csv", Csv(Topics(50, 4)));
        var model = new FileInfo(Path.Combine(dir.FullName, "m.sbm"));
        Assert.Equal(0, (await Train(input, "topic", model)).Code);
        var bytes = File.ReadAllBytes(model.FullName);
        bytes[bytes.Length / 2] ^= 0x55;
        File.WriteAllBytes(model.FullName, bytes);
        var e = new StringWriter();
        Assert.Equal(2, await EvalCommand.RunAsync(model, input, "topic", null, new StringWriter(), e, default));
        Assert.Contains("checksum", e.ToString());

        var foreign = WriteFile("foreign.json", "{\"weights\":[1,2,3]}");
        e = new StringWriter();
        Assert.Equal(2, await ClassifyCommand.RunAsync(input, foreign, null, ClassifierContext.Default, new StringWriter(), e, default));
        Assert.Contains("not a Switchboard model", e.ToString());
    }

    [Fact]
    public async Task Huge_and_empty_texts_are_classified_not_crashed()
    {
        var huge = new string('a', 50_000) + " terrible";
        var input = WriteFile("h.csv", $"id,text\n1,\"{huge}\"\n2,\"\"\n3,ok\n");
        var o = new StringWriter();
        var e = new StringWriter();
        var code = await ClassifyCommand.RunAsync(input, null, null, ClassifierContext.Default, o, e, default);
        Assert.True(code is 0 or 1, e.ToString());
        Assert.Contains("\"id\":\"3\"", o.ToString());
    }

    [Theory]
    [InlineData("empty.jsonl", "")]
    [InlineData("empty.csv", "")]
    [InlineData("header-only.csv", "id,text\n")]
    public async Task A_file_without_posts_says_so_and_exits_zero(string name, string content)
    {
        var input = WriteFile(name, content);
        var o = new StringWriter();
        var e = new StringWriter();
        Assert.Equal(0, await ClassifyCommand.RunAsync(input, null, null, ClassifierContext.Default, o, e, default));
        Assert.Equal("", o.ToString());
        Assert.Equal($"note: {name} holds no posts; nothing to classify", e.ToString().Trim());
    }

    [Fact]
    public async Task A_directory_is_called_a_directory_not_a_missing_file()
    {
        var folder = dir.CreateSubdirectory("posts.csv");
        var e = new StringWriter();
        Assert.Equal(2, await ClassifyCommand.RunAsync(new FileInfo(folder.FullName), null, null, ClassifierContext.Default, new StringWriter(), e, default));
        Assert.Equal($"error: input file '{folder.FullName}' is a directory, not a file", e.ToString().Trim());

        var (code, _, err) = await Train(new FileInfo(folder.FullName), "topic", new FileInfo(Path.Combine(dir.FullName, "m.sbm")));
        Assert.Equal(2, code);
        Assert.Equal($"error: input file '{folder.FullName}' is a directory, not a file", err.Trim());

        e = new StringWriter();
        var input = WriteFile("t.csv", Csv(Topics(10, 6)));
        Assert.Equal(2, await EvalCommand.RunAsync(new FileInfo(folder.FullName), input, "topic", null, new StringWriter(), e, default));
        Assert.Equal($"error: model file '{folder.FullName}' is a directory, not a file", e.ToString().Trim());
    }

    [Fact]
    public async Task An_output_that_cannot_be_written_is_refused_under_its_own_name_and_leaves_no_temporary_file()
    {
        var input = WriteFile("t.csv", Csv(Topics(40, 7)));
        var folder = dir.CreateSubdirectory("model.sbm");
        var (code, stdout, err) = await Train(input, "topic", new FileInfo(folder.FullName));
        Assert.Equal(2, code);
        Assert.Equal($"error: cannot write model '{folder.FullName}': it is a directory", err.Trim());
        Assert.DoesNotContain("trained on", stdout, StringComparison.Ordinal);
        Assert.False(File.Exists(folder.FullName + ".tmp"));

        // A path under a file: the message names the model the user asked for, not the temporary file.
        var under = new FileInfo(Path.Combine(input.FullName, "m.sbm"));
        (code, _, err) = await Train(input, "topic", under);
        Assert.Equal(2, code);
        Assert.StartsWith($"error: cannot write model '{under.FullName}': ", err.Trim(), StringComparison.Ordinal);
        Assert.DoesNotContain(".tmp", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Jsonl_lines_without_the_label_field_are_unlabelled_and_only_a_file_without_it_is_refused()
    {
        var lines = Topics(40, 8).Select((r, i) => JsonSerializer.Serialize(new { id = i.ToString(), channel = "x", text = r.Item1, topic = r.Item2 }));
        var input = WriteFile("t.jsonl", "{\"id\":\"u\",\"channel\":\"x\",\"text\":\"not labelled yet\"}\n" + string.Join("\n", lines) + "\n");
        var model = new FileInfo(Path.Combine(dir.FullName, "m.sbm"));
        var (code, stdout, err) = await Train(input, "topic", model);
        Assert.True(code == 0, err);
        Assert.Contains("trained on 40 examples", stdout, StringComparison.Ordinal);
        Assert.Contains("skipped 1 rows with an empty label", stdout, StringComparison.Ordinal);

        var o = new StringWriter();
        var e = new StringWriter();
        Assert.Equal(2, await EvalCommand.RunAsync(model, input, "reason", null, o, e, default));
        Assert.Equal("error: t.jsonl: the input has no 'reason' column (columns: id, channel, text)", e.ToString().Trim());
    }

    [Fact]
    public async Task Classify_writes_explanations_as_readable_json_and_bad_lines_with_line_and_column_only()
    {
        var input = WriteFile("p.jsonl",
            "{\"id\":\"a\",\"channel\":\"x\",\"text\":\"I love this, great service\"}\noops\n{\"id\":\"b\",\"channel\":\"x\",\"text\":\"ok\"}\n");
        var o = new StringWriter();
        var e = new StringWriter();
        Assert.Equal(1, await ClassifyCommand.RunAsync(input, null, null, ClassifierContext.Default, o, e, default));
        var lines = o.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["a", "b"], lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("id").GetString()));
        Assert.Contains("\"intent\":\"cue 'love'\"", lines[0], StringComparison.Ordinal);
        Assert.Contains("intent 0.05 + negativity", lines[0], StringComparison.Ordinal);
        Assert.DoesNotContain("\\u00", o.ToString(), StringComparison.Ordinal);
        Assert.Equal("skipped: line 2, column 1: invalid JSON: 'o' is an invalid start of a value.", e.ToString().Trim());
    }
}
