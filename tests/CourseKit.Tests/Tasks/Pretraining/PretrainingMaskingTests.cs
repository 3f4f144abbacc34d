using CourseKit.Data;
using CourseKit.Native;
using CourseKit.Tasks.Pretraining;

namespace CourseKit.Tests.Tasks.Pretraining;

[KeepTensorsAlive]
public class PretrainingMaskingTests
{
    public PretrainingMaskingTests() => TorchRuntime.Initialize();

    static readonly PackedSequence Long = new(
        [101, .. Enumerable.Range(1000, 200), 102], Enumerable.Repeat(true, 202).ToArray());

    static MaskedLanguageModeling Mlm() => MaskedLmPretraining.Masking(PretrainingCorpusTests.Tokenizer(), 28996);

    [Fact]
    public void A_mask_depends_only_on_seed_pass_and_sequence()
    {
        var mlm = Mlm();
        var a = PretrainingMasking.Mask(mlm, Long, seed: 1, pass: 0, index: 5);
        PretrainingMasking.Mask(mlm, Long, seed: 1, pass: 3, index: 9); // drawing others in between changes nothing
        var b = PretrainingMasking.Mask(mlm, Long, seed: 1, pass: 0, index: 5);
        Assert.Equal(a.InputIds, b.InputIds);
        Assert.Equal(a.Labels, b.Labels);
        var otherPass = PretrainingMasking.Mask(mlm, Long, seed: 1, pass: 1, index: 5);
        var otherSeed = PretrainingMasking.Mask(mlm, Long, seed: 2, pass: 0, index: 5);
        Assert.NotEqual(a.Labels, otherPass.Labels);
        Assert.NotEqual(a.Labels, otherSeed.Labels);
        // [CLS] and [SEP] are never chosen.
        Assert.Equal(MaskedLanguageModeling.IgnoreIndex, a.Labels[0]);
        Assert.Equal(MaskedLanguageModeling.IgnoreIndex, a.Labels[^1]);
    }

    [Fact]
    public void About_fifteen_percent_are_chosen_over_many_sequences()
    {
        var mlm = Mlm();
        long chosen = 0, total = 0;
        for (int i = 0; i < 200; i++)
        {
            var m = PretrainingMasking.Mask(mlm, Long, 7, 0, i);
            chosen += m.Labels.Count(l => l != MaskedLanguageModeling.IgnoreIndex);
            total += 200;
        }
        Assert.InRange(chosen / (double)total, 0.14, 0.16); // 40,000 draws: σ ≈ 0.0018
    }

    [Fact]
    public void Passes_enumerate_every_sequence_once_per_pass()
    {
        var passes = new MaskedPasses(sequences: 3, passes: 2);
        Assert.Equal(6, passes.Count);
        Assert.Equal([new(0, 0), new(0, 1), new(0, 2), new(1, 0), new(1, 1), new(1, 2)], passes.ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => passes[6]);
    }

    [Fact]
    public void Collate_pads_inputs_masks_and_labels()
    {
        var batch = PretrainingMasking.Collate([new MaskedExample([101, 5, 102], [-100, 7, -100]), new MaskedExample([101, 102], [-100, -100])], padId: 0);
        Assert.Equal([2L, 3L], batch.InputIds.shape);
        Assert.Equal([101L, 5, 102, 101, 102, 0], batch.InputIds.data<long>().ToArray());
        Assert.Equal([1L, 1, 1, 1, 1, 0], batch.AttentionMask.data<long>().ToArray());
        Assert.Equal([-100L, 7, -100, -100, -100, -100], batch.Labels.data<long>().ToArray());
        Assert.Equal(5, batch.Tokens);
        Assert.Equal(1, batch.MaskedTokens);
    }
}
