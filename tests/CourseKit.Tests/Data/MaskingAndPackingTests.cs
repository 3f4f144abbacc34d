using CourseKit.Data;
using CourseKit.Tasks.Pretraining;

namespace CourseKit.Tests.Data;

[KeepTensorsAlive]
public class MaskingAndPackingTests
{
    const int Cls = 101, Sep = 102, Mask = 103, Pad = 0;
    static readonly MaskedLanguageModeling Mlm = new()
    {
        MaskTokenId = Mask, VocabSize = 1000, SpecialIds = new HashSet<int> { Pad, Cls, Sep, Mask },
    };

    static int[] Sequence(int n, int seed)
    {
        var rng = new Random(seed);
        var ids = Enumerable.Range(0, n).Select(_ => rng.Next(200, 1000)).ToArray();
        ids[0] = Cls;
        ids[^1] = Sep;
        return ids;
    }

    [Fact]
    public void Chooses_15_percent_and_splits_80_10_10()
    {
        var ids = Sequence(200_000, 1);
        var m = Mlm.Mask(ids, null, new Random(3));
        var chosen = Enumerable.Range(0, ids.Length).Where(i => m.Labels[i] != MaskedLanguageModeling.IgnoreIndex).ToList();
        double rate = chosen.Count / (double)(ids.Length - 2);
        Assert.InRange(rate, 0.145, 0.155);
        Assert.All(chosen, i => Assert.Equal(ids[i], m.Labels[i]));
        double masked = chosen.Count(i => m.InputIds[i] == Mask) / (double)chosen.Count;
        double kept = chosen.Count(i => m.InputIds[i] == ids[i]) / (double)chosen.Count;
        double random = 1 - masked - kept;
        Assert.InRange(masked, 0.79, 0.81);
        Assert.InRange(kept, 0.09, 0.11 + 0.001); // a random draw can land on the same id (1 in 800)
        Assert.InRange(random, 0.09, 0.11);
        Assert.Equal(MaskedLanguageModeling.IgnoreIndex, m.Labels[0]);
        Assert.Equal(MaskedLanguageModeling.IgnoreIndex, m.Labels[^1]);
        var unchosen = Enumerable.Range(0, ids.Length).Where(i => m.Labels[i] == MaskedLanguageModeling.IgnoreIndex);
        Assert.All(unchosen, i => Assert.Equal(ids[i], m.InputIds[i]));
    }

    [Fact]
    public void Same_seed_same_masks()
    {
        var ids = Sequence(500, 2);
        Assert.Equal(Mlm.Mask(ids, null, new Random(9)).InputIds, Mlm.Mask(ids, null, new Random(9)).InputIds);
        Assert.NotEqual(Mlm.Mask(ids, null, new Random(9)).InputIds, Mlm.Mask(ids, null, new Random(10)).InputIds);
    }

    [Fact]
    public void Whole_word_masking_treats_a_word_as_a_unit()
    {
        var ids = Sequence(30_000, 4);
        var rng = new Random(5);
        var starts = ids.Select((_, i) => i == 0 || rng.NextDouble() < 0.6).ToArray(); // words of 1-4 pieces
        var m = (Mlm with { WholeWordMasking = true }).Mask(ids, starts, new Random(6));
        for (int i = 1; i < ids.Length - 1; i++)
            if (!starts[i] && ids[i - 1] != Cls)
                Assert.Equal(m.Labels[i - 1] != MaskedLanguageModeling.IgnoreIndex, m.Labels[i] != MaskedLanguageModeling.IgnoreIndex);
        double rate = m.Labels.Count(l => l != MaskedLanguageModeling.IgnoreIndex) / (double)ids.Length;
        Assert.InRange(rate, 0.13, 0.17);
    }

    [Fact]
    public void Packing_fills_sequences_keeps_every_token_in_order_and_splits_long_sentences()
    {
        var rng = new Random(1);
        var sentences = Enumerable.Range(0, 50).Select(i =>
        {
            int n = i == 7 ? 40 : rng.Next(1, 12); // one sentence longer than a sequence
            var ids = Enumerable.Range(0, n).Select(_ => rng.Next(200, 1000)).ToArray();
            return (ids, ids.Select(_ => true).ToArray());
        }).ToList();
        var packed = SequencePacking.Pack(sentences, 16, Cls, Sep).ToList();
        Assert.All(packed, p =>
        {
            Assert.InRange(p.Ids.Length, 3, 16);
            Assert.Equal(Cls, p.Ids[0]);
            Assert.Equal(Sep, p.Ids[^1]);
            Assert.Equal(p.Ids.Length, p.WordStarts.Length);
        });
        var original = sentences.SelectMany(s => s.ids).ToList();
        var recovered = packed.SelectMany(p => p.Ids.Where(id => id != Cls && id != Sep)).ToList();
        Assert.Equal(original, recovered);
        Assert.True(packed.Take(packed.Count - 1).Average(p => p.Ids.Length) > 14, "sequences are filled, not padded");
    }

    [Fact]
    public void Bad_arguments_are_refused()
    {
        Assert.Throws<ArgumentException>(() => (Mlm with { WholeWordMasking = true }).Mask(new[] { 5, 6 }, null, new Random(1)));
        Assert.Throws<ArgumentException>(() => Mlm.Mask(new[] { 5, 6 }, new[] { true }, new Random(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => SequencePacking.Pack(new[] { (new[] { 1 }, new[] { true }) }, 3, Cls, Sep).ToList());
    }
}
