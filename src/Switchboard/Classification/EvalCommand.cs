using System.CommandLine;
using Switchboard.Classification.Training;

namespace Switchboard.Classification;

internal static class EvalCommand
{
    public static Command Create()
    {
        var cmd = new Command("eval", "Evaluate a trained model on a labelled CSV or JSONL file: accuracy, macro-F1, per-class precision/recall, confusion matrix");
        var model = new Option<FileInfo>("--model") { Description = "model file written by 'switchboard train'", Required = true };
        var input = new Option<FileInfo>("--input") { Description = "CSV with a header row, or Switchboard post JSONL", Required = true };
        var label = new Option<string>("--label-column") { Description = "column (CSV) or field (JSONL) holding the gold label", Required = true };
        var text = new Option<string?>("--text-column") { Description = "column holding the text (default: text)" };
        cmd.Options.Add(model);
        cmd.Options.Add(input);
        cmd.Options.Add(label);
        cmd.Options.Add(text);
        cmd.SetAction((parse, ct) => RunAsync(parse.GetValue(model)!, parse.GetValue(input)!, parse.GetValue(label)!,
            parse.GetValue(text), Console.Out, Console.Error, ct));
        return cmd;
    }

    internal static Task<int> RunAsync(FileInfo modelFile, FileInfo input, string labelColumn, string? textColumn,
        TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        var model = ModelLoader.Load(modelFile, stderr);
        if (model is null)
        {
            return Task.FromResult(2);
        }

        if (ClassificationInput.ReadExamples(input, textColumn, labelColumn, stderr) is not (var examples, var empty))
        {
            return Task.FromResult(2);
        }

        if (examples.Count == 0)
        {
            stderr.WriteLine($"error: {input.Name}: no rows with a label in '{labelColumn}'");
            return Task.FromResult(2);
        }

        var gold = new List<string>(examples.Count);
        var predicted = new List<string>(examples.Count);
        foreach (var e in examples)
        {
            ct.ThrowIfCancellationRequested();
            gold.Add(e.Label);
            predicted.Add(model.Predict(e.Text).Label);
        }

        var unknown = gold.Distinct(StringComparer.Ordinal).Except(model.Labels, StringComparer.Ordinal).ToList();
        if (unknown.Count > 0)
        {
            stderr.WriteLine($"warning: labels the model was not trained on (always counted wrong): {string.Join(", ", unknown)}");
        }

        stdout.Write(Evaluation.Compute(gold, predicted).Format());
        if (empty > 0)
        {
            stdout.WriteLine($"\n{empty} rows with an empty label were not evaluated");
        }

        return Task.FromResult(0);
    }
}

internal static class ModelLoader
{
    public static LinearModel? Load(FileInfo file, TextWriter stderr)
    {
        if (Hosting.CliFiles.InputProblem(file, "model file") is { } problem)
        {
            stderr.WriteLine("error: " + problem);
            return null;
        }

        try
        {
            using var fs = file.OpenRead();
            var result = ModelFile.Read(fs);
            if (result.Model is null)
            {
                stderr.WriteLine($"error: {file.Name}: {result.Error}");
            }

            return result.Model;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"error: cannot read model '{file.FullName}': {e.Message}");
            return null;
        }
    }
}
