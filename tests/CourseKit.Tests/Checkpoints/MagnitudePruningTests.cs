using CourseKit.Checkpoints;
using CourseKit.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace CourseKit.Tests.Checkpoints;

/// <summary>Magnitude pruning zeroes exactly the smallest share of each encoder Linear weight and nothing else.</summary>
[Collection(Models.TorchGlobalRngCollection.Name)]
[KeepTensorsAlive]
public sealed class MagnitudePruningTests(OnnxExportFixture fixture) : IClassFixture<OnnxExportFixture>
{
    [Fact]
    public void Half_of_each_encoder_matrix_is_zeroed_smallest_first_and_the_rest_is_untouched()
    {
        var source = fixture.Folder("sequence-classification");
        var target = Path.Combine(fixture.Root, "pruned-50");
        var r = MagnitudePruning.Prune(source, target, 0.5);
        Assert.Equal(2 * 6, r.Matrices);
        Assert.InRange(r.Sparsity, 0.49, 0.5);
        using var scope = NewDisposeScope();
        var before = SafeTensorsFile.Load(Path.Combine(source, Pretrained.WeightsFile));
        var after = SafeTensorsFile.Load(Path.Combine(target, Pretrained.WeightsFile));
        Assert.Equal(before.Keys.Order(), after.Keys.Order());
        foreach (var (name, w) in before)
        {
            var p = after[name];
            if (!MagnitudePruning.IsPruned(name))
            {
                Assert.True(w.eq(p).all().item<bool>(), $"{name} changed");
                continue;
            }
            var zeroed = p.eq(0) & w.ne(0);
            Assert.Equal(w.numel() / 2, zeroed.sum().item<long>());
            var kept = p.ne(0);
            Assert.True(p.masked_select(kept).eq(w.masked_select(kept)).all().item<bool>(), $"{name}: a kept weight changed");
            Assert.True(w.masked_select(zeroed).abs().max().item<float>() <= w.masked_select(kept).abs().min().item<float>(), $"{name}: a larger weight was pruned");
        }
        using var model = BertForSequenceClassification.FromPretrained(target);
        Assert.True(File.Exists(Path.Combine(target, Pretrained.ConfigFile)));
    }

    [Fact]
    public void A_sparsity_outside_0_to_1_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => MagnitudePruning.Prune(fixture.Folder("encoder"), Path.Combine(fixture.Root, "p"), 1.0));
    }
}
