using Switchboard.Classification.Training;
using Switchboard.Posts;
using Xunit;
using Xunit.Abstractions;

namespace Switchboard.Tests.Classification;

// Trains on one slice of the airline tweets and checks accuracy on another. The data set is CC BY-NC-SA and is
// never copied into the repository: it is read from ../shared beside the repository when present.
public class AirlineAccuracyTests(ITestOutputHelper output)
{
    internal static string? AirlineCsv()
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

    [Fact]
    public void Sentiment_trained_on_a_slice_is_accurate_on_another_slice()
    {
        var path = AirlineCsv();
        if (path is null)
        {
            output.WriteLine("skipped: ../shared/data/airline/train.csv is not present");
            return;
        }

        using var reader = new StreamReader(path);
        var rows = PostFiles.Read(reader).Where(r => r.Post is not null)
            .Select(r => new LabeledText(r.Post!.Text, r.Fields["airline_sentiment"])).ToList();
        // Every fourth tweet is held out; the model sees only the other three quarters' first 6,000.
        var train = rows.Where((_, i) => i % 4 != 0).Take(6000).ToList();
        var test = rows.Where((_, i) => i % 4 == 0).Take(2000).ToList();
        var model = Trainer.Train(train);
        var report = Evaluation.Compute(test.Select(t => t.Label).ToList(), test.Select(t => model.Predict(t.Text).Label).ToList());
        output.WriteLine(report.Format());
        Assert.True(report.Accuracy > 0.76, $"accuracy {report.Accuracy:F4}");
        Assert.True(report.MacroF1 > 0.68, $"macro-F1 {report.MacroF1:F4}");
    }
}
