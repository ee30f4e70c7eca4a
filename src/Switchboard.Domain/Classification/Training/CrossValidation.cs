namespace Switchboard.Classification.Training;

internal static class CrossValidation
{
    // Assigns each of n examples to one of k folds, stratified by label so every fold has each class in about the
    // same share; deterministic for a seed so our models and peers can be run on identical folds.
    public static int[] Folds(IReadOnlyList<string> labels, int k, int seed)
    {
        if (k < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(k), k, "cross-validation needs at least 2 folds");
        }

        var rng = new Random(seed);
        var fold = new int[labels.Count];
        var byLabel = Enumerable.Range(0, labels.Count).GroupBy(i => labels[i], StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal);
        var next = 0;
        foreach (var group in byLabel)
        {
            var items = group.ToArray();
            rng.Shuffle(items);
            foreach (var i in items)
            {
                fold[i] = next;
                next = (next + 1) % k;
            }
        }

        return fold;
    }
}
