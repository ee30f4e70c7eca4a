using Switchboard.Classification.Training;
using Xunit;

namespace Switchboard.Tests.Classification;

public class TrainingTests
{
    // A small synthetic task: the label is carried by topic words among shared filler.
    internal static List<LabeledText> Synthetic(int n, int seed)
    {
        var rng = new Random(seed);
        string[] filler = ["today", "my", "the", "order", "please", "again", "we", "it", "is", "just"];
        (string Label, string[] Words)[] topics =
        [
            ("billing", ["invoice", "charged", "payment", "refund", "card"]),
            ("delivery", ["package", "courier", "tracking", "arrived", "shipping"]),
            ("account", ["password", "login", "email", "username", "locked"]),
        ];
        var list = new List<LabeledText>();
        for (var i = 0; i < n; i++)
        {
            var (label, words) = topics[rng.Next(topics.Length)];
            var parts = Enumerable.Range(0, 6).Select(_ => filler[rng.Next(filler.Length)]).ToList();
            parts.Insert(rng.Next(parts.Count), words[rng.Next(words.Length)]);
            list.Add(new LabeledText(string.Join(' ', parts), label));
        }

        return list;
    }

    [Fact]
    public void Learns_a_separable_task()
    {
        var model = Trainer.Train(Synthetic(600, 1), TrainerOptions.Default with { HashBits = 14 });
        var acc = ModelRetraining.Accuracy(model, Synthetic(200, 2));
        Assert.True(acc > 0.95, $"accuracy {acc}");
        Assert.Equal(["account", "billing", "delivery"], model.Labels);
    }

    [Fact]
    public void Needs_two_labels()
    {
        var e = Assert.Throws<ArgumentException>(() => Trainer.Train([new("a", "x"), new("b", "x")]));
        Assert.Contains("two distinct labels", e.Message);
    }

    [Fact]
    public void Model_file_round_trips()
    {
        var model = Trainer.Train(Synthetic(300, 3), TrainerOptions.Default with { HashBits = 12, LabelColumn = "topic" });
        using var ms = new MemoryStream();
        ModelFile.Write(model, ms);
        ms.Position = 0;
        var read = ModelFile.Read(ms);
        Assert.Null(read.Error);
        Assert.Equal(model.Labels, read.Model!.Labels);
        Assert.Equal("topic", read.Model.Info.LabelColumn);
        foreach (var e in Synthetic(50, 4))
        {
            Assert.Equal(model.Predict(e.Text), read.Model.Predict(e.Text), new PredictionComparer());
        }
    }

    [Fact]
    public void Corrupt_truncated_foreign_and_other_version_files_are_refused_with_a_reason()
    {
        var model = Trainer.Train(Synthetic(100, 5), TrainerOptions.Default with { HashBits = 10 });
        using var ms = new MemoryStream();
        ModelFile.Write(model, ms);
        var bytes = ms.ToArray();

        var flipped = (byte[])bytes.Clone();
        flipped[bytes.Length / 2] ^= 0xFF;
        Assert.Contains("checksum", ModelFile.Read(new MemoryStream(flipped)).Error);

        Assert.Contains("corrupt or truncated", ModelFile.Read(new MemoryStream(bytes[..(bytes.Length - 40)])).Error);

        var otherVersion = (byte[])bytes.Clone();
        otherVersion[6] = 9;
        Assert.Contains("format version 9", ModelFile.Read(new MemoryStream(otherVersion)).Error);

        // A model written by the previous layout (format 1, no IDF per row) is refused with the retrain advice.
        var version1 = (byte[])bytes.Clone();
        version1[6] = 1;
        version1[7] = 0;
        var v1Error = ModelFile.Read(new MemoryStream(version1)).Error;
        Assert.Contains("format version 1; this build reads version 2", v1Error);
        Assert.Contains("Retrain", v1Error);

        var otherFeatures = (byte[])bytes.Clone();
        otherFeatures[8] = 1;
        otherFeatures[9] = 0;
        Assert.Contains("feature version 1", ModelFile.Read(new MemoryStream(otherFeatures)).Error);

        Assert.Contains("not a Switchboard model", ModelFile.Read(new MemoryStream("{\"labels\":[]}"u8.ToArray())).Error);
        Assert.NotNull(ModelFile.Read(new MemoryStream([])).Error);

        var seed = Environment.TickCount;
        var rng = new Random(seed);
        for (var i = 0; i < 200; i++)
        {
            var junk = (byte[])bytes.Clone();
            junk[rng.Next(junk.Length)] = (byte)rng.Next(256);
            var r = ModelFile.Read(new MemoryStream(junk[..rng.Next(junk.Length)]));
            Assert.True(r.Model is null == r.Error is not null, $"seed {seed}");
        }
    }

    [Fact]
    public void Idf_is_learned_and_unseen_features_are_ignored()
    {
        var model = Trainer.Train(Synthetic(300, 11), TrainerOptions.Default with { HashBits = 14 });
        // A word in every text weighs less than a topic word, and a text of words never seen falls back on the
        // biases alone instead of failing.
        var idx = new List<int>();
        var val = new List<float>();
        Features.Extract("invoice", 14, idx, val);
        var topic = idx.Max(i => model.Idf[i]);
        Assert.True(topic > 1, $"topic word idf {topic}");
        Assert.Contains(model.Idf, v => v == 0);
        var unseen = model.Predict("zzqx wvvk qqjj");
        Assert.Contains(unseen.Label, model.Labels);
        Features.Extract("zzqx wvvk qqjj", 14, idx, val);
        Features.Weigh(idx, val, model.Idf);
        Assert.True(idx.Count <= 3, $"{idx.Count} features of unseen words survived weighing");
    }

    [Fact]
    public void Repeated_features_are_merged_into_one_entry()
    {
        var idx = new List<int>();
        var val = new List<float>();
        Features.Extract("delay delay delay delay", 16, idx, val);
        Assert.Equal(idx.Count, idx.Distinct().Count());
        Features.Extract(new string('a', 20_000), 16, idx, val);
        Assert.Equal(idx.Count, idx.Distinct().Count());
        Assert.All(val, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void Retraining_replaces_only_a_model_at_least_as_accurate_on_the_holdout()
    {
        var opts = TrainerOptions.Default with { HashBits = 12 };
        var holdout = Synthetic(200, 7);
        // A poor active model: trained on shuffled labels.
        var rng = new Random(8);
        var noisy = Synthetic(300, 9).Select(e => e with { Label = new[] { "account", "billing", "delivery" }[rng.Next(3)] }).ToList();
        var weak = Trainer.Train(noisy, opts);
        var better = ModelRetraining.Decide(weak, Synthetic(400, 10), holdout, opts);
        Assert.True(better.Replace, better.Reason);
        Assert.True(better.CandidateAccuracy > better.CurrentAccuracy);

        var worse = ModelRetraining.Decide(better.Candidate, noisy, holdout, opts);
        Assert.False(worse.Replace, worse.Reason);
        Assert.True(worse.CandidateAccuracy < worse.CurrentAccuracy);
    }

    [Fact]
    public void Evaluation_computes_accuracy_macro_f1_and_confusion()
    {
        string[] gold = ["a", "a", "b", "b"];
        string[] pred = ["a", "b", "b", "b"];
        var r = Evaluation.Compute(gold, pred);
        Assert.Equal(0.75, r.Accuracy);
        // a: P=1 R=.5 F=.667; b: P=.667 R=1 F=.8
        Assert.Equal((2.0 / 3 + 0.8) / 2, r.MacroF1, 6);
        Assert.Equal(1, r.Confusion[0, 1]);
        Assert.Contains("confusion", r.Format());
    }

    [Fact]
    public void Folds_are_stratified_and_deterministic()
    {
        var labels = Enumerable.Range(0, 100).Select(i => i % 4 == 0 ? "rare" : "common").ToList();
        var f1 = CrossValidation.Folds(labels, 5, 3);
        Assert.Equal(f1, CrossValidation.Folds(labels, 5, 3));
        for (var k = 0; k < 5; k++)
        {
            Assert.Equal(5, Enumerable.Range(0, 100).Count(i => f1[i] == k && labels[i] == "rare"));
        }
    }

    private sealed class PredictionComparer : IEqualityComparer<Prediction>
    {
        public bool Equals(Prediction? x, Prediction? y) => x!.Label == y!.Label && Math.Abs(x.Confidence - y.Confidence) < 1e-9;

        public int GetHashCode(Prediction obj) => obj.Label.GetHashCode(StringComparison.Ordinal);
    }
}
