namespace CourseKit.Metrics;

/// <summary>
/// Label × label counts: <c>Counts[i, j]</c> = items with gold label <c>Labels[i]</c> predicted as <c>Labels[j]</c>
/// (rows gold, columns predicted, as scikit-learn's confusion_matrix). Draw it with
/// <c>Charts.Heatmap(m.ToDoubles(), m.Labels.ToArray(), m.Labels.ToArray(), ...)</c>.
/// </summary>
public sealed class ConfusionMatrix
{
    ConfusionMatrix(IReadOnlyList<string> labels, long[,] counts)
    {
        Labels = labels;
        Counts = counts;
    }

    public IReadOnlyList<string> Labels { get; }
    public long[,] Counts { get; }

    /// <summary>Counts over aligned gold/predicted labels. <paramref name="labels"/> fixes the rows/columns; pairs with a
    /// label outside it are left out, as scikit-learn does. Default: the union of both, grouped like the article's
    /// table (<see cref="NerLabelOrder.Grouped"/>).</summary>
    public static ConfusionMatrix Compute(IReadOnlyList<string> gold, IReadOnlyList<string> predicted, IReadOnlyList<string>? labels = null)
    {
        if (gold.Count != predicted.Count)
            throw new ArgumentException($"gold has {gold.Count} labels but predicted has {predicted.Count}.", nameof(predicted));
        labels ??= NerLabelOrder.Grouped(gold.Concat(predicted));
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < labels.Count; i++)
            if (!index.TryAdd(labels[i], i)) throw new ArgumentException($"label '{labels[i]}' is listed twice.", nameof(labels));
        var counts = new long[labels.Count, labels.Count];
        for (int i = 0; i < gold.Count; i++)
            if (index.TryGetValue(gold[i], out var g) && index.TryGetValue(predicted[i], out var p)) counts[g, p]++;
        return new ConfusionMatrix(labels.ToArray(), counts);
    }

    public static ConfusionMatrix Compute(IReadOnlyList<IReadOnlyList<string>> goldSentences, IReadOnlyList<IReadOnlyList<string>> predictedSentences,
        IReadOnlyList<string>? labels = null)
    {
        var (gold, predicted) = TokenClassificationReport.Flatten(goldSentences, predictedSentences);
        return Compute(gold, predicted, labels);
    }

    /// <summary>The counts as doubles; <paramref name="normalizeRows"/>: each row divided by its sum (the fraction of a
    /// gold label's items predicted as each label; rows with no items stay 0).</summary>
    public double[,] ToDoubles(bool normalizeRows = false)
    {
        int n = Labels.Count;
        var result = new double[n, n];
        for (int i = 0; i < n; i++)
        {
            long rowSum = 0;
            for (int j = 0; j < n; j++) rowSum += Counts[i, j];
            for (int j = 0; j < n; j++)
                result[i, j] = normalizeRows ? rowSum == 0 ? 0.0 : (double)Counts[i, j] / rowSum : Counts[i, j];
        }
        return result;
    }
}
