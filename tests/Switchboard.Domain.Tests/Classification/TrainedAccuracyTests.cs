using Switchboard.Classification.Training;
using Switchboard.Posts;
using Xunit;
using Xunit.Abstractions;

namespace Switchboard.Tests.Classification;

// Regression guard for the trainer on real data: 3-fold stratified cross-validation on the airline train split
// (fold seed printed), for sentiment and for the complaint reason. The data set is CC BY-NC-SA and is never
// copied into the repository: it is read from ../shared beside the repository, and the test says it skipped when
// that folder is absent. The floors sit just under what this trainer measures with 3 folds (sentiment 0.827 /
// 0.774, reason 0.629): the previous trainer (no IDF, 3–4 character n-grams, AdaGrad) scored about 0.61 on the
// reason, so a return to it fails here. The target for the reason on unseen tweets is 0.65; 5-fold CV
// measures 0.640 (docs/classification.md), so that target is not asserted as met.
public class TrainedAccuracyTests(ITestOutputHelper output)
{
    private const int Folds = 3;
    private const int FoldSeed = 42;

    [Fact]
    public void Cross_validated_accuracy_on_the_airline_tweets_stays_above_its_floors()
    {
        var path = AirlineCsv();
        if (path is null)
        {
            output.WriteLine("skipped: ../shared/data/airline/train.csv is not present beside the repository");
            return;
        }

        var rows = new List<(string Text, string Sentiment, string Reason)>();
        using (var reader = new StreamReader(path))
        {
            foreach (var r in PostFiles.Read(reader))
            {
                if (r.Post is not null)
                {
                    rows.Add((r.Post.Text, r.Fields["airline_sentiment"], r.Fields.GetValueOrDefault("negativereason", "")));
                }
            }
        }

        var sentiment = CrossValidate(rows.Select(r => new LabeledText(r.Text, r.Sentiment)).ToList(), "sentiment");
        var reason = CrossValidate(rows.Where(r => r.Sentiment == "negative" && r.Reason.Length > 0)
            .Select(r => new LabeledText(r.Text, r.Reason)).ToList(), "negativereason");

        Assert.True(sentiment.Accuracy >= 0.80, $"sentiment accuracy {sentiment.Accuracy:F4} < 0.80");
        Assert.True(sentiment.MacroF1 >= 0.75, $"sentiment macro-F1 {sentiment.MacroF1:F4} < 0.75");
        Assert.True(reason.Accuracy >= 0.62, $"negativereason accuracy {reason.Accuracy:F4} < 0.62");
        Assert.Equal(10, reason.Classes.Count(c => c.Support > 0));
    }

    private EvaluationReport CrossValidate(List<LabeledText> data, string task)
    {
        var fold = CrossValidation.Folds(data.Select(d => d.Label).ToList(), Folds, FoldSeed);
        var gold = new List<string>();
        var predicted = new List<string>();
        for (var f = 0; f < Folds; f++)
        {
            var model = Trainer.Train(data.Where((_, i) => fold[i] != f).ToList());
            for (var i = 0; i < data.Count; i++)
            {
                if (fold[i] == f)
                {
                    gold.Add(data[i].Label);
                    predicted.Add(model.Predict(data[i].Text).Label);
                }
            }
        }

        var report = Evaluation.Compute(gold, predicted);
        output.WriteLine($"{task}: {Folds}-fold CV, fold seed {FoldSeed}, trainer seed {TrainerOptions.Default.Seed}: " +
            $"accuracy {report.Accuracy:F4}, macro-F1 {report.MacroF1:F4}");
        return report;
    }

    private static string? AirlineCsv()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            var f = Path.Combine(d.FullName, "shared", "data", "airline", "train.csv");
            if (File.Exists(f))
            {
                return f;
            }
        }

        return null;
    }
}
