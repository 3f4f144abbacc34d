using System.Diagnostics;
using CourseKit.Models;
using CourseKit.Tasks.Pretraining;
using CourseKit.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CourseKit.Benchmarks;

/// <summary>
/// One variant of the timed training step: its own BERT (same seed, so every variant starts from the same weights),
/// optimizer and precision, run at a fixed thread count. A step is the Trainer's: masked-LM loss, backward, clipping,
/// AdamW, with bf16 gradients moved to fp32 masters and back under <see cref="Precision.Bf16"/>.
/// </summary>
sealed class TrainingStepVariant
{
    readonly BertForMaskedLM _model;
    readonly PrecisionAwareOptimizer _optimizer;
    readonly MaskedLmBatch _batch;

    public TrainingStepVariant(BertConfig config, Precision precision, int threads, MaskedLmBatch batch)
    {
        Precision = precision;
        Threads = threads;
        _batch = batch;
        torch.manual_seed(0);
        _model = new BertForMaskedLM(config);
        _model.train();
        Parameters = ParameterCounts.Total(_model);
        _optimizer = new PrecisionAwareOptimizer(_model, new TrainerOptions { LearningRate = 1e-4, Precision = precision });
    }

    public Precision Precision { get; }
    public int Threads { get; }
    public long Parameters { get; }
    public string Name => $"{Precision.ToString().ToLowerInvariant()}, {Threads} thread{(Threads == 1 ? "" : "s")}";

    /// <summary>One optimizer step at this variant's thread count; returns its wall seconds.</summary>
    public double Step()
    {
        torch.set_num_threads(Threads);
        using var scope = torch.NewDisposeScope();
        var clock = Stopwatch.StartNew();
        _optimizer.ZeroGrad();
        MaskedLmPretraining.MaskedLoss(_model, _batch).backward();
        _optimizer.Step(maxGradNorm: 1.0);
        return clock.Elapsed.TotalSeconds;
    }

    /// <summary>Random token ids avoiding the first 1,000 vocabulary entries, 15 % of positions as targets.</summary>
    public static MaskedLmBatch RandomBatch(BertConfig config, int batchSize, int sequenceLength)
    {
        var gen = new Generator(0);
        var ids = torch.randint(1000, config.VocabSize, [batchSize, sequenceLength], generator: gen);
        var labels = torch.where(torch.rand([batchSize, sequenceLength], generator: gen) < 0.15, ids, torch.full_like(ids, -100));
        return new MaskedLmBatch(ids, torch.ones_like(ids), labels, ids.numel(), labels.ne(-100).sum().item<long>());
    }
}
