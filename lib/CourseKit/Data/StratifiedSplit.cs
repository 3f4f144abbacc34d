namespace CourseKit.Data;

/// <summary>One part of a split: the row ids (0-based line order of the examples as loaded from <see cref="Source"/>)
/// and how many examples of each class it holds.</summary>
public sealed record SplitPart(string Name, string Source, int[] Ids, IReadOnlyDictionary<string, int> ClassCounts);

/// <summary>
/// A fixed, seeded, stratified split: within every class the rows are shuffled with <c>new Random(seed)</c> (classes in
/// id order, one generator) and cut into consecutive slices, part k taking round(n_c · fraction_k) rows of a class
/// n_c; when the fractions add up to 1 the last part takes the rest, else unused rows are left out (a subset).
/// Every part therefore holds each class within one example of its exact proportion (two parts can each be off by half
/// an example, so the rest part by at most one).
/// </summary>
public static class StratifiedSplit
{
    /// <param name="labels">class id of each row (row id = index)</param>
    /// <param name="labelNames">class names in id order (for the counts)</param>
    /// <param name="source">what the row ids index, e.g. "financial-phrasebank/Sentences_AllAgree.txt"</param>
    /// <param name="parts">(name, fraction of each class), fractions ≥ 0 adding up to at most 1</param>
    public static IReadOnlyList<SplitPart> Split(IReadOnlyList<int> labels, IReadOnlyList<string> labelNames, int seed, string source,
        params (string Name, double Fraction)[] parts)
    {
        if (parts.Length == 0) throw new ArgumentException("at least one part is needed.", nameof(parts));
        foreach (var (name, f) in parts)
            if (f < 0 || f > 1 || double.IsNaN(f)) throw new ArgumentOutOfRangeException(nameof(parts), f, $"part '{name}' has fraction {f}, not in [0, 1].");
        if (parts.Select(p => p.Name).Distinct().Count() != parts.Length) throw new ArgumentException("part names must be distinct.", nameof(parts));
        double sum = parts.Sum(p => p.Fraction);
        if (sum > 1 + 1e-9) throw new ArgumentException($"the fractions add up to {sum}, more than 1.", nameof(parts));
        bool whole = Math.Abs(sum - 1) < 1e-9;

        var byClass = new List<int>[labelNames.Count];
        for (int c = 0; c < byClass.Length; c++) byClass[c] = new List<int>();
        for (int i = 0; i < labels.Count; i++)
        {
            if (labels[i] < 0 || labels[i] >= labelNames.Count)
                throw new ArgumentOutOfRangeException(nameof(labels), labels[i], $"{source}: row {i} has class id {labels[i]}, not in [0, {labelNames.Count}).");
            byClass[labels[i]].Add(i);
        }

        var rng = new Random(seed);
        var ids = parts.Select(_ => new List<int>()).ToArray();
        foreach (var rows in byClass)
        {
            var shuffled = rows.ToArray();
            rng.Shuffle(shuffled);
            int start = 0;
            for (int k = 0; k < parts.Length; k++)
            {
                int take = whole && k == parts.Length - 1
                    ? shuffled.Length - start
                    : Math.Min(shuffled.Length - start, (int)Math.Round(shuffled.Length * parts[k].Fraction, MidpointRounding.AwayFromZero));
                ids[k].AddRange(shuffled.AsSpan(start, take).ToArray());
                start += take;
            }
        }
        return parts.Select((p, k) =>
        {
            var sorted = ids[k].Order().ToArray();
            return new SplitPart(p.Name, source, sorted, CountClasses(sorted, labels, labelNames));
        }).ToArray();
    }

    /// <summary>Rows per class name among <paramref name="ids"/>.</summary>
    public static IReadOnlyDictionary<string, int> CountClasses(IEnumerable<int> ids, IReadOnlyList<int> labels, IReadOnlyList<string> labelNames)
    {
        var counts = labelNames.ToDictionary(n => n, _ => 0);
        foreach (var i in ids) counts[labelNames[labels[i]]]++;
        return counts;
    }
}
