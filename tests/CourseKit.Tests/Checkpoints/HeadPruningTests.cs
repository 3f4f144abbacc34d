using CourseKit.Checkpoints;
using CourseKit.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace CourseKit.Tests.Checkpoints;

/// <summary>Head pruning removes the least important heads whole (Q/K/V rows and biases, output columns), keeps one
/// head per layer, and the pruned model no longer depends on what a removed head held.</summary>
[Collection(Models.TorchGlobalRngCollection.Name)]
[KeepTensorsAlive]
public sealed class HeadPruningTests(OnnxExportFixture fixture) : IClassFixture<OnnxExportFixture>
{
    const int HeadDim = 8;                                                 // the fixture: hidden 32, 4 heads, 2 layers

    static string Attention(int layer, string part) => $"bert.encoder.layer.{layer}.attention.{part}";

    /// <summary>A copy of the classifier whose layer-1 head 2 writes almost nothing (value rows scaled by 1e-3).</summary>
    string WithWeakHead(string name)
    {
        var dir = Path.Combine(fixture.Root, name);
        Directory.CreateDirectory(dir);
        var source = fixture.Folder("sequence-classification");
        foreach (var file in Directory.GetFiles(source)) File.Copy(file, Path.Combine(dir, Path.GetFileName(file)), overwrite: true);
        using var scope = NewDisposeScope();
        var tensors = SafeTensorsFile.Load(Path.Combine(source, Pretrained.WeightsFile));
        using (no_grad()) tensors[Attention(1, "self.value.weight")].narrow(0, 2 * HeadDim, HeadDim).mul_(1e-3);
        SafeTensorsFile.Save(Path.Combine(dir, Pretrained.WeightsFile), tensors, new Dictionary<string, string> { ["format"] = "pt" });
        return dir;
    }

    [Fact]
    public void The_weakest_head_goes_first_and_exactly_its_slices_are_zeroed()
    {
        var source = WithWeakHead("weak-head");
        var target = Path.Combine(fixture.Root, "heads-1");
        var r = HeadPruning.Prune(source, target, 0.125);                  // 1 of 8 heads
        Assert.Equal([(1, 2)], r.PrunedHeads);
        Assert.Equal(8, r.TotalHeads);
        using var scope = NewDisposeScope();
        var before = SafeTensorsFile.Load(Path.Combine(source, Pretrained.WeightsFile));
        var after = SafeTensorsFile.Load(Path.Combine(target, Pretrained.WeightsFile));
        var rows = new[] { "query", "key", "value" }.SelectMany(p => new[] { $"self.{p}.weight", $"self.{p}.bias" }).Select(p => Attention(1, p)).ToHashSet();
        foreach (var (name, w) in before)
        {
            var p = after[name];
            if (rows.Contains(name))
            {
                Assert.True(p.narrow(0, 2 * HeadDim, HeadDim).eq(0).all().item<bool>(), $"{name}: head 2 not zeroed");
                Assert.True(p.narrow(0, 0, 2 * HeadDim).eq(w.narrow(0, 0, 2 * HeadDim)).all().item<bool>(), $"{name}: another head changed");
            }
            else if (name == Attention(1, "output.dense.weight"))
            {
                Assert.True(p.narrow(1, 2 * HeadDim, HeadDim).eq(0).all().item<bool>(), "output columns of head 2 not zeroed");
                Assert.True(p.narrow(1, 3 * HeadDim, HeadDim).eq(w.narrow(1, 3 * HeadDim, HeadDim)).all().item<bool>(), "head 3's columns changed");
            }
            else Assert.True(w.eq(p).all().item<bool>(), $"{name} changed");
        }
        Assert.True(File.Exists(Path.Combine(target, HeadPruning.FileName)));
    }

    [Fact]
    public void The_pruned_model_does_not_depend_on_what_a_removed_head_held()
    {
        var target = Path.Combine(fixture.Root, "heads-half");
        var r = HeadPruning.Prune(fixture.Folder("sequence-classification"), target, 0.5);
        Assert.Equal(4, r.PrunedHeads.Count);
        var (layer, head) = r.PrunedHeads[0];
        var scrambled = Path.Combine(fixture.Root, "heads-half-scrambled");
        PrunedCopyWith(target, scrambled, tensors =>
        {
            // Fill the removed head's query, key and value (weights and biases) with noise; its output columns stay zero.
            foreach (var part in new[] { "query", "key", "value" })
            {
                tensors[Attention(layer, $"self.{part}.weight")].narrow(0, head * HeadDim, HeadDim).normal_();
                tensors[Attention(layer, $"self.{part}.bias")].narrow(0, head * HeadDim, HeadDim).normal_();
            }
        });
        using var a = BertForSequenceClassification.FromPretrained(target);
        using var b = BertForSequenceClassification.FromPretrained(scrambled);
        a.eval();
        b.eval();
        using var scope = NewDisposeScope();
        var ids = tensor(new long[] { 2, 11, 12, 13, 14, 3, 2, 15, 16, 3, 0, 0 }).reshape(2, 6);
        var mask = ids.ne(0).to(ScalarType.Int64);
        var la = a.forward(ids, mask, null, null).Logits;
        var lb = b.forward(ids, mask, null, null).Logits;
        Assert.True(la.allclose(lb, rtol: 0, atol: 1e-6), "a removed head still changes the logits");
    }

    [Fact]
    public void Every_layer_keeps_a_head_and_a_bad_share_is_refused()
    {
        var r = HeadPruning.Prune(fixture.Folder("sequence-classification"), Path.Combine(fixture.Root, "heads-most"), 0.9);
        Assert.Equal(6, r.PrunedHeads.Count);                               // 7 asked, but each of the 2 layers keeps one of its 4
        Assert.All(r.PrunedHeads.GroupBy(p => p.Layer), g => Assert.Equal(3, g.Count()));
        Assert.Throws<ArgumentOutOfRangeException>(() => HeadPruning.Prune(fixture.Folder("encoder"), Path.Combine(fixture.Root, "h"), 1.0));
    }

    static void PrunedCopyWith(string source, string target, Action<Dictionary<string, Tensor>> change)
    {
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(source)) File.Copy(file, Path.Combine(target, Path.GetFileName(file)), overwrite: true);
        using var scope = NewDisposeScope();
        var tensors = SafeTensorsFile.Load(Path.Combine(source, Pretrained.WeightsFile));
        using (no_grad()) change(tensors);
        SafeTensorsFile.Save(Path.Combine(target, Pretrained.WeightsFile), tensors, new Dictionary<string, string> { ["format"] = "pt" });
    }
}
