using static TorchSharp.torch;

namespace CourseKit.Training;

/// <summary>
/// The optimisation settings a fine-tuning task shares with the others, under one set of names. Each task's options
/// record (FineTuneOptions, NerReproductionOptions) implements it, and <see cref="OptimizationOptions.ToTrainerOptions"/>
/// is the one place they are copied into <see cref="TrainerOptions"/>. The learning rate is passed there because each
/// task resolves it its own way (per method, per model size).
/// </summary>
public interface IOptimizationOptions
{
    /// <summary>Maximum epochs.</summary>
    int Epochs { get; }
    int BatchSize { get; }
    /// <summary>Decoupled (AdamW) weight decay.</summary>
    double WeightDecay { get; }
    /// <summary>Share of the total steps spent in linear warm-up.</summary>
    double WarmupRatio { get; }
    /// <summary>Evaluations (epochs) without a better validation metric before stopping (0 = never stop early).</summary>
    int EarlyStoppingPatience { get; }
    int Seed { get; }
    /// <summary>Continue from the newest checkpoint of the run's folder.</summary>
    bool Resume { get; }
    /// <summary>Where the model trains (null = the CPU).</summary>
    Device? Device { get; }
    /// <summary>fp32, or bf16 with fp32 master weights (<see cref="Bf16MasterWeights"/>).</summary>
    Precision Precision => Precision.Fp32;
}

public static class OptimizationOptions
{
    /// <summary>The trainer recipe of a fine-tuning run: AdamW at <paramref name="learningRate"/> with linear warm-up
    /// and decay, gradients clipped at 1, evaluation every epoch, early stopping and the best checkpoint on
    /// <paramref name="metricForBest"/> (greater is better), one recent checkpoint kept besides the best.</summary>
    public static TrainerOptions ToTrainerOptions(this IOptimizationOptions o, double learningRate, string metricForBest, string? outputDir,
        long logEverySteps = 10) => new()
    {
        Epochs = o.Epochs,
        LearningRate = learningRate,
        WeightDecay = o.WeightDecay,
        WarmupRatio = o.WarmupRatio,
        Schedule = LrSchedule.Linear,
        MaxGradNorm = 1.0,
        MetricForBest = metricForBest,
        GreaterIsBetter = true,
        EarlyStoppingPatience = o.EarlyStoppingPatience,
        KeepLast = 1,
        KeepBest = true,
        LoadBestAtEnd = true,
        LogEverySteps = logEverySteps,
        Seed = o.Seed,
        OutputDir = outputDir,
        Resume = o.Resume,
        Precision = o.Precision,
    };
}
