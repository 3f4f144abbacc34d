namespace CourseKit.Tasks.TokenClassification;

/// <summary>
/// Viterbi decoding of a sentence's word-level label log-probabilities under IOB2's transition rule: a sentence may
/// start with O or B-X, and I-X may follow only B-X or I-X. Labels that are neither B- nor I- (O, or a plain tag)
/// may go anywhere. The result maximises the sum of the chosen labels' log-probabilities among valid sequences.
/// </summary>
public static class Iob2Viterbi
{
    /// <summary>allowed[from, to] for consecutive words, and which labels may start a sentence.</summary>
    public static (bool[,] Allowed, bool[] Start) Transitions(IReadOnlyList<string> labels)
    {
        int n = labels.Count;
        var names = labels.ToHashSet(StringComparer.Ordinal);
        foreach (var label in labels)
            if (Inside(label) is { } type && !names.Contains("B-" + type))
                throw new ArgumentException($"label '{label}' has no 'B-{type}': constrained decoding needs IOB2 labels (convert IOB1 tags first).", nameof(labels));
        var allowed = new bool[n, n];
        var start = new bool[n];
        for (int to = 0; to < n; to++)
        {
            var type = Inside(labels[to]);
            start[to] = type is null;
            for (int from = 0; from < n; from++)
                allowed[from, to] = type is null || labels[from] == "B-" + type || labels[from] == "I-" + type;
        }
        return (allowed, start);
    }

    /// <summary>The best valid label id per word. <paramref name="logProbs"/>[word][label]; an empty sentence gives [].</summary>
    public static int[] Decode(IReadOnlyList<float[]> logProbs, IReadOnlyList<string> labels) =>
        Decode(logProbs, Transitions(labels));

    public static int[] Decode(IReadOnlyList<float[]> logProbs, (bool[,] Allowed, bool[] Start) transitions)
    {
        var (allowed, start) = transitions;
        int n = start.Length, words = logProbs.Count;
        if (words == 0) return [];
        var score = new double[words, n];
        var back = new int[words, n];
        for (int word = 0; word < words; word++)
        {
            var row = logProbs[word];
            if (row.Length != n) throw new ArgumentException($"word {word} has {row.Length} scores for {n} labels.", nameof(logProbs));
            for (int to = 0; to < n; to++)
            {
                double best = double.NegativeInfinity;
                int from = -1;
                if (word == 0) { if (start[to]) best = 0; }
                else
                    for (int k = 0; k < n; k++)
                        if (allowed[k, to] && score[word - 1, k] > best) (best, from) = (score[word - 1, k], k);
                score[word, to] = best + row[to];
                back[word, to] = from;
            }
        }
        var path = new int[words];
        double end = double.NegativeInfinity;
        for (int label = 0; label < n; label++)
            if (score[words - 1, label] > end) (end, path[words - 1]) = (score[words - 1, label], label);
        if (double.IsNegativeInfinity(end)) throw new ArgumentException("no valid tag sequence (are all the outside/begin labels' scores -∞?).", nameof(logProbs));
        for (int word = words - 1; word > 0; word--) path[word - 1] = back[word, path[word]];
        return path;
    }

    static string? Inside(string label) => label.StartsWith("I-", StringComparison.Ordinal) ? label[2..] : null;
}
