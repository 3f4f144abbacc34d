using CourseKit.Data;
using CourseKit.Tasks.SequenceClassification;
using CourseKit.Training;
using static TorchSharp.torch;

namespace CourseKit.Tasks.Distillation;

/// <summary>The losses a student can learn from, besides the hard labels (see <see cref="DistillationLosses"/>).</summary>
[Flags]
public enum DistillationLoss
{
    /// <summary>Hard labels only: the control.</summary>
    None = 0,
    Soft = 1,
    Hidden = 2,
    Attention = 4,
    Cosine = 8,
}

public static class DistillationLossNames
{
    static readonly (string Name, DistillationLoss Loss)[] Names =
        [("soft", DistillationLoss.Soft), ("hidden", DistillationLoss.Hidden), ("attention", DistillationLoss.Attention), ("cosine", DistillationLoss.Cosine)];

    /// <summary>"soft,hidden" → Soft | Hidden; "hard" or "none" → None.</summary>
    public static DistillationLoss Parse(string spec)
    {
        var result = DistillationLoss.None;
        foreach (var word in spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (word is "hard" or "none") continue;
            var match = Names.FirstOrDefault(n => string.Equals(n.Name, word, StringComparison.OrdinalIgnoreCase));
            if (match.Name is null) throw new ArgumentException($"unknown distillation loss '{word}'; known: hard, {string.Join(", ", Names.Select(n => n.Name))}");
            result |= match.Loss;
        }
        return result;
    }

    /// <summary>"soft+hidden", or "hard" for none.</summary>
    public static string Name(DistillationLoss losses) =>
        losses == DistillationLoss.None ? "hard" : string.Join('+', Names.Where(n => losses.HasFlag(n.Loss)).Select(n => n.Name));

    /// <summary>Each loss of <paramref name="losses"/> on its own.</summary>
    public static IEnumerable<DistillationLoss> Each(DistillationLoss losses) => Names.Select(n => n.Loss).Where(l => losses.HasFlag(l));
}

/// <summary>
/// One distillation experiment: the teacher (all-MiniLM-L6-v2 fine-tuned on the task, or a given fine-tuned folder),
/// the students, the losses and the data sizes. Defaults follow DistilBERT's recipe where it applies (T = 2 … 4, α = 0.5,
/// every other teacher layer) at the learning rate the kit uses for MiniLM.
/// </summary>
public sealed record DistillationOptions : IOptimizationOptions
{
    /// <summary>quick: 400 labelled + 400 transfer sentences, 100 validation / 100 test, 3 epochs, 64 tokens (the
    /// mechanics in a few CPU minutes); full: 4 000 labelled + 8 000 transfer sentences, the whole validation part (SST-2:
    /// GLUE dev, 872) and test part (SST-2: 872 held out from GLUE train), 3 epochs, 64 tokens (SST-2's longest sentence
    /// has 66 WordPiece tokens; 64 cuts almost none). Full keeps the teacher's fine-tuning and five runs of one student
    /// within about an hour on 2 cores.</summary>
    public static DistillationOptions For(Profile profile, FineTuneTask task = FineTuneTask.Sst2)
    {
        var options = new DistillationOptions { Task = task };
        return profile == Profile.Quick
            ? options with { TrainSize = 400, ValidationSize = 100, TestSize = 100, TransferSize = 400, Epochs = 3, TeacherEpochs = 3, MaxLength = 64, BenchmarkRepeats = 3 }
            : options with { TrainSize = 4000, ValidationSize = 0, TestSize = 0, TransferSize = 8000, Epochs = 3, TeacherEpochs = 3, MaxLength = 64, BenchmarkRepeats = 7 };
    }

    public FineTuneTask Task { get; init; } = FineTuneTask.Sst2;
    /// <summary>A fine-tuned teacher (a BertForSequenceClassification folder for the task's labels); null = fine-tune
    /// all-MiniLM-L6-v2 first (into OutputDir/teacher).</summary>
    public string? TeacherDir { get; init; }
    /// <summary>Student names (<see cref="StudentFactory.Kinds"/>): 2L, 3L, 2L-random, 3L-random, kit.</summary>
    public IReadOnlyList<string> Students { get; init; } = ["2L"];
    /// <summary>What the distilled students learn from; each student is also trained on hard labels alone (the control).</summary>
    public DistillationLoss Losses { get; init; } = DistillationLoss.Soft;
    /// <summary>Also train one student per loss of <see cref="Losses"/> alone (which loss buys what).</summary>
    public bool Ablation { get; init; }
    public double Temperature { get; init; } = 2.0;
    /// <summary>Weight of the soft-target loss against the hard-label loss.</summary>
    public double Alpha { get; init; } = 0.5;
    public double HiddenWeight { get; init; } = 1.0;
    public double AttentionWeight { get; init; } = 1.0;
    public double CosineWeight { get; init; } = 1.0;

    /// <summary>Labelled examples (0 = the part's whole default share; see <see cref="FineTuningData"/>).</summary>
    public int TrainSize { get; init; }
    public int ValidationSize { get; init; }
    public int TestSize { get; init; }
    /// <summary>Unlabelled in-domain sentences the teacher labels (SST-2: GLUE train sentences outside the split;
    /// PhraseBank: 50Agree sentences outside AllAgree's validation and test). Only distilled students see them.</summary>
    public int TransferSize { get; init; }
    public int MaxLength { get; init; } = 64;
    public int TeacherEpochs { get; init; } = 3;

    public double LearningRate { get; init; } = FineTuneOptions.DefaultEncoderLearningRate;
    public int Epochs { get; init; } = 3;
    public int BatchSize { get; init; } = 32;
    public double WeightDecay { get; init; } = 0.01;
    public double WarmupRatio { get; init; } = 0.1;
    public int EarlyStoppingPatience { get; init; } = 2;
    public int Seed { get; init; } = 42;
    public bool Resume => false;
    public Device? Device => null;

    /// <summary>Timed rounds of the inference benchmark (models interleaved; the median is reported).</summary>
    public int BenchmarkRepeats { get; init; } = 5;
    public int BenchmarkSequenceLength { get; init; } = 128;
    public string? OutputDir { get; init; }
    public DataRegistry? Registry { get; init; }

    public void Validate()
    {
        if (Temperature <= 0) throw new ArgumentException($"temperature must be positive, got {Temperature}");
        if (Alpha is < 0 or > 1) throw new ArgumentException($"alpha must be in [0, 1], got {Alpha}");
        if (Students.Count == 0) throw new ArgumentException("no students to train");
        foreach (var s in Students) StudentFactory.Parse(s);
        // Said before the teacher trains: found at the kit student's turn, it cost every finished run (nothing was written).
        if ((Losses & (DistillationLoss.Hidden | DistillationLoss.Attention)) != 0 && Students.Any(s => StudentFactory.Parse(s).Init == StudentInit.KitBert))
            throw new ArgumentException("the kit student has its own vocabulary: the hidden-state and attention losses compare tokens one to one with the teacher's; use soft or cosine for it");
        if (LearningRate <= 0 || Epochs < 1 || BatchSize < 1) throw new ArgumentException("learning rate, epochs and batch size must be positive");
        if (TrainSize < 0 || ValidationSize < 0 || TestSize < 0 || TransferSize < 0) throw new ArgumentException("sizes must be >= 0");
        if (BenchmarkRepeats < 1) throw new ArgumentException($"benchmark repeats must be >= 1, got {BenchmarkRepeats}");
    }
}
