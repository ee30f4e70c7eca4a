using System.CommandLine;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Switchboard.Classification.Training;

namespace Switchboard.Classification;

internal static class ClassifyCommand
{
    // Lines for people and jq to read, like match and simulate: explanations keep their quotes and '+' as written
    // ("cue 'love'", "intent 0.05 + negativity …") instead of \u0027 and \u002B. Still valid JSON; this is stdout,
    // never HTML.
    private static readonly JsonWriterOptions Output = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Command Create()
    {
        var cmd = new Command("classify", "Label every post of a CSV or JSONL file: one JSON line per post, in input order");
        var input = new Option<FileInfo>("--input") { Description = "CSV with a header row, or Switchboard post JSONL", Required = true };
        var model = new Option<FileInfo?>("--model") { Description = "also apply a model trained with 'switchboard train' (adds label and confidence)" };
        var text = new Option<string?>("--text-column") { Description = "column holding the text (default: text)" };
        cmd.Options.Add(input);
        cmd.Options.Add(model);
        cmd.Options.Add(text);
        cmd.SetAction((parse, ct) => RunAsync(parse.GetValue(input)!, parse.GetValue(model), parse.GetValue(text),
            ClassifierContext.Default, Console.Out, Console.Error, ct));
        return cmd;
    }

    internal static Task<int> RunAsync(FileInfo input, FileInfo? modelFile, string? textColumn, ClassifierContext context,
        TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        LinearModel? model = null;
        if (modelFile is not null)
        {
            model = ModelLoader.Load(modelFile, stderr);
            if (model is null)
            {
                return Task.FromResult(2);
            }
        }

        if (Hosting.CliFiles.InputProblem(input, "input file") is { } problem)
        {
            stderr.WriteLine("error: " + problem);
            return Task.FromResult(2);
        }

        var errors = 0;
        var written = 0;
        var buffer = new MemoryStream();
        try
        {
            using var reader = ClassificationInput.Open(input);
            foreach (var item in ClassificationInput.Read(reader, textColumn, null, stderr, n => errors = n))
            {
                ct.ThrowIfCancellationRequested();
                var c = DefaultClassifier.Classify(item.Post, context);
                var p = model?.Predict(item.Post.Text);
                buffer.SetLength(0);
                using (var w = new Utf8JsonWriter(buffer, Output))
                {
                    WriteJson(w, item.Post.Id, c, p);
                }

                stdout.WriteLine(Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
                written++;
            }
        }
        catch (ClassificationInput.InputException e)
        {
            stderr.WriteLine($"error: {input.Name}: {e.Message}");
            return Task.FromResult(2);
        }

        if (written == 0 && errors == 0)
        {
            // Not an error (an empty batch classifies to nothing), but an empty output is otherwise
            // indistinguishable from a wrong file name in a script's log.
            stderr.WriteLine($"note: {input.Name} holds no posts; nothing to classify");
        }

        return Task.FromResult(errors > 0 ? 1 : 0);
    }

    internal static void WriteJson(Utf8JsonWriter w, string id, Classification c, Prediction? p)
    {
        w.WriteStartObject();
        w.WriteString("id", id);
        w.WriteString("language", c.Language);
        w.WriteString("sentiment", c.SentimentName);
        w.WriteNumber("sentiment_score", c.SentimentScore);
        w.WriteString("intent", c.IntentName);
        w.WriteString("department", c.DepartmentName);
        w.WriteNumber("urgency", c.Urgency);
        w.WriteNumber("influence", c.Influence);
        if (p is not null)
        {
            w.WriteString("label", p.Label);
            w.WriteNumber("confidence", p.Confidence);
        }

        w.WriteStartObject("explain");
        w.WriteString("language", c.Explain.Language);
        w.WriteString("sentiment", c.Explain.Sentiment);
        w.WriteString("intent", c.Explain.Intent);
        w.WriteString("department", c.Explain.Department);
        w.WriteString("urgency", c.Explain.Urgency);
        w.WriteString("influence", c.Explain.Influence);
        w.WriteEndObject();
        w.WriteEndObject();
    }
}
