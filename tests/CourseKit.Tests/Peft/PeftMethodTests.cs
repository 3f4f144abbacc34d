using System.Text.Json.Nodes;
using CourseKit.Checkpoints;
using CourseKit.Models;
using CourseKit.Native;
using CourseKit.Peft;
using CourseKit.Tests.Models;
using CourseKit.Training;
using TorchSharp;
using static CourseKit.Tests.Peft.PeftTestData;
using static TorchSharp.torch;

namespace CourseKit.Tests.Peft;

/// <summary>What every method must do on both heads: train exactly its parameters, count them in closed form, and
/// save/load only them.</summary>
[Collection(PeftSerialCollection.Name)]
[KeepTensorsAlive]
public class PeftMethodTests
{
    public PeftMethodTests() => TorchRuntime.Initialize();

    public static IEnumerable<object[]> Cases() => MethodsAndHeads();

    /// <summary>Softmax ignores a constant added to every score of a row, and the key bias adds q·b_k to all of them:
    /// its gradient is zero in exact arithmetic (so BitFit trains it, but it never moves).</summary>
    static bool ShiftInvariant(string name) => name.EndsWith("attention.self.key.bias", StringComparison.Ordinal);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Only_the_intended_parameters_get_gradients_and_frozen_weights_do_not_move(string method, Head head)
    {
        var peft = PeftModel.Create(Base(head), Config(method));
        Perturb(peft);
        peft.train();
        var trainable = peft.named_parameters().Where(p => p.parameter.requires_grad).Select(p => p.name).ToHashSet();
        Assert.Equal(MethodParameters(method, head) + HeadParameters(head),
            peft.named_parameters().Where(p => trainable.Contains(p.name)).Sum(p => p.parameter.numel()));
        Assert.Contains(trainable, n => n.EndsWith("classifier.weight", StringComparison.Ordinal));

        Run(peft, head).Loss!.backward();
        // A key bias adds the same amount to every score of a query, which softmax ignores: its gradient is zero up to
        // float rounding, judged against the model's largest gradient (rounding scales with it, and with the CPU's kernels).
        var largestAnywhere = peft.named_parameters().Where(p => p.parameter.grad is not null).Max(p => p.parameter.grad!.abs().max().item<float>());
        foreach (var (name, p) in peft.named_parameters())
        {
            if (!trainable.Contains(name))
            {
                Assert.True(p.grad is null, $"{method}: frozen {name} has a gradient");
                continue;
            }
            Assert.True(p.grad is not null, $"{method}: trainable {name} has no gradient");
            var largest = p.grad!.abs().max().item<float>();
            if (ShiftInvariant(name)) Assert.True(largest < 1e-5 * largestAnywhere, $"{name}: {largest} (largest gradient {largestAnywhere})");
            else Assert.True(largest > 0, $"{method}: trainable {name} has an all-zero gradient");
        }

        var before = peft.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone());
        var optimizer = ParameterGroups.AdamW(peft, new TrainerOptions { LearningRate = 1e-2 });
        optimizer.step();
        foreach (var (name, p) in peft.named_parameters())
        {
            bool same = p.SameAs(before[name]).item<bool>();
            if (!trainable.Contains(name)) Assert.True(same, $"{method}: frozen {name} changed");
            else if (!ShiftInvariant(name)) Assert.False(same, $"{method}: trainable {name} did not change");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Trainable_and_total_counts_are_the_closed_form_ones(string method, Head head)
    {
        long baseTotal = ParameterCounts.Total(Base(head));
        var peft = PeftModel.Create(Base(head), Config(method));
        var counts = peft.TrainableParameters();
        long expectedTrainable = MethodParameters(method, head) + HeadParameters(head);
        // BitFit trains existing biases and the adapters train existing LayerNorms: those add nothing to the total.
        long added = method switch
        {
            "bitfit" => 0,
            "bottleneck" => MethodParameters(method, head) - L * 2 * 2 * H,
            _ => MethodParameters(method, head),
        };
        Assert.Equal(expectedTrainable, counts.Trainable);
        Assert.Equal(baseTotal + added, counts.All);
        Assert.Equal(expectedTrainable, counts.ByModule.Columns["trainable"].Cast<long?>().Sum(v => v ?? 0));
        Assert.Equal(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"trainable params: {expectedTrainable:N0} || all params: {baseTotal + added:N0} || trainable%: {100.0 * expectedTrainable / (baseTotal + added):F4}"),
            counts.ToString());
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Saved_adapters_hold_only_adapter_and_head_and_reload_onto_a_fresh_base_exactly(string method, Head head)
    {
        var peft = PeftModel.Create(Base(head, seed: 1), Config(method));
        Perturb(peft, seed: 9);
        peft.eval();
        Tensor expected;
        using (no_grad()) expected = Run(peft, head, withLabels: false).Logits;

        var dir = TestPaths.NewTempDir();
        peft.Save(dir);
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "adapter_config.json")))!;
        Assert.Equal(Config(method).PeftType, config["peft_type"]!.GetValue<string>());
        Assert.Equal(head == Head.Sequence ? "SEQ_CLS" : "TOKEN_CLS", config["task_type"]!.GetValue<string>());
        using (var file = SafeTensorsFile.Open(Path.Combine(dir, "adapter_model.safetensors")))
        {
            Assert.Equal("pt", file.Metadata["format"]);
            var names = file.Names.ToList();
            Assert.Contains("base_model.model.classifier.weight", names);
            Assert.Contains("base_model.model.classifier.bias", names);
            Assert.All(names, n => Assert.True(n == "prompt_embeddings" || n.StartsWith("base_model.model.", StringComparison.Ordinal), n));
            // No frozen base weight is saved: the file holds exactly the trainable parameters (the prefix MLP folded).
            long savedElements = file.Entries.Sum(e => e.Shape.Aggregate(1L, (a, b) => a * b));
            long expectedElements = (method == "prefix" ? 5 * L * 2 * H : MethodParameters(method, head)) + HeadParameters(head);
            Assert.Equal(expectedElements, savedElements);
        }

        var fresh = Base(head, seed: 2);   // another random head: the loaded one must replace it
        var loaded = PeftModel.Load(fresh, dir);
        Assert.Equal(0, loaded.TrainableParameters().Trainable);
        loaded.eval();
        using (no_grad())
        {
            var actual = Run(loaded, head, withLabels: false).Logits;
            Assert.Equal(expected.shape, actual.shape);
            Assert.Equal(0f, MaxAbsDiff(expected, actual));
        }
    }

    [Fact]
    public void Loading_onto_a_head_with_other_labels_names_the_file_and_tensor()
    {
        var peft = PeftModel.Create(Base(Head.Sequence), Config("lora"));
        var dir = TestPaths.NewTempDir();
        peft.Save(dir);
        var other = Pretrained.Load(Fixture, BertConfig.Load, c => new BertForSequenceClassification(c), c => c.WithLabels(["a", "b", "c"])).Model;
        var ex = Assert.Throws<InvalidDataException>(() => PeftModel.Load(other, dir));
        Assert.Contains("adapter_model.safetensors", ex.Message);
        Assert.Contains("base_model.model.classifier.weight", ex.Message);
    }

    [Fact]
    public void A_model_takes_one_adapter()
    {
        var model = Base(Head.Sequence);
        PeftModel.Create(model, Config("lora"));
        Assert.Throws<InvalidOperationException>(() => PeftModel.Create(model, Config("ia3")));
    }
}
