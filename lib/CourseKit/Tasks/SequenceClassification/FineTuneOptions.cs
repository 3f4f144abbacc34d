using CourseKit.Data;
using CourseKit.Training;
using static TorchSharp.torch;

namespace CourseKit.Tasks.SequenceClassification;

/// <summary>Which data a fine-tuning run uses.</summary>
public enum FineTuneTask
{
    /// <summary>GLUE SST-2 (binary movie-review sentiment).</summary>
    Sst2,
    /// <summary>Financial PhraseBank (3-class financial news sentiment) at <see cref="FineTuneOptions.Agreement"/>.</summary>
    PhraseBank,
    /// <summary>The examples in <see cref="FineTuneOptions.CustomData"/> (tests, notebook exercises).</summary>
    Custom,
}

/// <summary>Which parts of the encoder stay fixed, on top of what the method does.</summary>
public enum FreezeMode
{
    None,
    /// <summary>bert.embeddings (word, position, type embeddings and their LayerNorm).</summary>
    Embeddings,
    /// <summary>bert.embeddings and every bert.encoder layer: only the pooler and the classifier train.</summary>
    Encoder,
}

/// <summary>
/// One fine-tuning run. Defaults are the usual BERT recipe (Devlin et al. 2019, appendix A.3; Sun et al. 2019): AdamW
/// lr 2e-5 with weight decay 0.01, batch 16, up to 5 epochs, 10 % linear warm-up then linear decay, dropout 0.1 before
/// the classifier, early stopping on validation macro-F1 with patience 2, the best epoch's weights kept.
/// </summary>
public sealed record FineTuneOptions : IOptimizationOptions
{
    /// <summary>The profile's sizes, held here once. quick: 400 train / 100 validation / 100 test examples, 3 epochs,
    /// 64 tokens per sentence; full: every example of each part, up to 5 epochs, 128 tokens. The learning rate is
    /// <see cref="DefaultEncoderLearningRate"/> (chosen for all-MiniLM-L6-v2 on validation data).</summary>
    public static FineTuneOptions For(Profile profile, FineTuneTask task = FineTuneTask.PhraseBank, string? modelDir = null)
    {
        var options = new FineTuneOptions { Task = task, ModelDir = modelDir ?? CoursePaths.DefaultEncoder, LearningRate = DefaultEncoderLearningRate };
        // One epoch of 400 sentences (26 steps) leaves MiniLM at the majority class (validation macro-F1 0.254 at lr 5e-5
        // and 1e-4); three epochs at 1e-4 reach 0.555 (measured on the validation part, seed 42).
        return profile == Profile.Quick
            ? options with { TrainSize = 400, ValidationSize = 100, TestSize = 100, Epochs = 3, MaxLength = 64 }
            : options with { TrainSize = 0, ValidationSize = 0, TestSize = 0, Epochs = 5, MaxLength = 128 };
    }

    public FineTuneTask Task { get; init; } = FineTuneTask.PhraseBank;
    public PhraseBankAgreement Agreement { get; init; } = PhraseBankAgreement.All;
    /// <summary>Financial PhraseBank: train towards soft targets from annotator agreement (<see cref="SequenceClassification.AgreementTargets"/>).</summary>
    public bool AgreementTargets { get; init; }
    /// <summary>Required when <see cref="Task"/> is <see cref="FineTuneTask.Custom"/>.</summary>
    public ClassificationData? CustomData { get; init; }
    /// <summary>A name from <see cref="FineTuningMethods"/> ("full", "head", ...).</summary>
    public string Method { get; init; } = "full";
    /// <summary>A Hugging Face BERT folder (config.json, model.safetensors, vocab.txt); by default all-MiniLM-L6-v2
    /// (<see cref="CoursePaths.DefaultEncoder"/>, imported on first use). The kit's own CPU-pretrained BERT is
    /// <see cref="CoursePaths.KitBert"/>.</summary>
    public string ModelDir { get; init; } = CoursePaths.DefaultEncoder;

    public double LearningRate { get; init; } = 2e-5;
    /// <summary>Full fine-tuning's peak learning rate for the 22 M all-MiniLM-L6-v2 (the profiles' default; the
    /// BERT-base recipe's 2e-5 barely moves it in a short run). Chosen on validation macro-F1, not on test.</summary>
    public const double DefaultEncoderLearningRate = 1e-4;
    /// <summary>Per-method peak learning rates that override <see cref="LearningRate"/> (PEFT methods train few
    /// parameters and usually want a larger step than full fine-tuning).</summary>
    public IReadOnlyDictionary<string, double>? MethodLearningRates { get; init; }
    /// <summary>Reads "1e-4" (every method) or "1e-4,lora=1e-3,prompt=3e-2" (a base and per-method overrides).</summary>
    public FineTuneOptions WithLearningRates(string spec)
    {
        double? baseRate = null;
        var perMethod = new Dictionary<string, double>(MethodLearningRates ?? new Dictionary<string, double>(), StringComparer.OrdinalIgnoreCase);
        foreach (var item in spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = item.Split('=', 2, StringSplitOptions.TrimEntries);
            if (!double.TryParse(parts[^1], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var value))
                throw new ArgumentException($"learning rate '{item}' in '{spec}' is not a number (expected 1e-4 or method=1e-3)");
            if (parts.Length == 1) baseRate = value;
            else perMethod[parts[0]] = value;
        }
        var result = this with { LearningRate = baseRate ?? LearningRate, MethodLearningRates = perMethod };
        result.Validate();
        return result;
    }

    /// <summary>The learning rate <see cref="Method"/> runs with.</summary>
    public double EffectiveLearningRate => MethodLearningRates?.GetValueOrDefault(Method) is > 0 and var lr ? lr : LearningRate;
    /// <summary>A peak rate of its own for the new head (the classifier and the pooler) when a PEFT method trains it
    /// beside a few adapted parameters: prefix tuning needs a small step for its reparameterisation MLP, whose every
    /// weight Adam moves by about the rate at once, while a freshly initialised classifier needs a large one. Null: the
    /// head trains at <see cref="EffectiveLearningRate"/>. Ignored by full fine-tuning and head-only training.</summary>
    public double? HeadLearningRate { get; init; }

    /// <summary>The per-module rates <see cref="HeadLearningRate"/> asks of the trainer (none for full or head-only).</summary>
    public IReadOnlyDictionary<string, double>? ModuleLearningRates =>
        HeadLearningRate is double rate && Method is not ("full" or "head")
            ? new Dictionary<string, double> { ["classifier"] = rate, ["pooler"] = rate }
            : null;
    public int BatchSize { get; init; } = 16;
    public int Epochs { get; init; } = 5;
    public double WeightDecay { get; init; } = 0.01;
    public double WarmupRatio { get; init; } = 0.1;
    /// <summary>Dropout before the classifier (config.classifier_dropout).</summary>
    public double ClassifierDropout { get; init; } = 0.1;
    /// <summary>Evaluations (epochs) without a better validation macro-F1 before stopping (0 = never stop early).</summary>
    public int EarlyStoppingPatience { get; init; } = 2;
    public string MetricForBest { get; init; } = "macro_f1";
    public int MaxLength { get; init; } = 128;
    public FreezeMode Freeze { get; init; } = FreezeMode.None;
    /// <summary>Also freeze the lowest N encoder layers (0 = none).</summary>
    public int FreezeLowerLayers { get; init; }

    /// <summary>Examples per part (0 = the part's default: the whole data's share); see <see cref="For"/>.</summary>
    public int TrainSize { get; init; }
    public int ValidationSize { get; init; }
    public int TestSize { get; init; }
    /// <summary>Reuse this recorded split (see <see cref="DataSplit"/>) instead of making one.</summary>
    public string? SplitFile { get; init; }
    /// <summary>Seed of the split (null = <see cref="FineTuningData.DefaultSplitSeed"/>: the same split whatever the training seed).</summary>
    public int? SplitSeed { get; init; }
    /// <summary>Cross-validation instead of the 80/10/10 split (PhraseBank, whole data only): every class cut into
    /// <see cref="FineTuningData.CrossValidationFolds"/> seeded tenths; this one is the test part, the next one (mod 10)
    /// validation, the other eight train. Runs over folds 0, 1, … test on disjoint sentences (null = the usual split).</summary>
    public int? TestFold { get; init; }

    public int Seed { get; init; } = 42;
    /// <summary>Continue from the newest trainer checkpoint under <see cref="OutputDir"/>/trainer (an interrupted run
    /// leaves them there; a finished one deletes them unless <see cref="KeepCheckpoints"/>).</summary>
    public bool Resume { get; init; }
    /// <summary>Writes result.json, the report, confusion matrix, split and best-model/ here (null = nothing on disk).</summary>
    public string? OutputDir { get; init; }
    /// <summary>Keep the trainer's checkpoints (with optimizer state) after the best model is written.</summary>
    public bool KeepCheckpoints { get; init; }
    public Device? Device { get; init; }
    /// <summary>fp32, or bf16 with fp32 master weights (<see cref="Bf16MasterWeights"/>; evaluation runs on the masters).</summary>
    public Precision Precision { get; init; } = Precision.Fp32;
    /// <summary>Training batches of sentences of similar length (<see cref="Training.LengthGroupedOrder"/>) instead of a
    /// plain shuffle: less padding, other batches (so other figures than the plain order's).</summary>
    public bool GroupByLength { get; init; }
    /// <summary>Retraining a pruned model: the encoder weights that are zero in <see cref="ModelDir"/> stay zero
    /// (<see cref="ZeroMask"/>), so the retrained model keeps the sparsity it was pruned to.</summary>
    public bool KeepZeros { get; init; }
    public DataRegistry? Registry { get; init; }

    public void Validate()
    {
        if (LearningRate <= 0 || !double.IsFinite(LearningRate)) throw new ArgumentException($"learning rate must be positive, got {LearningRate}");
        if (HeadLearningRate is double head && (head <= 0 || !double.IsFinite(head))) throw new ArgumentException($"head learning rate must be positive, got {head}");
        foreach (var (method, lr) in MethodLearningRates ?? new Dictionary<string, double>())
            if (lr <= 0 || !double.IsFinite(lr)) throw new ArgumentException($"learning rate of {method} must be positive, got {lr}");
        if (BatchSize < 1) throw new ArgumentException($"batch size must be >= 1, got {BatchSize}");
        if (Epochs < 1) throw new ArgumentException($"epochs must be >= 1, got {Epochs}");
        if (MaxLength < 4) throw new ArgumentException($"max length must be >= 4, got {MaxLength}");
        if (ClassifierDropout is < 0 or >= 1) throw new ArgumentException($"classifier dropout must be in [0, 1), got {ClassifierDropout}");
        if (TrainSize < 0 || ValidationSize < 0 || TestSize < 0) throw new ArgumentException("split sizes must be >= 0");
        if (FreezeLowerLayers < 0) throw new ArgumentException($"FreezeLowerLayers must be >= 0, got {FreezeLowerLayers}");
        if (Task == FineTuneTask.Custom && CustomData is null) throw new ArgumentException("Task Custom needs CustomData");
        if (TestFold is not null && Task != FineTuneTask.PhraseBank) throw new ArgumentException($"a test fold is for PhraseBank (it has no official split), not {Task}");
        if (Resume && OutputDir is null) throw new ArgumentException("Resume needs an OutputDir (the interrupted run's folder)");
    }
}
