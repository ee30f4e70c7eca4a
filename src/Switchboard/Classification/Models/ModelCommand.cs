using System.CommandLine;
using System.Globalization;
using Switchboard.Hosting;
using Switchboard.Storage;

namespace Switchboard.Classification.Models;

/// <summary>
/// `switchboard model import --name N FILE`, `model retrain --name N`, `model list`: the workspace's models from the
/// command line, with the same checks, history and audit records as the web page and the API.
/// </summary>
internal static class ModelCommand
{
    public static Command Create()
    {
        var cmd = new Command("model", "Workspace models: import a model file, retrain from human labels, list versions");

        var import = new Command("import", "Import a model file (from `switchboard train`) as the active version of NAME");
        var importName = new Option<string>("--name") { Description = "sentiment, or a custom label set such as complaint_reason", Required = true };
        var file = new Argument<FileInfo>("FILE") { Description = "the model file" };
        var importDb = CommonOptions.Db();
        import.Options.Add(importName);
        import.Arguments.Add(file);
        import.Options.Add(importDb);
        import.SetAction((p, ct) => ImportAsync(CommonOptions.Database(p.GetValue(importDb)), p.GetValue(importName)!, p.GetValue(file)!,
            TimeProvider.System, Console.Out, Console.Error, ct));

        var retrain = new Command("retrain", "Retrain NAME from the workspace's human labels; activated only if at least as accurate on the held-back slice");
        var retrainName = new Option<string>("--name") { Description = "the label set to retrain", Required = true };
        var retrainDb = CommonOptions.Db();
        retrain.Options.Add(retrainName);
        retrain.Options.Add(retrainDb);
        retrain.SetAction((p, ct) => RetrainAsync(CommonOptions.Database(p.GetValue(retrainDb)), p.GetValue(retrainName)!, TimeProvider.System,
            Console.Out, Console.Error, ct));

        var list = new Command("list", "List model versions and the latest retraining attempts");
        var listDb = CommonOptions.Db();
        list.Options.Add(listDb);
        list.SetAction((p, ct) => ListAsync(CommonOptions.Database(p.GetValue(listDb)), Console.Out, ct));

        cmd.Subcommands.Add(import);
        cmd.Subcommands.Add(retrain);
        cmd.Subcommands.Add(list);
        return cmd;
    }

    private static ModelActor Operator() => ModelActor.System("cli:" + Environment.UserName);

    internal static async Task<int> ImportAsync(Database db, string name, FileInfo file, TimeProvider time, TextWriter stdout, TextWriter stderr,
        CancellationToken ct)
    {
        if (CliFiles.InputProblem(file) is { } problem)
        {
            await stderr.WriteLineAsync("error: " + problem);
            return 2;
        }

        if (file.Length > Training.ModelFile.MaxBytes)
        {
            await stderr.WriteLineAsync($"error: {file.Name}: larger than {Training.ModelFile.MaxBytes} bytes: not a Switchboard model");
            return 2;
        }

        await Migrator.MigrateAsync(db, ct);
        var r = await ModelStore.ImportAsync(db, name, await File.ReadAllBytesAsync(file.FullName, ct), Operator(), time, ct);
        if (r.Model is not { } m)
        {
            await stderr.WriteLineAsync($"error: {file.Name}: {r.Error}");
            return 2;
        }

        await stdout.WriteLineAsync(FormattableString.Invariant(
            $"{m.Name} v{m.Version} imported and active: labels {string.Join(", ", m.Labels)}; held-back accuracy {Pct(m.HeldBackAccuracy)} on {m.HeldBackRows} examples"));
        return 0;
    }

    internal static async Task<int> RetrainAsync(Database db, string name, TimeProvider time, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        await Migrator.MigrateAsync(db, ct);
        var r = await Retraining.RunAsync(db, name, "manual", Operator(), time, ct);
        if (r.Attempt is not { } a)
        {
            await stderr.WriteLineAsync($"error: {r.Error}");
            return 2;
        }

        await stdout.WriteLineAsync($"{a.Name}: {a.Outcome} — {a.Reason} ({a.TrainingRows} training rows, {a.HeldBackRows} held back)");
        return a.Outcome == "skipped" ? 1 : 0;
    }

    internal static async Task<int> ListAsync(Database db, TextWriter stdout, CancellationToken ct)
    {
        await Migrator.MigrateAsync(db, ct);
        await using var conn = await db.OpenAsync(ct);
        foreach (var m in await ModelStore.ListAsync(conn, ct))
        {
            await stdout.WriteLineAsync(FormattableString.Invariant(
                $"{m.Name,-20} v{m.Version,-4} {(m.Active ? "active" : "      ")} {m.Source,-8} {m.TrainedAt:yyyy-MM-dd HH:mm} {m.TrainedBy,-24} accuracy {Pct(m.HeldBackAccuracy)} macro-F1 {m.HeldBackMacroF1?.ToString("0.000", CultureInfo.InvariantCulture) ?? "—"}"));
        }

        return 0;
    }

    private static string Pct(double? v) => v is { } x ? (x * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%" : "—";
}
