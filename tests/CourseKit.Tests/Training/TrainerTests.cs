using CourseKit.Native;
using CourseKit.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CourseKit.Tests.Training;

[KeepTensorsAlive]
public class TrainerTests
{
    public TrainerTests() => TorchRuntime.Initialize();

    /// <summary>A small classifier with dropout and LayerNorm, so RNG state and no-decay groups matter.</summary>
    sealed class TinyClassifier : nn.Module<Tensor, Tensor>
    {
        readonly Linear fc1, fc2;
        readonly LayerNorm norm;
        readonly Dropout dropout;

        public TinyClassifier(int seed) : base(nameof(TinyClassifier))
        {
            torch.manual_seed(seed);
            fc1 = nn.Linear(4, 16);
            norm = nn.LayerNorm(16);
            dropout = nn.Dropout(0.2);
            fc2 = nn.Linear(16, 2);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => fc2.forward(dropout.forward(nn.functional.gelu(norm.forward(fc1.forward(x)))));
    }

    sealed record Example(float[] X, long Y);

    static List<Example> Data(int n, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ =>
        {
            var x = Enumerable.Range(0, 4).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
            return new Example(x, x[0] + 0.5f * x[1] - x[2] > 0 ? 1 : 0);
        }).ToList();
    }

    static (Tensor X, Tensor Y) Collate(IReadOnlyList<Example> batch) =>
        (torch.tensor(batch.SelectMany(e => e.X).ToArray(), new long[] { batch.Count, 4 }), torch.tensor(batch.Select(e => e.Y).ToArray()));

    static TrainingTask<Example> Task(TinyClassifier model, List<Example> train, List<Example> valid, Func<Tensor, Tensor>? lossHook = null) => new()
    {
        Model = model,
        TrainSet = train,
        BatchSize = 8,
        Loss = batch =>
        {
            var (x, y) = Collate(batch);
            var loss = nn.functional.cross_entropy(model.forward(x), y);
            return lossHook?.Invoke(loss) ?? loss;
        },
        Evaluate = () =>
        {
            var (x, y) = Collate(valid);
            var logits = model.forward(x);
            double accuracy = logits.argmax(1).eq(y).to_type(ScalarType.Float64).mean().item<double>();
            double loss = nn.functional.cross_entropy(logits, y).item<float>();
            return new Dictionary<string, double> { ["accuracy"] = accuracy, ["loss"] = loss };
        },
    };

    static TrainerOptions Options(string? dir, int epochs = 3) => new()
    {
        Epochs = epochs, LearningRate = 3e-2, WarmupSteps = 3, MaxGradNorm = 1.0, LogEverySteps = 1,
        OutputDir = dir, SaveEverySteps = 4, EvalEverySteps = 5, MetricForBest = "accuracy", KeepLast = 2, Seed = 7,
    };

    [Fact]
    public void Learns_a_separable_task()
    {
        var model = new TinyClassifier(1);
        var result = Trainer.Run(Task(model, Data(256, 1), Data(128, 2)), Options(null, epochs: 4));
        Assert.True(result.LastEvaluation!["accuracy"] > 0.9, $"accuracy {result.LastEvaluation["accuracy"]}");
        var losses = result.History.Where(h => h.Kind == LogEntry.Train).Select(h => h.Values["loss"]).ToList();
        Assert.True(losses.TakeLast(10).Average() < losses.Take(10).Average() * 0.6);
    }

    [Fact]
    public void Same_seed_gives_the_same_history()
    {
        var a = Trainer.Run(Task(new TinyClassifier(3), Data(64, 1), Data(32, 2)), Options(null, 2));
        var b = Trainer.Run(Task(new TinyClassifier(3), Data(64, 1), Data(32, 2)), Options(null, 2));
        Assert.Equal(a.History.Select(h => h.Values["loss"]), b.History.Select(h => h.Values["loss"]));
        var c = Trainer.Run(Task(new TinyClassifier(3), Data(64, 1), Data(32, 2)), Options(null, 2) with { Seed = 8 });
        Assert.NotEqual(a.History.Select(h => h.Values["loss"]), c.History.Select(h => h.Values["loss"]));
    }

    [Fact]
    public void Kill_mid_epoch_and_resume_ends_like_an_uninterrupted_run()
    {
        var train = Data(100, 1); // 13 batches of 8: epochs end mid-way through save intervals
        var valid = Data(40, 2);
        var uninterrupted = Trainer.Run(Task(new TinyClassifier(5), train, valid), Options(TestPaths.NewTempDir()));

        var dir = TestPaths.NewTempDir();
        using var kill = new CancellationTokenSource();
        int calls = 0;
        var killed = Task(new TinyClassifier(5), train, valid, loss => { if (++calls == 18) kill.Cancel(); return loss; });
        Assert.Throws<OperationCanceledException>(() => Trainer.Run(killed, Options(dir), kill.Token));
        Assert.EndsWith("step-0000016", TrainerCheckpoint.FindLatest(dir)); // steps 17-18 were lost with the kill

        // A fresh process would start from a freshly initialised model: use a different init to prove the weights come back.
        var resumed = Trainer.Run(Task(new TinyClassifier(99), train, valid), Options(dir) with { Resume = true });

        Assert.Equal(uninterrupted.Steps, resumed.Steps);
        Assert.Equal(uninterrupted.LastEvaluation, resumed.LastEvaluation);
        Assert.Equal(uninterrupted.BestMetric, resumed.BestMetric);
        Assert.Equal(
            uninterrupted.History.Select(h => (h.Kind, h.Step, h.Values.GetValueOrDefault("loss"))),
            resumed.History.Select(h => (h.Kind, h.Step, h.Values.GetValueOrDefault("loss"))));
        Assert.Equal(File.ReadAllLines(Path.Combine(dir, TrainingLog.FileName)).Length, resumed.History.Count);
    }

    [Fact]
    public void Nan_loss_stops_with_the_step_and_last_checkpoint()
    {
        var dir = TestPaths.NewTempDir();
        int calls = 0;
        var task = Task(new TinyClassifier(1), Data(64, 1), Data(16, 2), loss => ++calls == 7 ? loss * float.NaN : loss);
        var ex = Assert.Throws<TrainingDivergedException>(() => Trainer.Run(task, Options(dir)));
        Assert.Equal(6, ex.Step);
        Assert.Contains("step 7", ex.Message);
        Assert.EndsWith("step-0000005", ex.LastGoodCheckpoint); // saved at 4 (every 4) and at 5 (evaluation with a new best)
    }

    [Fact]
    public void Early_stopping_after_patience_evaluations_without_improvement()
    {
        var model = new TinyClassifier(1);
        var task = Task(model, Data(64, 1), Data(16, 2)) is var t
            ? new TrainingTask<Example> { Model = t.Model, TrainSet = t.TrainSet, BatchSize = 8, Loss = t.Loss, Evaluate = () => new Dictionary<string, double> { ["accuracy"] = 0.5 } }
            : null!;
        var result = Trainer.Run(task, Options(TestPaths.NewTempDir(), epochs: 10) with { EvalEverySteps = 2, EarlyStoppingPatience = 3 });
        Assert.True(result.StoppedEarly);
        Assert.Equal(8, result.Steps); // evals at 2 (best), 4, 6, 8 (third without improvement)
        Assert.EndsWith("step-0000002", result.BestCheckpoint);
        Assert.True(Directory.Exists(result.BestCheckpoint), "the best checkpoint is kept by pruning");
    }

    /// <summary>A run whose made-up metric peaks at the second of four evaluations, recording fc2's weight at each.</summary>
    static (TrainingResult Result, float[] Final, List<float[]> AtEvaluations) PeakAtSecondEvaluation(string? dir)
    {
        var model = new TinyClassifier(4);
        var metrics = new Queue<double>([0.5, 0.9, 0.7, 0.6]);
        var seen = new List<float[]>();
        var t = Task(model, Data(64, 1), Data(16, 2));
        var task = new TrainingTask<Example>
        {
            Model = model, TrainSet = t.TrainSet, BatchSize = 8, Loss = t.Loss,
            Evaluate = () =>
            {
                seen.Add(model.state_dict()["fc2.weight"].data<float>().ToArray());
                return new Dictionary<string, double> { ["accuracy"] = metrics.Dequeue() };
            },
        };
        var result = Trainer.Run(task, Options(dir, epochs: 4) with { EvalEverySteps = 8, SaveEverySteps = 0 });
        return (result, model.state_dict()["fc2.weight"].data<float>().ToArray(), seen);
    }

    [Fact]
    public void Without_a_folder_the_best_weights_come_back_from_memory_as_from_a_checkpoint()
    {
        var (inMemory, final, atEvaluations) = PeakAtSecondEvaluation(null);
        Assert.Equal(4, atEvaluations.Count);
        Assert.Equal(0.9, inMemory.BestMetric);
        Assert.Null(inMemory.BestCheckpoint);
        Assert.Equal(atEvaluations[1], final);                            // the second evaluation's weights, not the last ones
        Assert.NotEqual(atEvaluations[3], final);
        var (onDisk, diskFinal, _) = PeakAtSecondEvaluation(TestPaths.NewTempDir());
        Assert.EndsWith("step-0000016", onDisk.BestCheckpoint);
        Assert.Equal(diskFinal, final);
    }

    [Fact]
    public void Checkpoints_are_pruned_to_the_last_ones_and_the_best()
    {
        var dir = TestPaths.NewTempDir();
        var result = Trainer.Run(Task(new TinyClassifier(2), Data(64, 1), Data(16, 2)), Options(dir));
        var kept = Directory.GetDirectories(TrainerCheckpoint.Root(dir)).Select(d => Path.GetFileName(d)!).OrderBy(s => s).ToList();
        var expectedLast = new[] { "step-0000020", "step-0000024" }; // 8 batches × 3 epochs = 24 steps; saves every 4
        Assert.Superset(expectedLast.ToHashSet(), kept.ToHashSet());
        Assert.Contains(Path.GetFileName(result.BestCheckpoint!), kept);
        Assert.True(kept.Count <= 3);
        Assert.DoesNotContain(kept, k => k!.StartsWith(".tmp"));
    }

    [Fact]
    public void Weight_decay_skips_biases_and_layer_norm()
    {
        var (decay, noDecay) = ParameterGroups.Split(new TinyClassifier(1));
        Assert.Equal(new[] { "fc1.weight", "fc2.weight" }, decay.Select(d => d.Name).OrderBy(s => s));
        Assert.Equal(new[] { "fc1.bias", "fc2.bias", "norm.bias", "norm.weight" }, noDecay.Select(d => d.Name).OrderBy(s => s));
    }

    [Fact]
    public void Module_learning_rates_give_a_module_its_own_step()
    {
        // Adam's first step moves every weight with a gradient by about its rate (m̂/√v̂ = ±1), so after one step
        // fc2 (its own rate 1e-1) has moved a thousand times further than fc1 (the base rate 1e-4).
        var model = new TinyClassifier(1);
        var before = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone());
        var options = new TrainerOptions { MaxSteps = 1, LearningRate = 1e-4, WeightDecay = 0, MaxGradNorm = 0, Seed = 1,
            ModuleLearningRates = new Dictionary<string, double> { ["fc2"] = 1e-1 } };
        Trainer.Run(Task(model, Data(8, 1), Data(8, 2)), options);
        double MaxStep(string name) => (model.get_parameter(name)! - before[name]).abs().max().item<float>();
        Assert.Equal(1e-1, MaxStep("fc2.weight"), 3);
        Assert.Equal(1e-4, MaxStep("fc1.weight"), 6);
        Assert.Equal(1e-1, ParameterGroups.RateOf("base_model.fc2.bias", options));
        Assert.Equal(1e-4, ParameterGroups.RateOf("fc20.weight", options));
    }

    [Fact]
    public void Schedules_warm_up_then_decay()
    {
        var linear = LearningRateSchedules.Multiplier(LrSchedule.Linear, warmupSteps: 4, totalSteps: 14);
        Assert.Equal(new[] { 0.25, 0.5, 0.75, 1.0, 1.0, 0.9 }, Enumerable.Range(0, 6).Select(s => Math.Round(linear(s), 10)));
        Assert.Equal(0.0, linear(14), 10);
        var cosine = LearningRateSchedules.Multiplier(LrSchedule.Cosine, 0, 10);
        Assert.Equal(0.5, cosine(5), 10);
        Assert.Equal(1.0, LearningRateSchedules.Multiplier(LrSchedule.Constant, 2, 10)(9), 10);
    }

    [Fact]
    public void Memory_stays_flat_over_many_steps()
    {
        var model = new TinyClassifier(1);
        var task = Task(model, Data(32, 1), Data(8, 2));
        Trainer.Run(task, new TrainerOptions { MaxSteps = 20, LearningRate = 1e-3, Seed = 1 }); // warm-up: optimizer state exists
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        Trainer.Run(task, new TrainerOptions { MaxSteps = 2000, LearningRate = 1e-3, Seed = 1, LogEverySteps = 100 });
        long after = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        Assert.True(after - before < 50, $"live tensors grew from {before} to {after} over 2000 steps");
    }
}
