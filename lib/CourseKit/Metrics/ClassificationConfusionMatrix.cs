using System.Text;
using CourseKit.Viz;
using Plotly.NET;

namespace CourseKit.Metrics;

/// <summary>
/// Class × class counts of a sequence classifier over label ids: <c>Counts[g, p]</c> = examples of gold class g
/// predicted as class p (rows gold, columns predicted, as scikit-learn's confusion_matrix with <c>labels=range(C)</c>).
/// </summary>
public sealed class ClassificationConfusionMatrix
{
    ClassificationConfusionMatrix(IReadOnlyList<string> labels, long[,] counts)
    {
        Labels = labels;
        Counts = counts;
    }

    /// <summary>Class names in id order.</summary>
    public IReadOnlyList<string> Labels { get; }
    public long[,] Counts { get; }
    public long Total => Counts.Cast<long>().Sum();

    /// <param name="gold">gold class ids, each in [0, labels.Count)</param>
    /// <param name="predicted">predicted class ids, aligned with <paramref name="gold"/></param>
    public static ClassificationConfusionMatrix Compute(IReadOnlyList<int> gold, IReadOnlyList<int> predicted, IReadOnlyList<string> labels)
    {
        if (gold.Count != predicted.Count)
            throw new ArgumentException($"gold has {gold.Count} labels but predicted has {predicted.Count}: they must be aligned one to one.", nameof(predicted));
        if (labels.Count == 0) throw new ArgumentException("at least one class is needed.", nameof(labels));
        var counts = new long[labels.Count, labels.Count];
        for (int i = 0; i < gold.Count; i++)
        {
            Check(gold[i], labels.Count, "gold", i);
            Check(predicted[i], labels.Count, "predicted", i);
            counts[gold[i], predicted[i]]++;
        }
        return new ClassificationConfusionMatrix(labels.ToArray(), counts);
    }

    static void Check(int id, int classes, string what, int index)
    {
        if (id < 0 || id >= classes)
            throw new ArgumentOutOfRangeException(what, id, $"{what}[{index}] = {id} is not a class id in [0, {classes}).");
    }

    /// <summary>Examples of class <paramref name="c"/> predicted as <paramref name="c"/>.</summary>
    public long TruePositives(int c) => Counts[c, c];
    /// <summary>Examples whose gold class is <paramref name="c"/> (the row sum).</summary>
    public long Support(int c) => Enumerable.Range(0, Labels.Count).Sum(j => Counts[c, j]);
    /// <summary>Examples predicted as <paramref name="c"/> (the column sum).</summary>
    public long PredictedCount(int c) => Enumerable.Range(0, Labels.Count).Sum(i => Counts[i, c]);

    /// <summary>The counts as doubles; <paramref name="normalizeRows"/>: each row divided by its sum (recall per
    /// gold class on the diagonal; rows without examples stay 0).</summary>
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

    /// <summary>A heatmap with gold classes as rows (first on top) and predicted classes as columns.</summary>
    public GenericChart ToHeatmap(string title = "Confusion matrix", bool normalizeRows = false) =>
        Charts.Heatmap(ToDoubles(normalizeRows), Labels.ToArray(), Labels.ToArray(), title, xTitle: "predicted", yTitle: "gold", colorScale: "Blues");

    /// <summary>A fixed-width table: one row per gold class, one column per predicted class.</summary>
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
