using CourseKit.Tasks.SequenceClassification;
using CourseKit.Training;

namespace CourseKit.Tasks.PromptLearning;

/// <summary>Two texts and the cosine similarity their embeddings should have: 1 (same class) or 0 (different classes).</summary>
public sealed record ContrastivePair(LabeledText First, LabeledText Second, float Target);

/// <summary>
/// SetFit's pair generation (Tunstall et al. 2022, setfit's sentence_pairs_generation): for each of R iterations and
/// each example, one positive pair (the example and a random other example of its class, target 1) and one negative
/// pair (the example and a random example of another class, target 0). K examples per class and C classes give
/// 2·R·K·C pairs, half positive: few labels become many training signals, which is why contrastive fine-tuning works
/// with 8 examples per class.
/// </summary>
public static class ContrastivePairs
{
    public static IReadOnlyList<ContrastivePair> Build(IReadOnlyList<LabeledText> examples, int iterations, int seed)
    {
        if (iterations <= 0) throw new ArgumentOutOfRangeException(nameof(iterations), iterations, "iterations must be positive");
        var byLabel = examples.GroupBy(e => e.Label).ToDictionary(g => g.Key, g => g.ToArray());
        if (byLabel.Count < 2) throw new ArgumentException("contrastive pairs need examples of at least two classes");
        // Counted as distinct objects: the same example listed twice is still one, and would have no partner but itself.
        if (byLabel.Values.Any(g => g.Distinct(ReferenceEqualityComparer.Instance).Count() < 2)) throw new ArgumentException("contrastive pairs need at least two examples per class (a positive partner)");
        var rng = new Random(seed);
        var pairs = new List<ContrastivePair>(2 * iterations * examples.Count);
        for (int r = 0; r < iterations; r++)
            foreach (var anchor in examples)
            {
                var same = byLabel[anchor.Label];
                LabeledText positive;
                do positive = same[rng.Next(same.Length)]; while (ReferenceEquals(positive, anchor));   // never the example itself
                var others = examples.Where(e => e.Label != anchor.Label).ToArray();
                pairs.Add(new ContrastivePair(anchor, positive, 1f));
                pairs.Add(new ContrastivePair(anchor, others[rng.Next(others.Length)], 0f));
            }
        FewShotSampling.Shuffle(pairs, rng);
        return pairs;
    }

    /// <summary>The same pairs in batches of similar length (<see cref="LengthGroupedOrder"/>, by each pair's longer text in
    /// characters): both sides of a batch are padded to their longest, so mixing a 3-word phrase with a 50-word review
    /// costs a review's worth of compute.</summary>
    public static IReadOnlyList<ContrastivePair> GroupedByLength(IReadOnlyList<ContrastivePair> pairs, int batchSize, int seed) =>
        LengthGroupedOrder.Of(pairs.Select(p => Math.Max(p.First.Text.Length, p.Second.Text.Length)).ToArray(), batchSize, seed, epoch: 0)
            .Select(i => pairs[i]).ToArray();
}
