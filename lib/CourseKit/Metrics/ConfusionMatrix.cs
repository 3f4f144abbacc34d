using System.Text;
using CourseKit.Viz;
using Plotly.NET;

namespace CourseKit.Metrics;

/// <summary>
/// Label × label counts: <c>Counts[i, j]</c> = items with gold label <c>Labels[i]</c> predicted as <c>Labels[j]</c>
/// (rows gold, columns predicted, as scikit-learn's confusion_matrix). One type for both kinds of task: sequence
/// classification (class ids, every id must be a class) and tagging (label names, per word).
/// </summary>
public sealed class ConfusionMatrix
{
    ConfusionMatrix(IReadOnlyList<string> labels, long[,] counts)
    {
        Labels = labels;
        Counts = counts;
    }

    /// <summary>Label names in row/column order.</summary>
    public IReadOnlyList<string> Labels { get; }
    public long[,] Counts { get; }
    public long Total => Counts.Cast<long>().Sum();

    /// <summary>Counts over class ids (sequence classification, scikit-learn's <c>labels=range(C)</c>); an id outside
    /// [0, labels.Count) throws naming its position.</summary>
    /// <param name="gold">gold class ids, each in [0, labels.Count)</param>
    /// <param name="predicted">predicted class ids, aligned with <paramref name="gold"/></param>
    public static ConfusionMatrix Compute(IReadOnlyList<int> gold, IReadOnlyList<int> predicted, IReadOnlyList<string> labels)
    {
        if (gold.Count != predicted.Count)
            throw new ArgumentException($"gold has {gold.Count} labels but predicted has {predicted.Count}: they must be aligned one to one.", nameof(predicted));
        if (labels.Count == 0) throw new ArgumentException("at least one class is needed.", nameof(labels));
        var counts = new long[labels.Count, labels.Count];
        for (int i = 0; i < gold.Count; i++)
        {
            CheckId(gold[i], labels.Count, "gold", i);
            CheckId(predicted[i], labels.Count, "predicted", i);
            counts[gold[i], predicted[i]]++;
        }
        return new ConfusionMatrix(labels.ToArray(), counts);
    }

    static void CheckId(int id, int classes, string what, int index)
    {
        if (id < 0 || id >= classes)
            throw new ArgumentOutOfRangeException(what, id, $"{what}[{index}] = {id} is not a class id in [0, {classes}).");
    }

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

    /// <summary>Items of label <paramref name="c"/> predicted as <paramref name="c"/>.</summary>
    public long TruePositives(int c) => Counts[c, c];
    /// <summary>Items whose gold label is <paramref name="c"/> (the row sum).</summary>
    public long Support(int c) => Enumerable.Range(0, Labels.Count).Sum(j => Counts[c, j]);
    /// <summary>Items predicted as <paramref name="c"/> (the column sum).</summary>
    public long PredictedCount(int c) => Enumerable.Range(0, Labels.Count).Sum(i => Counts[i, c]);

    /// <summary>The counts as doubles; <paramref name="normalizeRows"/>: each row divided by its sum (the fraction of a
    /// gold label's items predicted as each label, recall on the diagonal; rows with no items stay 0).</summary>
    public double[,] ToDoubles(bool normalizeRows = false)
    {
        int n = Labels.Count;
        var result = new double[n, n];
        for (int i = 0; i < n; i++)
        {
            long rowSum = Support(i);
            for (int j = 0; j < n; j++)
                result[i, j] = normalizeRows ? rowSum == 0 ? 0.0 : (double)Counts[i, j] / rowSum : Counts[i, j];
        }
        return result;
    }

    /// <summary>long[][] rows (gold) of columns (predicted), for JSON.</summary>
    public long[][] ToRows() =>
        Enumerable.Range(0, Labels.Count).Select(i => Enumerable.Range(0, Labels.Count).Select(j => Counts[i, j]).ToArray()).ToArray();

    /// <summary>A heatmap with gold labels as rows (first on top) and predicted labels as columns.</summary>
    public GenericChart ToHeatmap(string title = "Confusion matrix", bool normalizeRows = false) =>
        Charts.Heatmap(ToDoubles(normalizeRows), Labels.ToArray(), Labels.ToArray(), title, xTitle: "predicted", yTitle: "gold", colorScale: "Blues");

    /// <summary>A fixed-width table: one row per gold label, one column per predicted label.</summary>
    public string ToText()
    {
        int width = Math.Max(8, Labels.Max(l => l.Length) + 2);
        var sb = new StringBuilder();
        sb.Append("gold \\ predicted".PadRight(width + 8));
        foreach (var l in Labels) sb.Append(l.PadLeft(width));
        sb.AppendLine();
        for (int i = 0; i < Labels.Count; i++)
        {
            sb.Append(Labels[i].PadRight(width + 8));
            for (int j = 0; j < Labels.Count; j++) sb.Append(Counts[i, j].ToString().PadLeft(width));
            sb.AppendLine();
        }
        return sb.ToString();
    }
}
