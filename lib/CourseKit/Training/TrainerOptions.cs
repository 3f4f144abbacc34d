namespace CourseKit.Training;

public enum LrSchedule { Linear, Constant, Cosine }

/// <summary>The recipe of one training run. Defaults follow the usual BERT fine-tuning recipe.</summary>
public sealed record TrainerOptions
{
    public int Epochs { get; init; } = 3;
    /// <summary>Stop after this many optimizer steps (0 = Epochs × steps per epoch).</summary>
    public long MaxSteps { get; init; }
    public double LearningRate { get; init; } = 5e-5;
    /// <summary>Peak learning rates of their own for the parameters under these modules, by module name (a segment of
    /// the parameter name, e.g. "classifier"); every other parameter uses <see cref="LearningRate"/>. The schedule scales
    /// each rate alike. Null or empty: one rate for all.</summary>
    public IReadOnlyDictionary<string, double>? ModuleLearningRates { get; init; }
    /// <summary>Decoupled (AdamW) weight decay; never applied to biases or LayerNorm weights.</summary>
    public double WeightDecay { get; init; } = 0.01;
    public double Beta1 { get; init; } = 0.9;
    public double Beta2 { get; init; } = 0.999;
    public double AdamEpsilon { get; init; } = 1e-8;
    public LrSchedule Schedule { get; init; } = LrSchedule.Linear;
    /// <summary>Linear warm-up steps; when 0, <see cref="WarmupRatio"/> of the total steps.</summary>
    public long WarmupSteps { get; init; }
    public double WarmupRatio { get; init; }
    /// <summary>Clip the global gradient norm to this value (0 = off).</summary>
    public double MaxGradNorm { get; init; } = 1.0;
    /// <summary>Micro-batches whose gradients are summed before one optimizer step.</summary>
    public int GradientAccumulation { get; init; } = 1;
    /// <summary>Evaluate every N optimizer steps (0 = at the end of every epoch).</summary>
    public long EvalEverySteps { get; init; }
    /// <summary>Write a checkpoint every N optimizer steps (0 = after every evaluation).</summary>
    public long SaveEverySteps { get; init; }
    public long LogEverySteps { get; init; } = 10;
    /// <summary>The evaluation metric that picks the best checkpoint and drives early stopping (null = none).</summary>
    public string? MetricForBest { get; init; }
    public bool GreaterIsBetter { get; init; } = true;
    /// <summary>Stop after this many evaluations without improvement of <see cref="MetricForBest"/> (0 = never).</summary>
    public int EarlyStoppingPatience { get; init; }
    /// <summary>How many most recent checkpoints to keep (the best one is kept besides).</summary>
    public int KeepLast { get; init; } = 2;
    public bool KeepBest { get; init; } = true;
    /// <summary>Load the best checkpoint's weights into the model when training ends.</summary>
    public bool LoadBestAtEnd { get; init; } = true;
    public int Seed { get; init; } = 42;
    /// <summary>fp32, or bf16 weights and activations with fp32 master weights (<see cref="Bf16MasterWeights"/>); the
    /// model is back in fp32 when training ends and checkpoints hold the fp32 masters.</summary>
    public Precision Precision { get; init; } = Precision.Fp32;
    /// <summary>Folder for checkpoints and the metrics log (null = keep nothing on disk).</summary>
    public string? OutputDir { get; init; }
    /// <summary>Continue from the newest complete checkpoint in <see cref="OutputDir"/> when there is one.</summary>
    public bool Resume { get; init; }

    public void Validate()
    {
        if (Epochs < 1 && MaxSteps < 1) throw new ArgumentException("Epochs or MaxSteps must be positive");
        if (LearningRate <= 0 || double.IsNaN(LearningRate)) throw new ArgumentException($"LearningRate must be positive, got {LearningRate}");
        foreach (var (module, rate) in ModuleLearningRates ?? new Dictionary<string, double>())
            if (rate <= 0 || !double.IsFinite(rate)) throw new ArgumentException($"ModuleLearningRates['{module}'] must be positive, got {rate}");
        if (GradientAccumulation < 1) throw new ArgumentException($"GradientAccumulation must be >= 1, got {GradientAccumulation}");
        if (WarmupRatio is < 0 or > 1) throw new ArgumentException($"WarmupRatio must be in [0, 1], got {WarmupRatio}");
        if (EarlyStoppingPatience > 0 && MetricForBest is null) throw new ArgumentException("EarlyStoppingPatience needs MetricForBest");
        if (Resume && OutputDir is null) throw new ArgumentException("Resume needs OutputDir");
    }
}
