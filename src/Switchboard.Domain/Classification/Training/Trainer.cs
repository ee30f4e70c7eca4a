namespace Switchboard.Classification.Training;

internal sealed record TrainerOptions
{
    // 2^18 buckets: collisions stay rare for tens of thousands of posts, and a 3-class model is a few MB.
    public int HashBits { get; init; } = 18;
    public int Epochs { get; init; } = 8;
    public float LearningRate { get; init; } = 0.1f;
    // Examples of class c weigh (N / (K · n_c))^ClassBalance: 0 = no reweighting, 1 = fully balanced. Raising
    // rare classes trades a little accuracy for macro-F1, which is what a team routing on rare labels needs.
    public float ClassBalance { get; init; } = 0.3f;
    public int Seed { get; init; } = 17;
    public string LabelColumn { get; init; } = "label";
    public string TrainedAt { get; init; } = "";

    public static TrainerOptions Default { get; } = new();
}

// Trains a LinearModel by averaged stochastic gradient descent with AdaGrad step sizes on the softmax loss.
// Averaging the iterates is the regulariser (no separate L2 term): it is cheap with sparse updates and keeps
// rare, noisy features from dominating. Deterministic for a given seed and input order.
internal static class Trainer
{
    public static LinearModel Train(IReadOnlyList<LabeledText> examples, TrainerOptions? options = null)
    {
        var o = options ?? TrainerOptions.Default;
        var labels = examples.Select(e => e.Label).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (labels.Count < 2)
        {
            throw new ArgumentException(
                $"training needs at least two distinct labels, found {labels.Count}" +
                (labels.Count == 1 ? $" ('{labels[0]}')" : ""));
        }

        var index = labels.Select((l, i) => (l, i)).ToDictionary(p => p.l, p => p.i, StringComparer.Ordinal);
        var k = labels.Count;
        var d = 1 << o.HashBits;

        // Extract once; epochs reuse the sparse vectors.
        var n = examples.Count;
        var offsets = new int[n + 1];
        var allIdx = new List<int>(n * 64);
        var allVal = new List<float>(n * 64);
        var y = new int[n];
        var idx = new List<int>();
        var val = new List<float>();
        for (var i = 0; i < n; i++)
        {
            Features.Extract(examples[i].Text, o.HashBits, idx, val);
            allIdx.AddRange(idx);
            allVal.AddRange(val);
            offsets[i + 1] = allIdx.Count;
            y[i] = index[examples[i].Label];
        }

        var counts = new int[k];
        foreach (var c in y)
        {
            counts[c]++;
        }

        var classWeight = new float[k];
        for (var c = 0; c < k; c++)
        {
            classWeight[c] = (float)Math.Pow((double)n / (k * counts[c]), o.ClassBalance);
        }

        var w = new float[d * k];
        var u = new float[d * k]; // sum of step · update, for the averaged iterate
        var g = new float[d * k]; // AdaGrad accumulated squared gradients
        var b = new float[k];
        var ub = new float[k];
        var gb = new float[k];
        var order = Enumerable.Range(0, n).ToArray();
        var rng = new Random(o.Seed);
        var p = new double[k];
        var step = 1f;
        var fi = allIdx.ToArray();
        var fv = allVal.ToArray();
        for (var epoch = 0; epoch < o.Epochs; epoch++)
        {
            rng.Shuffle(order);
            foreach (var i in order)
            {
                var start = offsets[i];
                var end = offsets[i + 1];
                for (var c = 0; c < k; c++)
                {
                    p[c] = b[c];
                }

                for (var f = start; f < end; f++)
                {
                    var row = fi[f] * k;
                    var v = fv[f];
                    for (var c = 0; c < k; c++)
                    {
                        p[c] += w[row + c] * v;
                    }
                }

                LinearModel.Softmax(p);
                var cw = classWeight[y[i]];
                for (var c = 0; c < k; c++)
                {
                    var grad = (float)((p[c] - (c == y[i] ? 1 : 0)) * cw);
                    if (grad == 0)
                    {
                        continue;
                    }

                    gb[c] += grad * grad;
                    var db = o.LearningRate * grad / MathF.Sqrt(gb[c] + 1e-6f);
                    b[c] -= db;
                    ub[c] -= step * db;
                    for (var f = start; f < end; f++)
                    {
                        var j = (fi[f] * k) + c;
                        var gf = grad * fv[f];
                        g[j] += gf * gf;
                        var delta = o.LearningRate * gf / MathF.Sqrt(g[j] + 1e-6f);
                        w[j] -= delta;
                        u[j] -= step * delta;
                    }
                }

                step++;
            }
        }

        // Averaged iterate: w_avg = w - u / step.
        for (var j = 0; j < w.Length; j++)
        {
            w[j] -= u[j] / step;
        }

        for (var c = 0; c < k; c++)
        {
            b[c] -= ub[c] / step;
        }

        return new LinearModel(labels, o.HashBits, w, b, new ModelInfo(o.LabelColumn, n, o.TrainedAt));
    }
}
