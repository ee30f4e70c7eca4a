using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Switchboard.Classification;
using Switchboard.Classification.Sentiment;
using Switchboard.Classification.Text;
using Switchboard.Classification.Training;
using Switchboard.Posts;

namespace Switchboard.Bench.Classification;

// `-- classification [--folds 5] [--no-peers]`: k-fold cross-validation on the airline train split for
// sentiment and for the complaint reason, our trained model against the peers (vader-sentiment; natural's naive
// Bayes) on identical folds, plus our untrained default sentiment and the throughput of the full default
// classification. Peers are installed with npm into a gitignored node_modules folder at run time.
public static class ClassificationHarness
{
    private const string NaturalVersion = "8.1.1";
    private const string VaderVersion = "1.1.3";

    public static int Run(string[] args)
    {
        var folds = 5;
        var peers = true;
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--folds" && i + 1 < args.Length)
            {
                folds = int.Parse(args[++i], CultureInfo.InvariantCulture);
            }
            else if (args[i] == "--no-peers")
            {
                peers = false;
            }
        }

        var shared = FindShared();
        if (shared is null)
        {
            Console.Error.WriteLine("skipped: ../shared/data/airline/train.csv not found beside the repository");
            return 0;
        }

        var rows = new List<(string Text, string Sentiment, string Reason)>();
        using (var reader = new StreamReader(Path.Combine(shared, "data", "airline", "train.csv")))
        {
            foreach (var r in PostFiles.Read(reader))
            {
                if (r.Post is not null)
                {
                    rows.Add((r.Post.Text, r.Fields["airline_sentiment"], r.Fields.GetValueOrDefault("negativereason", "")));
                }
            }
        }

        Console.WriteLine($"airline train.csv: {rows.Count} tweets; {folds}-fold stratified cross-validation, seed 42");
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}");
        var modules = peers ? InstallPeers() : null;

        var sentiment = rows.Select(r => new LabeledText(r.Text, r.Sentiment)).ToList();
        var reasons = rows.Where(r => r.Sentiment == "negative" && r.Reason.Length > 0)
            .Select(r => new LabeledText(r.Text, r.Reason)).ToList();

        Console.WriteLine();
        Console.WriteLine("| task | system | accuracy | macro-F1 | train s/fold | predict posts/s |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|");
        foreach (var (name, data, withVader) in new[] { ("sentiment", sentiment, true), ("negativereason", reasons, false) })
        {
            var fold = CrossValidation.Folds(data.Select(d => d.Label).ToList(), folds, 42);
            Row(name, "Switchboard trained (L2 logistic regression, TF-IDF word + char n-grams)", Ours(data, fold, folds));
            if (withVader)
            {
                Row(name, "Switchboard default lexicon (no training)", Default(data));
            }

            if (modules is not null)
            {
                var file = WriteFolds(data, fold, name);
                Row(name, $"natural {NaturalVersion} BayesClassifier", Peer(modules, file, folds, "nb", data, fold));
                if (withVader)
                {
                    Row(name, $"vader-sentiment {VaderVersion}", Peer(modules, file, folds, "vader", data, fold));
                }
            }
        }

        Console.WriteLine();
        Throughput(rows.Select(r => r.Text).ToList());
        return 0;
    }

    private sealed record Result(EvaluationReport Report, double TrainSecondsPerFold, double PostsPerSecond,
        string Spread = "");

    private static void Row(string task, string system, Result r) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {task} | {system} | {r.Report.Accuracy:F4}{r.Spread} | {r.Report.MacroF1:F4} | {r.TrainSecondsPerFold:F2} | {r.PostsPerSecond:N0} |"));

    private static Result Ours(List<LabeledText> data, int[] fold, int k)
    {
        var gold = new List<string>();
        var pred = new List<string>();
        var foldAccuracy = new double[k];
        double train = 0, predict = 0;
        for (var f = 0; f < k; f++)
        {
            var tr = data.Where((_, i) => fold[i] != f).ToList();
            var sw = Stopwatch.StartNew();
            var model = Trainer.Train(tr);
            train += sw.Elapsed.TotalSeconds;
            sw.Restart();
            for (var i = 0; i < data.Count; i++)
            {
                if (fold[i] == f)
                {
                    gold.Add(data[i].Label);
                    pred.Add(model.Predict(data[i].Text).Label);
                    foldAccuracy[f] += pred[^1] == gold[^1] ? 1 : 0;
                }
            }

            predict += sw.Elapsed.TotalSeconds;
            foldAccuracy[f] /= fold.Count(x => x == f);
        }

        // The spread over folds (sample standard deviation) shows how far one held-out split may land from the mean.
        var mean = foldAccuracy.Average();
        var sd = Math.Sqrt(foldAccuracy.Sum(a => (a - mean) * (a - mean)) / (k - 1));
        return new Result(Evaluation.Compute(gold, pred), train / k, data.Count / predict,
            string.Create(CultureInfo.InvariantCulture, $" ± {sd:F4} (folds {foldAccuracy.Min():F3}–{foldAccuracy.Max():F3})"));
    }

    private static Result Default(List<LabeledText> data)
    {
        var b = new TokenBuffer();
        var pred = new List<string>(data.Count);
        var sw = Stopwatch.StartNew();
        foreach (var d in data)
        {
            Tokenizer.Tokenize(d.Text, b);
            pred.Add(SentimentAnalyzer.Analyze(b).Label switch
            {
                SentimentLabel.Negative => "negative",
                SentimentLabel.Positive => "positive",
                _ => "neutral",
            });
        }

        var secs = sw.Elapsed.TotalSeconds;
        return new Result(Evaluation.Compute(data.Select(d => d.Label).ToList(), pred), 0, data.Count / secs);
    }

    private static Result Peer(string modules, string file, int k, string mode, List<LabeledText> data, int[] fold)
    {
        var psi = new ProcessStartInfo("node")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(Path.Combine(ScriptDir(), "peers.js"));
        psi.ArgumentList.Add(modules);
        psi.ArgumentList.Add(file);
        psi.ArgumentList.Add(k.ToString(CultureInfo.InvariantCulture));
        psi.ArgumentList.Add(mode);
        using var p = Process.Start(psi)!;
        var stderrTask = p.StandardError.ReadToEndAsync();
        var byFold = new Dictionary<int, (List<string> Predictions, double TrainMs, double PredictMs)>();
        string? line;
        while ((line = p.StandardOutput.ReadLine()) is not null)
        {
            // Some peer dependencies print banners on stdout; only our result lines start with {"fold".
            if (!line.StartsWith("{\"fold\"", StringComparison.Ordinal))
            {
                continue;
            }

            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            byFold[root.GetProperty("fold").GetInt32()] = (
                root.GetProperty("predictions").EnumerateArray().Select(e => e.GetString() ?? "").ToList(),
                root.GetProperty("trainMs").GetDouble(), root.GetProperty("predictMs").GetDouble());
        }

        p.WaitForExit();
        if (p.ExitCode != 0 || byFold.Count != k)
        {
            throw new InvalidOperationException($"peer '{mode}' failed (exit {p.ExitCode}): {stderrTask.Result}");
        }

        var gold = new List<string>();
        var pred = new List<string>();
        double train = 0, predict = 0;
        for (var f = 0; f < k; f++)
        {
            var (predictions, trainMs, predictMs) = byFold[f];
            var j = 0;
            for (var i = 0; i < data.Count; i++)
            {
                if (fold[i] == f)
                {
                    gold.Add(data[i].Label);
                    pred.Add(predictions[j++]);
                }
            }

            train += trainMs / 1000;
            predict += predictMs / 1000;
        }

        return new Result(Evaluation.Compute(gold, pred), train / k, data.Count / predict);
    }

    private static void Throughput(List<string> texts)
    {
        var posts = texts.Select((t, i) => new Post(i.ToString(CultureInfo.InvariantCulture), "twitter", t,
            Author: new Author(Handle: "user" + i, Followers: i * 37 % 100_000, Verified: i % 50 == 0))).ToArray();
        var ctx = ClassifierContext.Default;
        // Warm up the JIT and the per-thread buffers, then measure about three seconds on one thread.
        foreach (var p in posts)
        {
            DefaultClassifier.Classify(p, ctx);
        }

        // Wall-clock rates suffer when other jobs share the cores; the CPU time this process used is reported too,
        // as the per-core rate (the target is per core).
        var n = 0;
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed.TotalSeconds < 3)
        {
            foreach (var p in posts)
            {
                DefaultClassifier.Classify(p, ctx);
            }

            n += posts.Length;
        }

        var full = n / sw.Elapsed.TotalSeconds;
        var fullCpu = n / (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
        var b = new TokenBuffer();
        n = 0;
        sw.Restart();
        while (sw.Elapsed.TotalSeconds < 2)
        {
            foreach (var t in texts)
            {
                Tokenizer.Tokenize(t, b);
            }

            n += texts.Count;
        }

        var tokenize = n / sw.Elapsed.TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"default classification (language, sentiment, intent, department, urgency, influence, explanations), one thread: {full:N0} posts/s wall-clock, {fullCpu:N0} posts per CPU-second"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"tokenizer alone (baseline, same run): {tokenize:N0} posts/s; full classification costs {tokenize / full:F1}x tokenizing"));
    }

    private static string WriteFolds(List<LabeledText> data, int[] fold, string name)
    {
        var dir = Path.Combine(Path.GetTempPath(), "switchboard-bench-classification");
        Directory.CreateDirectory(dir);
        var file = Path.Combine(dir, name + ".jsonl");
        using var w = new StreamWriter(file);
        for (var i = 0; i < data.Count; i++)
        {
            w.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["text"] = data[i].Text,
                ["label"] = data[i].Label,
                ["fold"] = fold[i],
            }));
        }

        return file;
    }

    private static string? InstallPeers()
    {
        // Under node_modules so that git ignores everything npm writes (package.json, lock file, packages).
        var prefix = Path.Combine(ScriptDir(), "node_modules", ".peers");
        var modules = Path.Combine(prefix, "node_modules");
        if (Directory.Exists(Path.Combine(modules, "natural")) && Directory.Exists(Path.Combine(modules, "vader-sentiment")))
        {
            return modules;
        }

        Directory.CreateDirectory(prefix);
        var psi = new ProcessStartInfo("npm") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "install", "--prefix", prefix, "--no-audit", "--no-fund", $"natural@{NaturalVersion}", $"vader-sentiment@{VaderVersion}" })
        {
            psi.ArgumentList.Add(a);
        }

        try
        {
            using var p = Process.Start(psi)!;
            var err = p.StandardError.ReadToEndAsync();
            p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode != 0)
            {
                Console.Error.WriteLine($"peers skipped: npm install failed: {err.Result}");
                return null;
            }
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            Console.Error.WriteLine($"peers skipped: npm not available ({e.Message})");
            return null;
        }

        return modules;
    }

    private static string ScriptDir()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            var candidate = Path.Combine(d.FullName, "bench", "Switchboard.Bench", "Classification");
            if (File.Exists(Path.Combine(candidate, "peers.js")))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("bench/Switchboard.Bench/Classification/peers.js not found above " + AppContext.BaseDirectory);
    }

    private static string? FindShared()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            var candidate = Path.Combine(d.FullName, "shared");
            if (File.Exists(Path.Combine(candidate, "data", "airline", "train.csv")))
            {
                return candidate;
            }
        }

        return null;
    }
}
