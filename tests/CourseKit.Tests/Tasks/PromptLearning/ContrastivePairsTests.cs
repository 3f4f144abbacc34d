using CourseKit.Tasks.PromptLearning;
using CourseKit.Tasks.SequenceClassification;

namespace CourseKit.Tests.Tasks.PromptLearning;

[KeepTensorsAlive]
public class ContrastivePairsTests
{
    static readonly LabeledText[] Examples = Enumerable.Range(0, 12).Select(i => new LabeledText(i, $"text {i}", i % 3)).ToArray();

    [Fact]
    public void Each_example_anchors_one_positive_and_one_negative_pair_per_iteration()
    {
        const int iterations = 4;
        var pairs = ContrastivePairs.Build(Examples, iterations, seed: 7);
        Assert.Equal(2 * iterations * Examples.Length, pairs.Count);
        foreach (var example in Examples)
        {
            var anchored = pairs.Where(p => ReferenceEquals(p.First, example)).ToArray();
            Assert.Equal(iterations, anchored.Count(p => p.Target == 1f));
            Assert.Equal(iterations, anchored.Count(p => p.Target == 0f));
        }
        Assert.All(pairs.Where(p => p.Target == 1f), p => { Assert.Equal(p.First.Label, p.Second.Label); Assert.NotSame(p.First, p.Second); });
        Assert.All(pairs.Where(p => p.Target == 0f), p => Assert.NotEqual(p.First.Label, p.Second.Label));
    }

    [Fact]
    public void Seeded() =>
        Assert.Equal(ContrastivePairs.Build(Examples, 2, 3).Select(p => (p.First.Id, p.Second.Id)), ContrastivePairs.Build(Examples, 2, 3).Select(p => (p.First.Id, p.Second.Id)));

    [Fact]
    public void A_class_with_one_example_has_no_positive_partner()
    {
        Assert.Throws<ArgumentException>(() => ContrastivePairs.Build([new(0, "a", 0), new(1, "b", 1), new(2, "c", 1)], 1, 0));
        var once = new LabeledText(0, "a", 0);
        Assert.Throws<ArgumentException>(() => ContrastivePairs.Build([once, once, new(1, "b", 1), new(2, "c", 1)], 1, 0));   // listed twice: still one
    }

    [Fact]
    public void Grouped_by_length_keeps_every_pair_and_batches_texts_of_similar_length()
    {
        var random = new Random(9);
        var varied = Enumerable.Range(0, 32).Select(i => new LabeledText(i, new string('w', random.Next(3, 300)), i % 2)).ToArray();
        var pairs = ContrastivePairs.Build(varied, iterations: 20, seed: 4);             // 1,280 pairs: more than one mega-batch
        var grouped = ContrastivePairs.GroupedByLength(pairs, 16, seed: 4);
        Assert.Equal(pairs.OrderBy(p => p.GetHashCode()), grouped.OrderBy(p => p.GetHashCode()));
        static double MeanSpread(IEnumerable<ContrastivePair> order) => order.Chunk(16)
            .Average(b => b.Max(p => Math.Max(p.First.Text.Length, p.Second.Text.Length)) - b.Min(p => Math.Max(p.First.Text.Length, p.Second.Text.Length)));
        Assert.True(MeanSpread(grouped) < MeanSpread(pairs) / 5, $"spread {MeanSpread(grouped):F0} grouped vs {MeanSpread(pairs):F0} shuffled");
        Assert.Equal(grouped, ContrastivePairs.GroupedByLength(pairs, 16, seed: 4));
    }
}
