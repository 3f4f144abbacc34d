using CourseKit.Models;
using CourseKit.Native;
using CourseKit.Peft;
using TorchSharp;
using static CourseKit.Tests.Peft.PeftTestData;
using static TorchSharp.torch;

namespace CourseKit.Tests.Peft;

[Collection(PeftSerialCollection.Name)]
[KeepTensorsAlive]
public class MergeTests
{
    public MergeTests() => TorchRuntime.Initialize();

    static Tensor Logits(PeftModel peft, Head head)
    {
        using var noGrad = no_grad();
        return Run(peft, head, withLabels: false).Logits;
    }

    [Theory]
    [InlineData("lora", Head.Sequence)]
    [InlineData("lora", Head.Token)]
    [InlineData("ia3", Head.Sequence)]
    [InlineData("ia3", Head.Token)]
    public void Merged_equals_unmerged_and_the_adapter_leaves_the_forward(string method, Head head)
    {
        var peft = PeftModel.Create(Base(head), Config(method));
        Perturb(peft, std: 0.2);
        peft.eval();
        var baseWeights = peft.Model.named_parameters().Where(p => !p.parameter.requires_grad).ToDictionary(p => p.name, p => p.parameter.detach().clone());
        var plain = Base(head);   // the same checkpoint without an adapter
        plain.eval();
        var unmerged = Logits(peft, head);
        using (no_grad())
            Assert.True(MaxAbsDiff(unmerged, plain.forward(Batch().Ids, Batch().Mask, null, null).Logits) > 1e-3, "the perturbed adapter should change the outputs");

        peft.Merge();
        Assert.All(peft.Tuner.Layers, l => Assert.False(l.Active));
        var merged = Logits(peft, head);
        Assert.True(MaxAbsDiff(unmerged, merged) < 1e-5, $"merged vs unmerged: {MaxAbsDiff(unmerged, merged)}");

        // The adapter's own tensors no longer take part: poisoning them changes nothing.
        var adapterTensors = peft.Tuner.Layers.SelectMany(l => l.Base.named_parameters().Where(p => p.name is not ("weight" or "bias")).Select(p => p.parameter)).ToList();
        Assert.NotEmpty(adapterTensors);
        var saved = adapterTensors.Select(t => t.detach().clone()).ToList();
        using (no_grad()) foreach (var t in adapterTensors) t.fill_(float.NaN);
        Assert.Equal(0f, MaxAbsDiff(merged, Logits(peft, head)));
        using (no_grad()) for (int i = 0; i < saved.Count; i++) adapterTensors[i].copy_(saved[i]);

        peft.Unmerge();
        Assert.All(peft.Tuner.Layers, l => Assert.True(l.Active));
        Assert.True(MaxAbsDiff(unmerged, Logits(peft, head)) < 1e-5);
        foreach (var (name, p) in peft.Model.named_parameters().Where(p => baseWeights.ContainsKey(p.name)))
            Assert.True(MaxAbsDiff(baseWeights[name], p) < 1e-5, $"{name} not restored by Unmerge");
    }

    [Fact]
    public void Weights_are_not_loaded_into_a_merged_adapter_and_a_zero_ia3_scale_is_not_merged()
    {
        var dir = TestPaths.NewTempDir("coursekit-merged-load");
        var peft = PeftModel.Create(Base(Head.Sequence), Config("lora"));
        Perturb(peft, std: 0.2);
        peft.Save(dir);
        peft.Merge();
        var e = Assert.Throws<InvalidOperationException>(() => peft.LoadAdapterWeights(dir));
        Assert.Contains("Unmerge() first", e.Message);
        peft.Unmerge();
        peft.LoadAdapterWeights(dir);                                      // unmerged: loads

        var ia3 = PeftModel.Create(Base(Head.Sequence), Config("ia3"));
        var layer = (IA3Layer)ia3.Tuner.Layers[0];
        var before = layer.Base.weight!.detach().clone();
        using (no_grad()) layer.ia3_l[0].fill_(0f);
        Assert.Contains("exactly 0", Assert.Throws<InvalidOperationException>(() => ia3.Merge()).Message);
        Assert.Equal(0f, MaxAbsDiff(before, layer.Base.weight!));          // refused before any change
    }

    [Fact]
    public void Lora_delta_is_alpha_over_r_times_B_A()
    {
        var peft = PeftModel.Create(Base(Head.Sequence), new LoraConfig { R = 2, LoraAlpha = 6, TargetModules = TargetModules.Of("bert.encoder.layer.1.attention.self.value") });
        var layer = Assert.IsType<LoraLayer>(Assert.Single(peft.Tuner.Layers));
        Assert.Equal(3.0, layer.Scaling);
        using var noGrad = no_grad();
        layer.lora_A.weight.zero_();
        layer.lora_B.weight.zero_();
        layer.lora_A.weight[0, 5] = tensor(2f);      // A = 2·e0·e5ᵀ
        layer.lora_B.weight[7, 0] = tensor(0.5f);    // B = 0.5·e7·e0ᵀ  →  ΔW[7, 5] = 3 · 0.5 · 2 = 3
        var delta = layer.DeltaWeight();
        Assert.Equal(3f, delta[7, 5].item<float>());
        Assert.Equal(3f, delta.abs().sum().item<float>());
        // Kaiming-uniform A (bound 1/√in for a = √5) and zero B at creation, as PEFT.
        var fresh = PeftModel.Create(Base(Head.Token), Config("lora"));
        foreach (var l in fresh.Tuner.Layers.Cast<LoraLayer>())
        {
            Assert.Equal(0f, l.lora_B.weight.abs().max().item<float>());
            Assert.True(l.lora_A.weight.abs().max().item<float>() <= 1 / Math.Sqrt(H) + 1e-6);
            Assert.True(l.lora_A.weight.std().item<float>() > 0.1 / Math.Sqrt(H));
        }
    }

    [Theory]
    [InlineData("lora", Head.Sequence)]
    [InlineData("ia3", Head.Token)]
    public void Saved_merged_folder_loads_as_a_plain_model_with_the_same_outputs(string method, Head head)
    {
        var peft = PeftModel.Create(Base(head), Config(method));
        Perturb(peft, std: 0.2);
        peft.eval();
        var adapted = Logits(peft, head);
        var dir = Path.Combine(TestPaths.NewTempDir("coursekit-merged"), "merged");
        peft.SaveMerged(dir);
        Assert.All(peft.Tuner.Layers, l => Assert.False(l.Active)); // SaveMerged leaves the model merged

        var tensors = CourseKit.Checkpoints.SafeTensorsFile.Load(Path.Combine(dir, "model.safetensors"));
        Assert.DoesNotContain(tensors.Keys, k => k.Contains("lora_") || k.Contains("ia3_"));
        Assert.Contains("classifier.weight", tensors.Keys);
        foreach (var t in tensors.Values) t.Dispose();

        BertPreTrainedModel<ClassifierOutput> plain = head == Head.Sequence
            ? BertForSequenceClassification.FromPretrained(dir)
            : BertForTokenClassification.FromPretrained(dir);
        plain.eval();
        using var noGrad = no_grad();
        var reloaded = plain.forward(Batch().Ids, Batch().Mask, null, null).Logits;
        Assert.True(MaxAbsDiff(adapted, reloaded) < 1e-5, $"adapted vs merged folder: {MaxAbsDiff(adapted, reloaded)}");
    }

    [Fact]
    public void Methods_without_a_merge_say_so()
    {
        var peft = PeftModel.Create(Base(Head.Sequence), Config("bottleneck"));
        Assert.Throws<NotSupportedException>(() => peft.Merge());
    }

    [Fact]
    public void Only_lora_and_ia3_save_a_merged_folder()
    {
        var peft = PeftModel.Create(Base(Head.Sequence), Config("bottleneck"));
        var e = Assert.Throws<NotSupportedException>(() => peft.SaveMerged(TestPaths.NewTempDir("coursekit-merged")));
        Assert.Contains("only LoRA and IA3", e.Message);
    }
}
