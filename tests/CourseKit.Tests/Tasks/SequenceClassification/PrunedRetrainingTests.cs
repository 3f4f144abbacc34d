using CourseKit.Checkpoints;
using CourseKit.Models;
using CourseKit.Tasks.SequenceClassification;
using CourseKit.Training;
using TorchSharp;
using FT = CourseKit.Tasks.SequenceClassification.FineTuning;

namespace CourseKit.Tests.Tasks.SequenceClassification;

/// <summary><c>finetune --keep-zeros</c>: a head-pruned tiny BERT retrained under fp32 and bf16 keeps every pruned
/// weight at exactly zero while the rest trains; without the flag the same run un-prunes it.</summary>
[KeepTensorsAlive]
public class PrunedRetrainingTests(TinyBertFixture tiny) : IClassFixture<TinyBertFixture>
{
    [Theory]
    [InlineData(Precision.Fp32)]
    [InlineData(Precision.Bf16)]
    public void Retraining_with_keep_zeros_holds_the_pruned_weights_at_zero(Precision precision)
    {
        var pruned = tiny.NewDir($"pruned-{precision}");
        HeadPruning.Prune(tiny.ModelDir, pruned, 0.5);                                   // 2 of 4 heads
        var start = EncoderWeights(pruned);
        long zeros = start.Values.Sum(t => t.eq(0).sum().item<long>());
        Assert.True(zeros > 0);

        var kept = FT.Run(Options(pruned, precision, tiny.NewDir("kept")) with { KeepZeros = true });
        Assert.Equal(zeros, kept.HeldZeros);
        var after = EncoderWeights(kept.BestModelDir!);
        long moved = 0;
        foreach (var (name, before) in start)
        {
            var isZero = before.eq(0);
            Assert.Equal(0L, after[name].masked_select(isZero).ne(0).sum().item<long>());   // every pruned weight still exactly 0
            moved += after[name].ne(before).sum().item<long>();
        }
        Assert.True(moved > 0, "the unpruned weights train");

        // The control: the same run without the mask moves pruned weights off zero.
        var free = FT.Run(Options(pruned, precision, tiny.NewDir("free")));
        Assert.Null(free.HeldZeros);
        var freed = EncoderWeights(free.BestModelDir!);
        Assert.True(start.Sum(kv => freed[kv.Key].masked_select(kv.Value.eq(0)).ne(0).sum().item<long>()) > 0);
    }

    FineTuneOptions Options(string modelDir, Precision precision, string outDir) => new()
    {
        Task = FineTuneTask.Custom, CustomData = SyntheticSentiment.Data(64, 16, 16), Method = "full", ModelDir = modelDir,
        LearningRate = 1e-2, WarmupRatio = 0, Epochs = 1, BatchSize = 16, MaxLength = 16, Seed = 5, Precision = precision,
        OutputDir = outDir,
    };

    static Dictionary<string, torch.Tensor> EncoderWeights(string dir) =>
        SafeTensorsFile.Load(Path.Combine(dir, Pretrained.WeightsFile)).Where(kv => kv.Key.Contains("encoder.layer.")).ToDictionary();
}
