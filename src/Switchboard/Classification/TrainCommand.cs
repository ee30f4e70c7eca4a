using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Switchboard.Classification.Training;

namespace Switchboard.Classification;

internal static class TrainCommand
{
    public static Command Create()
    {
        var cmd = new Command("train", "Train a text classifier (logistic regression over word and character n-grams) on a labelled CSV or JSONL file");
        var input = new Option<FileInfo>("--input") { Description = "CSV with a header row, or Switchboard post JSONL", Required = true };
        var label = new Option<string>("--label-column") { Description = "column (CSV) or field (JSONL) holding the label", Required = true };
        var text = new Option<string?>("--text-column") { Description = "column holding the text (default: text)" };
        var output = new Option<FileInfo>("--output") { Description = "where to write the model file", Required = true };
        var epochs = new Option<int?>("--epochs") { Description = "passes over the data (default 8)" };
        cmd.Options.Add(input);
        cmd.Options.Add(label);
        cmd.Options.Add(text);
        cmd.Options.Add(output);
        cmd.Options.Add(epochs);
        cmd.SetAction((parse, ct) => RunAsync(parse.GetValue(input)!, parse.GetValue(label)!, parse.GetValue(text),
            parse.GetValue(output)!, parse.GetValue(epochs), TimeProvider.System, Console.Out, Console.Error, ct));
        return cmd;
    }

    internal static async Task<int> RunAsync(FileInfo input, string labelColumn, string? textColumn, FileInfo output,
        int? epochs, TimeProvider time, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        if (epochs is < 1 or > 100)
        {
            stderr.WriteLine("error: --epochs must be between 1 and 100");
            return 2;
        }

        if (ClassificationInput.ReadExamples(input, textColumn, labelColumn, stderr) is not (var examples, var empty))
        {
            return 2;
        }

        ct.ThrowIfCancellationRequested();
        var labels = examples.Select(e => e.Label).Distinct(StringComparer.Ordinal).Count();
        if (labels < 2)
        {
            stderr.WriteLine($"error: {input.Name}: need at least two distinct labels in '{labelColumn}', found {labels} in {examples.Count} rows");
            return 2;
        }

        var options = TrainerOptions.Default with
        {
            LabelColumn = labelColumn,
            TrainedAt = time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture),
            Epochs = epochs ?? TrainerOptions.Default.Epochs,
        };
        var sw = new Stopwatch();
        LinearModel? model = null;
        // Through a temporary file, so a crash never leaves half a model behind. It is created before training: an
        // output that cannot be written is reported at once, not after minutes of training. A model's directory is
        // created if missing, as train always has.
        var code = await Hosting.CliFiles.ReplaceOnSuccessAsync(output, stream =>
        {
            sw.Start();
            model = Trainer.Train(examples, options);
            try
            {
                ModelFile.Write(model, stream);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                stderr.WriteLine($"error: cannot write model '{output.FullName}': {e.Message}");
                return Task.FromResult(1);
            }

            sw.Stop();
            return Task.FromResult(0);
        }, stderr, noun: "model", createDirectory: true);
        if (code != 0)
        {
            return code;
        }

        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"trained on {examples.Count} examples ({labels} labels: {string.Join(", ", model!.Labels)}) in {sw.Elapsed.TotalSeconds:F1} s; skipped {empty} rows with an empty label"));
        stdout.WriteLine($"model written to {output.FullName}");
        return 0;
    }
}
