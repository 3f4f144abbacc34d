using CourseKit.Peft;
using CourseKit.Tasks.SequenceClassification;
using FT = CourseKit.Tasks.SequenceClassification.FineTuning;

namespace CourseKit.Tests.Tasks.SequenceClassification;

/// <summary>The PEFT methods go through the same fine-tuning runner and sweep table as full fine-tuning.</summary>
[KeepTensorsAlive]
public class PeftSweepTests(TinyBertFixture tiny) : IClassFixture<TinyBertFixture>
{
    FineTuneOptions Options(string method) => new()
    {
        Task = FineTuneTask.Custom, CustomData = SyntheticSentiment.Data(160, 40, 40), Method = method, ModelDir = tiny.ModelDir,
        LearningRate = 1e-2, WarmupRatio = 0, Epochs = 2, BatchSize = 16, MaxLength = 16, Seed = 5,
    };

    [Fact]
    public void Every_peft_method_runs_through_the_sweep_and_saves_only_adapter_and_head()
    {
        Assert.Superset(PeftMethods.Names.ToHashSet(), FineTuningMethods.Names.ToHashSet());
        var outDir = tiny.NewDir("peft-sweep");
        var methods = new[] { "full" }.Concat(PeftMethods.Names).ToArray();
        var results = FT.Sweep(Options("full"), methods, outDir);

        Assert.Equal(methods, results.Select(r => r.Method));
        var full = results[0];
        foreach (var r in results.Skip(1))
        {
            Assert.True(r.TrainableParameters < full.TrainableParameters, $"{r.Method}: {r.TrainableParameters} trainable");
            Assert.True(File.Exists(Path.Combine(outDir, r.Method, FT.BestModelFolder, "adapter_config.json")), $"{r.Method}: no adapter_config.json");
            Assert.True(r.CheckpointBytes < full.CheckpointBytes, $"{r.Method}: checkpoint {r.CheckpointBytes} B vs full {full.CheckpointBytes} B");
        }
        Assert.Equal(methods.Length + 1, File.ReadAllLines(Path.Combine(outDir, "results.csv")).Length);
    }

    [Fact]
    public void AdaLora_budget_spans_the_whole_run()
    {
        var context = new FineTuneContext(Options("adalora"), null!, TrainExamples: 160);
        Assert.Equal(20, context.TotalSteps); // ceil(160 / 16) × 2 epochs
    }
}
