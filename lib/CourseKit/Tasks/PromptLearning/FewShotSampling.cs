using CourseKit.Tasks.SequenceClassification;

namespace CourseKit.Tasks.PromptLearning;

/// <summary>A few-shot draw: K training examples per class and, as in LM-BFF (Gao et al. 2021), a validation set of
/// the same size drawn from the same pool (model selection must not peek at the evaluation set either).</summary>
public sealed record FewShotSample(int K, int Seed, IReadOnlyList<LabeledText> Train, IReadOnlyList<LabeledText> Validation);

/// <summary>
/// Draws few-shot samples: exactly K examples of every class, seeded (the same seed gives the same examples), and
/// disjoint from the evaluation set by text (SST-2's train holds phrases that also occur as dev sentences; such a text
/// is never drawn). Not by id: the pool's and the evaluation set's ids index different files.
/// </summary>
public static class FewShotSampling
{
    /// <param name="pool">Where examples are drawn from (the task's training part).</param>
    /// <param name="classCount">Labels are 0 … classCount-1; every one must have 2·K candidates.</param>
    /// <param name="evaluation">The evaluation set the draw must not overlap.</param>
    public static FewShotSample Sample(IReadOnlyList<LabeledText> pool, int classCount, int k, int seed, IReadOnlyList<LabeledText> evaluation)
    {
        if (k <= 0) throw new ArgumentOutOfRangeException(nameof(k), k, "K (examples per class) must be positive");
        var evaluationTexts = new HashSet<string>(evaluation.Select(e => e.Text), StringComparer.Ordinal);
        var rng = new Random(seed);
        var train = new List<LabeledText>();
        var validation = new List<LabeledText>();
        for (int label = 0; label < classCount; label++)
        {
            // Candidates in a fixed order (by id, distinct texts) so the draw depends on the seed only.
            var candidates = pool.Where(e => e.Label == label && !evaluationTexts.Contains(e.Text))
                .DistinctBy(e => e.Text).OrderBy(e => e.Id).ToArray();
            if (candidates.Length < 2 * k)
                throw new ArgumentException($"class {label} has {candidates.Length} candidates outside the evaluation set; K = {k} needs {2 * k} (train and validation)");
            Shuffle(candidates, rng);
            train.AddRange(candidates.Take(k));
            validation.AddRange(candidates.Skip(k).Take(k));
        }
        Shuffle(train, rng);
        Shuffle(validation, rng);
        return new FewShotSample(k, seed, train, validation);
    }

    /// <summary>Fisher-Yates, in place.</summary>
    public static void Shuffle<T>(IList<T> items, Random rng)
    {
        for (int i = items.Count - 1; i > 0; i--)
        {
            int j = rng.Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
