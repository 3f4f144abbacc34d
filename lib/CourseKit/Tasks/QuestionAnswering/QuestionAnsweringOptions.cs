using CourseKit.Training;
using static TorchSharp.torch;

namespace CourseKit.Tasks.QuestionAnswering;

/// <summary>
/// The recipe of extractive QA on SQuAD-format data: windows of 384 tokens with a 128-token stride, n-best 20, answers
/// of at most 30 tokens (the reference values), AdamW with 10 % warm-up and linear decay. Few-shot sets are small, so
/// a run takes at least <see cref="MinSteps"/> optimizer steps (more epochs over 16 questions), as the few-shot QA
/// literature (Splinter) does. There is no validation split: the held-out articles are the test set, never used to
/// pick a checkpoint.
/// </summary>
public sealed record QuestionAnsweringOptions : IOptimizationOptions
{
    /// <summary>quick: one fold of the 5, 32 training questions (and 16 for the curve), 40 held-out questions, windows
    /// of 192 tokens, batches of 8: the real code path in CI minutes. full: 5 folds, every question, learning curve
    /// 16 / 128 / all.</summary>
    public static QuestionAnsweringOptions For(Profile profile) => profile == CourseKit.Profile.Quick
        ? new() { Profile = profile, FoldsToRun = 1, TrainQuestions = 32, TestQuestions = 40, LearningCurve = [16], MaxLength = 192, Stride = 64, BatchSize = 8, MinSteps = 12, Epochs = 3, LearningRate = 3e-4 }
        : new() { Profile = profile };

    public Profile? Profile { get; init; }
    public string ProfileName => Profile?.Name() ?? "custom";

    public int MaxLength { get; init; } = 384;
    public int Stride { get; init; } = 128;
    public int NBest { get; init; } = 20;
    public int MaxAnswerLength { get; init; } = 30;

    /// <summary>Cross-validation folds over the articles, and how many of them to run (the first ones).</summary>
    public int Folds { get; init; } = 5;
    public int FoldsToRun { get; init; } = 5;
    /// <summary>Which folds to run (0-based), when not the first <see cref="FoldsToRun"/>: lets two processes share
    /// the folds of one experiment (<c>--folds 0,1,2</c> and <c>--folds 3,4</c>).</summary>
    public IReadOnlyList<int>? FoldIndices { get; init; }
    /// <summary>Training questions per fold (null = all of the fold's), a seeded sample.</summary>
    public int? TrainQuestions { get; init; }
    /// <summary>Held-out questions scored per fold (null = all).</summary>
    public int? TestQuestions { get; init; }
    /// <summary>Training-set sizes of the learning curve, on the first fold (the full run's size is added).</summary>
    public IReadOnlyList<int> LearningCurve { get; init; } = [16, 128];

    /// <summary>Rate and epochs chosen on validation for all-MiniLM-L6-v2 (2026-11-30): fold 0's 38 training articles
    /// cross-validated once more by article (771 training, 187 validation questions, bf16). At 3 epochs validation F1 was
    /// 10.8 / 26.0 / 11.9 / 8.5 at 1e-4 / 3e-4 / 6e-4 / 1e-3, all still under-trained; at 1e-4 over a 10-epoch schedule it
    /// was 8.7 / 11.6 / 29.3 / 40.4 / 38.9 / 42.5 / 42.5 / 43.8 / 41.7 / 40.8 after epochs 1-10, best after 8. The test
    /// folds never took part. The quick profile keeps 3e-4 over 3 epochs (a dozen steps).</summary>
    public double LearningRate { get; init; } = 1e-4;
    public int Epochs { get; init; } = 8;
    /// <summary>At least this many optimizer steps (epochs are added for small training sets).</summary>
    public int MinSteps { get; init; } = 100;
    public int BatchSize { get; init; } = 16;
    public int EvalBatchSize { get; init; } = 32;
    /// <summary>Score the held-out questions after every epoch too (a curve in the run's record; nothing is chosen on
    /// it). On a validation split (<c>--data</c> of training articles only) it is how the epoch count is chosen.</summary>
    public bool EvalEachEpoch { get; init; }
    /// <summary>Paragraphs read per question in each fold's retrieve-then-read score (0 = none).</summary>
    public int RetrieveTopK { get; init; } = 3;
    public double WeightDecay { get; init; } = 0.01;
    public double WarmupRatio { get; init; } = 0.1;
    public int EarlyStoppingPatience => 0;
    public int Seed { get; init; } = 42;
    /// <summary>The split's seed, fixed whatever the training seed (as the other chapters).</summary>
    public int SplitSeed { get; init; } = 42;
    public bool Resume { get; init; }
    public Device? Device { get; init; }
    /// <summary>fp32, or bf16 with fp32 master weights (about 1.5× faster on CPUs with AVX-512 BF16 or AMX); the
    /// held-out questions are scored in fp32 either way.</summary>
    public Precision Precision { get; init; } = Precision.Fp32;
    /// <summary>Training batches of windows of similar length (<see cref="LengthGroupedOrder"/>): the windows run from
    /// ~40 to 384 tokens, and a random batch of 16 pads to 1.8× its real tokens. False: the plain shuffled order (the
    /// recipe of the figures measured before 2026-12-03).</summary>
    public bool GroupByLength { get; init; } = true;

    /// <summary>The fold indices this run trains, checked against <see cref="Folds"/>.</summary>
    public IReadOnlyList<int> SelectedFolds()
    {
        var folds = FoldIndices ?? Enumerable.Range(0, Math.Min(FoldsToRun, Folds)).ToArray();
        if (folds.Count == 0) throw new ArgumentException("no fold to run: give at least one fold index");
        foreach (var fold in folds)
            if (fold < 0 || fold >= Folds) throw new ArgumentException($"fold {fold} does not exist: the folds are 0 to {Folds - 1}");
        return folds.Distinct().ToArray();
    }

    /// <summary>Epochs for <paramref name="features"/> training windows: <see cref="Epochs"/>, or more to reach <see cref="MinSteps"/>.</summary>
    public int EpochsFor(int features)
    {
        int stepsPerEpoch = Math.Max(1, (features + BatchSize - 1) / BatchSize);
        return Math.Max(Epochs, (MinSteps + stepsPerEpoch - 1) / stepsPerEpoch);
    }
}
