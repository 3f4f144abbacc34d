using System.Text;

namespace CourseKit.Metrics;

/// <summary>
/// Token-level (here: word-level) per-label precision, recall, F1 and support, computed as scikit-learn's
/// <c>classification_report(y_true, y_pred)</c> does: labels are the sorted union of gold and predicted labels,
/// zero_division=0 (precision 0 for a label never predicted, recall 0 for one never in gold), micro average from
/// summed counts (equal to accuracy when every label is included), macro average the unweighted mean over labels,
/// weighted average weighted by support.
/// </summary>
public sealed class TokenClassificationReport
{
    TokenClassificationReport(IReadOnlyList<string> labels, IReadOnlyDictionary<string, ClassScores> perLabel,
        ClassScores micro, ClassScores macro, ClassScores weighted, double accuracy)
    {
        Labels = labels;
        PerLabel = perLabel;
        MicroAverage = micro;
        MacroAverage = macro;
        WeightedAverage = weighted;
        Accuracy = accuracy;
    }

    /// <summary>The labels in scikit-learn's order: the sorted (ordinal) union of gold and predicted labels.</summary>
    public IReadOnlyList<string> Labels { get; }
    public IReadOnlyDictionary<string, ClassScores> PerLabel { get; }
    public ClassScores MicroAverage { get; }
    public ClassScores MacroAverage { get; }
    public ClassScores WeightedAverage { get; }
    /// <summary>Fraction of tokens whose predicted label equals the gold label.</summary>
    public double Accuracy { get; }
    public long Total => MicroAverage.Support;

    /// <summary>The labels grouped as in the article's table: entity types sorted, B- before I- within a type, O last
    /// (labels that are neither O nor B-/I- come after, sorted).</summary>
    public IReadOnlyList<string> GroupedLabels => NerLabelOrder.Grouped(Labels);

    public static TokenClassificationReport Compute(IReadOnlyList<string> gold, IReadOnlyList<string> predicted)
    {
        if (gold.Count != predicted.Count)
            throw new ArgumentException($"gold has {gold.Count} labels but predicted has {predicted.Count}: they must be aligned one to one.", nameof(predicted));
        if (gold.Count == 0) throw new ArgumentException("no labels to evaluate.", nameof(gold));

        var labels = gold.Concat(predicted).Distinct().OrderBy(l => l, StringComparer.Ordinal).ToArray();
        var index = labels.Select((l, i) => (l, i)).ToDictionary(x => x.l, x => x.i, StringComparer.Ordinal);
        var tp = new long[labels.Length]; var goldCount = new long[labels.Length]; var predCount = new long[labels.Length];
        for (int i = 0; i < gold.Count; i++)
        {
            int g = index[gold[i]], p = index[predicted[i]];
            goldCount[g]++;
            predCount[p]++;
            if (g == p) tp[g]++;
        }

        var scores = labels.Select((_, k) => ClassScores.FromCounts(tp[k], predCount[k], goldCount[k])).ToArray();
        long total = gold.Count;
        var micro = ClassScores.FromCounts(tp.Sum(), predCount.Sum(), goldCount.Sum());
        var macro = new ClassScores(scores.Average(s => s.Precision), scores.Average(s => s.Recall), scores.Average(s => s.F1), total);
        var weighted = new ClassScores(
            scores.Sum(s => s.Precision * s.Support) / total,
            scores.Sum(s => s.Recall * s.Support) / total,
            scores.Sum(s => s.F1 * s.Support) / total, total);
        var perLabel = labels.Select((l, k) => (l, k)).ToDictionary(x => x.l, x => scores[x.k], StringComparer.Ordinal);
        return new TokenClassificationReport(labels, perLabel, micro, macro, weighted, (double)tp.Sum() / total);
    }

    /// <summary>Sentence-by-sentence tags flattened to one sequence; each sentence pair must have equal lengths.</summary>
    public static TokenClassificationReport Compute(IReadOnlyList<IReadOnlyList<string>> goldSentences, IReadOnlyList<IReadOnlyList<string>> predictedSentences)
    {
        var (gold, predicted) = Flatten(goldSentences, predictedSentences);
        return Compute(gold, predicted);
    }

    /// <summary>The article's layout: rows grouped by entity type (B-LOC, I-LOC, B-MISC, ..., O), then
    /// micro avg, macro avg and weighted avg rows; scikit-learn's column widths and rounding.</summary>
    public string Format(int digits = 3) =>
        Render(GroupedLabels, [("micro avg", MicroAverage), ("macro avg", MacroAverage), ("weighted avg", WeightedAverage)], accuracyRow: false, digits);

    /// <summary>scikit-learn's own <c>classification_report(digits)</c> text: sorted labels, and — every label being
    /// included — an "accuracy" row in place of micro avg.</summary>
    public string FormatSklearn(int digits = 3) =>
        Render(Labels, [("macro avg", MacroAverage), ("weighted avg", WeightedAverage)], accuracyRow: true, digits);

    string Render(IReadOnlyList<string> rows, (string Name, ClassScores Scores)[] averages, bool accuracyRow, int digits)
    {
        // scikit-learn: width = max(longest label, len("weighted avg"), digits); header "{:>w} " + " {:>9}" * 4.
        int width = Math.Max(Math.Max(rows.Max(l => l.Length), "weighted avg".Length), digits);
        var sb = new StringBuilder();
        sb.Append(new string(' ', width)).Append(' ');
        foreach (var h in new[] { "precision", "recall", "f1-score", "support" }) sb.Append(' ').Append(h.PadLeft(9));
        sb.Append("\n\n");
        foreach (var label in rows) Row(sb, label, PerLabel[label], width, digits);
        sb.Append('\n');
        if (accuracyRow)
        {
            sb.Append("accuracy".PadLeft(width)).Append(' ')
              .Append(' ').Append("".PadLeft(9)).Append(' ').Append("".PadLeft(9))
              .Append(' ').Append(PythonFormat.Fixed(Accuracy, digits).PadLeft(9))
              .Append(' ').Append(Total.ToString().PadLeft(9)).Append('\n');
        }
        foreach (var (name, scores) in averages) Row(sb, name, scores, width, digits);
        return sb.ToString();
    }

    static void Row(StringBuilder sb, string name, ClassScores s, int width, int digits)
    {
        sb.Append(name.PadLeft(width)).Append(' ');
        foreach (var v in new[] { s.Precision, s.Recall, s.F1 }) sb.Append(' ').Append(PythonFormat.Fixed(v, digits).PadLeft(9));
        sb.Append(' ').Append(s.Support.ToString().PadLeft(9)).Append('\n');
    }

    internal static (string[] Gold, string[] Predicted) Flatten(IReadOnlyList<IReadOnlyList<string>> gold, IReadOnlyList<IReadOnlyList<string>> predicted)
    {
        if (gold.Count != predicted.Count)
            throw new ArgumentException($"gold has {gold.Count} sentences but predicted has {predicted.Count}.", nameof(predicted));
        for (int i = 0; i < gold.Count; i++)
            if (gold[i].Count != predicted[i].Count)
                throw new ArgumentException($"sentence {i}: gold has {gold[i].Count} tags but predicted has {predicted[i].Count}.", nameof(predicted));
        return (gold.SelectMany(s => s).ToArray(), predicted.SelectMany(s => s).ToArray());
    }
}

/// <summary>The label order of the article's NER table.</summary>
public static class NerLabelOrder
{
    /// <summary>B-X/I-X labels grouped by type X (types sorted, B before I), then O, then any other labels (sorted).</summary>
    public static IReadOnlyList<string> Grouped(IEnumerable<string> labels) =>
        labels.Distinct()
            .OrderBy(l => IsBio(l) ? 0 : l == "O" ? 1 : 2)
            .ThenBy(l => IsBio(l) ? l[2..] : l, StringComparer.Ordinal)
            .ThenBy(l => l[0] == 'B' ? 0 : 1)
            .ToArray();

    static bool IsBio(string l) => l.Length > 2 && l[1] == '-' && l[0] is 'B' or 'I';
}
