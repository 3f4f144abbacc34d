using CourseKit.Native;
using CourseKit.Peft;
using CourseKit.Training;
using TorchSharp;
using static CourseKit.Tests.Peft.PeftTestData;
using static TorchSharp.torch;

namespace CourseKit.Tests.Peft;

/// <summary>A few dozen Trainer steps on a small synthetic task lower the loss for every method and head (on the
/// fixture's architecture with fresh weights: see <see cref="PeftTestData.FreshBase"/>).</summary>
[Collection(PeftSerialCollection.Name)]
[KeepTensorsAlive]
public class PeftTrainingTests
{
    readonly Xunit.Abstractions.ITestOutputHelper output;

    public PeftTrainingTests(Xunit.Abstractions.ITestOutputHelper output)
    {
        TorchRuntime.Initialize();
        this.output = output;
    }

    const int Steps = 30, T = 8;

    /// <summary>Sequences of ids 10..99 (a quarter 9s) then padding. Sequence label 1: the first token and every other
    /// one are 7 (half the sequences), visible at position 0, which the pooler reads, and in the mean over positions,
    /// which near-uniform attention hands to a virtual token. Token label: 1 for a 7, 2 for a 9, else 0 (-100 on padding).</summary>
    static (Tensor Ids, Tensor Mask, Tensor SeqLabels, Tensor TokenLabels) Data(int n, int seed)
    {
        var rng = new Random(seed);
        var ids = new long[n, T];
        var seqLabels = new long[n];
        var tokenLabels = new long[n, T];
        for (int i = 0; i < n; i++)
        {
            int length = rng.Next(4, T + 1);
            for (int t = 0; t < T; t++)
                ids[i, t] = t >= length ? 0 : rng.Next(4) == 0 ? 9 : rng.Next(10, 100);
            if (i % 2 == 0) for (int t = 0; t < length; t += 2) ids[i, t] = 7;
            seqLabels[i] = i % 2 == 0 ? 1 : 0;
            for (int t = 0; t < T; t++)
                tokenLabels[i, t] = t >= length ? -100 : ids[i, t] switch { 7 => 1, 9 => 2, _ => 0 };
        }
        var idsTensor = tensor(ids);
        return (idsTensor, idsTensor.ne(0).to_type(ScalarType.Int64), tensor(seqLabels), tensor(tokenLabels));
    }

    [Theory]
    [MemberData(nameof(PeftMethodTests.Cases), MemberType = typeof(PeftMethodTests))]
    public void A_short_run_lowers_the_loss(string method, Head head)
    {
        var (before, after) = ShortRun(method, head, Precision.Fp32, out _);
        // Evaluation is deterministic, so any drop is real; 5% makes it a clear one.
        Assert.True(after < 0.95 * before, $"{method}/{head}: loss {before:F4} → {after:F4}");
    }

    /// <summary>Under bf16 every method's own parameters must reach the bf16 kernels or stay fp32 and be cast by their
    /// layer (IA3's vectors are registered on the Linear they scale, which TorchSharp's Linear.to does not convert).</summary>
    [Theory]
    [InlineData("lora")]
    [InlineData("bottleneck")]
    [InlineData("prefix")]
    [InlineData("prompt")]
    [InlineData("bitfit")]
    [InlineData("ia3")]
    public void Under_bf16_a_short_run_lowers_the_loss_and_hands_back_an_fp32_model(string method)
    {
        var (before, after) = ShortRun(method, Head.Sequence, Precision.Bf16, out var peft);
        Assert.True(after < 0.95 * before, $"{method}/bf16: loss {before:F4} → {after:F4}");
        Assert.All(peft.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
    }

    (double Before, double After) ShortRun(string method, Head head, Precision precision, out PeftModel peftModel)
    {
        var peft = PeftModel.Create(FreshBase(head), Config(method, totalSteps: Steps));
        var (ids, mask, seqLabels, tokenLabels) = Data(64, seed: 11);
        var labels = head == Head.Sequence ? seqLabels : tokenLabels;
        double Loss()
        {
            peft.eval();
            using var noGrad = no_grad();
            return peft.forward(ids, mask, null, labels).Loss!.item<float>();
        }
        double before = Loss();
        var task = new TrainingTask<int>
        {
            Model = peft,
            TrainSet = Enumerable.Range(0, 64).ToList(),
            BatchSize = 16,
            Loss = batch =>
            {
                var index = tensor(batch.Select(i => (long)i).ToArray());
                return peft.forward(ids.index_select(0, index), mask.index_select(0, index), null, labels.index_select(0, index)).Loss!;
            },
        };
        Trainer.Run(task, new TrainerOptions { MaxSteps = Steps, LearningRate = 2e-2, Schedule = LrSchedule.Constant, WeightDecay = 0, Seed = 5, Precision = precision });
        double after = Loss();
        output.WriteLine($"{method}/{head}/{precision}: loss {before:F4} → {after:F4}");
        peftModel = peft;
        return (before, after);
    }

    [Fact]
    public void Trainer_checkpoints_hold_only_the_adapter_and_resume_from_it()
    {
        var (ids, mask, seqLabels, _) = Data(32, seed: 4);
        TrainingTask<int> Task(PeftModel peft) => new()
        {
            Model = peft,
            TrainSet = Enumerable.Range(0, 32).ToList(),
            BatchSize = 16,
            Store = new PeftModelStore(),
            Loss = batch =>
            {
                var index = tensor(batch.Select(i => (long)i).ToArray());
                return peft.forward(ids.index_select(0, index), mask.index_select(0, index), null, seqLabels.index_select(0, index)).Loss!;
            },
        };
        var dir = TestPaths.NewTempDir();
        var options = new TrainerOptions { MaxSteps = 6, LearningRate = 1e-2, Schedule = LrSchedule.Constant, SaveEverySteps = 3, OutputDir = dir, Seed = 2 };
        var full = PeftModel.Create(FreshBase(Head.Sequence), Config("lora"));
        var result = Trainer.Run(Task(full), options);
        var files = Directory.GetFiles(result.LastCheckpoint!).Select(Path.GetFileName).ToList();
        Assert.Contains("adapter_model.safetensors", files);
        Assert.Contains("adapter_config.json", files);
        Assert.DoesNotContain("model.weights", files);

        // A run stopped after 3 steps and resumed ends with the same adapter as the uninterrupted run (constant rate:
        // the 3-step run has the same first steps).
        var dir2 = TestPaths.NewTempDir();
        var first = PeftModel.Create(FreshBase(Head.Sequence), Config("lora"));
        Trainer.Run(Task(first), options with { OutputDir = dir2, MaxSteps = 3 });
        var resumed = PeftModel.Create(FreshBase(Head.Sequence), Config("lora"));
        Trainer.Run(Task(resumed), options with { OutputDir = dir2, Resume = true });
        var a = full.AdapterStateDict();
        var b = resumed.AdapterStateDict();
        foreach (var (name, t) in a) Assert.True(MaxAbsDiff(t, b[name]) < 1e-6, $"{name}: {MaxAbsDiff(t, b[name])}");
    }
}
