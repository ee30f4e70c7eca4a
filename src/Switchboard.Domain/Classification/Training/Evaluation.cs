using System.Globalization;
using System.Text;

namespace Switchboard.Classification.Training;

internal sealed record ClassMetrics(string Label, double Precision, double Recall, double F1, int Support);

// Confusion[gold, predicted] over Labels. Labels include every gold label and every predicted label seen.
internal sealed record EvaluationReport(
    int Count,
    double Accuracy,
    double MacroF1,
    IReadOnlyList<ClassMetrics> Classes,
    IReadOnlyList<string> Labels,
    int[,] Confusion)
{
    public string Format()
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append(inv, $"examples  {Count}\naccuracy  {Accuracy:F4}\nmacro-F1  {MacroF1:F4}\n\n");
        var w = Math.Max(8, Labels.Max(l => l.Length) + 2);
        sb.Append("label".PadRight(w)).Append("precision  recall  f1      support\n");
        foreach (var c in Classes)
        {
            sb.Append(c.Label.PadRight(w))
                .Append(inv, $"{c.Precision,9:F4}  {c.Recall,6:F4}  {c.F1,6:F4}  {c.Support,7}\n");
        }

        sb.Append("\nconfusion (rows: gold, columns: predicted)\n").Append(' ', w);
        for (var j = 0; j < Labels.Count; j++)
        {
            sb.Append(Abbrev(Labels[j]).PadLeft(9));
        }

        sb.Append('\n');
        for (var i = 0; i < Labels.Count; i++)
        {
            sb.Append(Labels[i].PadRight(w));
            for (var j = 0; j < Labels.Count; j++)
            {
                sb.Append(Confusion[i, j].ToString(inv).PadLeft(9));
            }

            sb.Append('\n');
        }

        return sb.ToString();
    }

    private static string Abbrev(string s) => s.Length <= 8 ? s : s[..8];
}

internal static class Evaluation
{
    // Macro-F1 averages over the gold labels (classes with support), so a label the model invents but that never
    // occurs does not dilute the average, while missing a real class counts fully against it.
    public static EvaluationReport Compute(IReadOnlyList<string> gold, IReadOnlyList<string> predicted)
    {
        if (gold.Count != predicted.Count)
        {
            throw new ArgumentException($"gold has {gold.Count} labels but predicted has {predicted.Count}");
        }

        var labels = gold.Concat(predicted).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var index = labels.Select((l, i) => (l, i)).ToDictionary(p => p.l, p => p.i, StringComparer.Ordinal);
        var k = labels.Count;
        var confusion = new int[k, k];
        var correct = 0;
        for (var i = 0; i < gold.Count; i++)
        {
            var g = index[gold[i]];
            var p = index[predicted[i]];
            confusion[g, p]++;
            if (g == p)
            {
                correct++;
            }
        }

        var classes = new List<ClassMetrics>(k);
        double f1Sum = 0;
        var withSupport = 0;
        for (var c = 0; c < k; c++)
        {
            int tp = confusion[c, c], predictedC = 0, support = 0;
            for (var j = 0; j < k; j++)
            {
                predictedC += confusion[j, c];
                support += confusion[c, j];
            }

            var precision = predictedC == 0 ? 0 : (double)tp / predictedC;
            var recall = support == 0 ? 0 : (double)tp / support;
            var f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            classes.Add(new ClassMetrics(labels[c], precision, recall, f1, support));
            if (support > 0)
            {
                f1Sum += f1;
                withSupport++;
            }
        }

        var n = gold.Count;
        return new EvaluationReport(n, n == 0 ? 0 : (double)correct / n, withSupport == 0 ? 0 : f1Sum / withSupport,
            classes, labels, confusion);
    }
}
