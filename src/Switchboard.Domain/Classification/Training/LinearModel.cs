namespace Switchboard.Classification.Training;

internal sealed record LabeledText(string Text, string Label);

internal sealed record Prediction(string Label, double Confidence, IReadOnlyList<double> Probabilities);

// Metadata carried in the model file for people and for the retraining decision.
internal sealed record ModelInfo(string LabelColumn, int TrainedExamples, string TrainedAt);

// A multinomial logistic regression over hashed features. Weights are laid out feature-major
// (Weights[feature * Classes + class]) so one feature's class weights sit in one cache line. Idf[feature] is the
// inverse document frequency learned from the training texts (0 for a feature no training text had); without one
// every feature weighs 1.
internal sealed class LinearModel
{
    public LinearModel(IReadOnlyList<string> labels, int hashBits, float[] weights, float[] bias, ModelInfo info,
        float[]? idf = null)
    {
        if (labels.Count < 2)
        {
            throw new ArgumentException("a model needs at least two labels", nameof(labels));
        }

        if (hashBits is < 10 or > 24)
        {
            throw new ArgumentOutOfRangeException(nameof(hashBits), hashBits, "hash bits must be between 10 and 24");
        }

        if (weights.Length != (1 << hashBits) * labels.Count || bias.Length != labels.Count)
        {
            throw new ArgumentException("weights do not match labels and hash bits");
        }

        if (idf is not null && idf.Length != 1 << hashBits)
        {
            throw new ArgumentException("the IDF table does not match the hash bits", nameof(idf));
        }

        if (idf is null)
        {
            idf = new float[1 << hashBits];
            Array.Fill(idf, 1f);
        }

        Labels = labels;
        HashBits = hashBits;
        Weights = weights;
        Bias = bias;
        Info = info;
        Idf = idf;
    }

    public IReadOnlyList<string> Labels { get; }
    public int HashBits { get; }
    public float[] Weights { get; }
    public float[] Bias { get; }
    public ModelInfo Info { get; }
    public float[] Idf { get; }
    public int Classes => Labels.Count;

    [ThreadStatic]
    private static (List<int> Indices, List<float> Values)? scratch;

    public Prediction Predict(string text)
    {
        var (idx, val) = scratch ??= ([], []);
        Features.Extract(text, HashBits, idx, val);
        Features.Weigh(idx, val, Idf);
        var k = Classes;
        Span<double> z = stackalloc double[k];
        Scores(idx, val, z);
        Softmax(z);
        var best = 0;
        for (var c = 1; c < k; c++)
        {
            if (z[c] > z[best])
            {
                best = c;
            }
        }

        return new Prediction(Labels[best], Math.Round(z[best], 4), z.ToArray());
    }

    internal void Scores(List<int> idx, List<float> val, Span<double> z)
    {
        var k = Classes;
        for (var c = 0; c < k; c++)
        {
            z[c] = Bias[c];
        }

        var w = Weights;
        for (var f = 0; f < idx.Count; f++)
        {
            var row = idx[f] * k;
            var v = val[f];
            for (var c = 0; c < k; c++)
            {
                z[c] += w[row + c] * v;
            }
        }
    }

    internal static void Softmax(Span<double> z)
    {
        var max = double.NegativeInfinity;
        foreach (var v in z)
        {
            max = Math.Max(max, v);
        }

        var sum = 0.0;
        for (var c = 0; c < z.Length; c++)
        {
            z[c] = Math.Exp(z[c] - max);
            sum += z[c];
        }

        for (var c = 0; c < z.Length; c++)
        {
            z[c] /= sum;
        }
    }
}
