using CourseKit.Data;
using CourseKit.Text;
using CourseKit.Training;
using static TorchSharp.torch;

namespace CourseKit.Tasks.TokenClassification;

/// <summary>The recipe and data of one CoNLL-2003 reproduction. Defaults are the article's recipe: AdamW, batch 16, up
/// to 5 epochs, dropout 0.1, weight decay 0.01, 10 % warm-up then linear decay, early stopping on validation entity F1
/// with patience 2, the best validation checkpoint kept.</summary>
public sealed record NerReproductionOptions : IOptimizationOptions
{
    /// <summary>The profile's data, held here once. quick: 500 training and 200 validation sentences (fixed samples),
    /// 5 epochs, evaluated on the FULL test set, so the supports equal the article's and the comparison is row for
    /// row. full: all of it.</summary>
    public static NerReproductionOptions For(Profile profile, string modelDir, string outputDir) => profile == CourseKit.Profile.Quick
        ? new() { ModelDir = modelDir, OutputDir = outputDir, Profile = profile, TrainSize = 500, ValidationSize = 200 }
        : new() { ModelDir = modelDir, OutputDir = outputDir, Profile = profile };

    /// <summary>A Hugging Face BERT folder (config.json, model.safetensors, vocab.txt).</summary>
    public required string ModelDir { get; init; }
    /// <summary>Where report.txt, entity_report.txt, metrics.json, predictions.conll, comparison.md, model/,
    /// metrics.jsonl and the resumable checkpoints go.</summary>
    public required string OutputDir { get; init; }
    /// <summary>The profile the sizes came from, written to metrics.json (null: set by hand, written as "custom").</summary>
    public Profile? Profile { get; init; }
    public string ProfileName => Profile?.Name() ?? "custom";
    public int Seed { get; init; } = 42;
    /// <summary>Null: <see cref="RecipeLearningRate"/> of the model's size.</summary>
    public double? LearningRate { get; init; }
    public int Epochs { get; init; } = 5;
    /// <summary>Sentences used from each split (null = all). A subset is a fixed random sample (by the seed), in file order.</summary>
    public int? TrainSize { get; init; }
    public int? ValidationSize { get; init; }
    public int? TestSize { get; init; }
    public int BatchSize { get; init; } = 16;
    public int MaxLength { get; init; } = 128;
    public int Stride { get; init; } = 32;
    /// <summary>Hidden, attention and classifier dropout (the config's values are replaced).</summary>
    public double Dropout { get; init; } = 0.1;
    public double WeightDecay { get; init; } = 0.01;
    public double WarmupRatio { get; init; } = 0.1;
    public int EarlyStoppingPatience { get; init; } = 2;
    public SubwordLabeling Labeling { get; init; } = SubwordLabeling.FirstSubword;
    /// <summary>How tags are read for validation and for report.txt (argmax per word, the article's setup, or
    /// IOB2-constrained Viterbi); metrics.json and comparison.md give the test scores of both.</summary>
    public TagDecoding Decoding { get; init; } = TagDecoding.Argmax;
    /// <summary>Continue from the newest checkpoint under <see cref="OutputDir"/>/checkpoints.</summary>
    public bool Resume { get; init; }
    /// <summary>Keep the trainer checkpoints after a finished run (they are deleted by default: model/ holds the result).</summary>
    public bool KeepCheckpoints { get; init; }
    public DataRegistry? Registry { get; init; }
    public Device? Device { get; init; }
    /// <summary>fp32, or bf16 matmuls with fp32 master weights (about 1.5× faster on a CPU with AVX-512 BF16; the
    /// validation checkpoints, evaluation and model/ are fp32).</summary>
    public Precision Precision { get; init; } = Precision.Fp32;

    /// <summary>2e-5 for base-size models (hidden ≥ 768), the article's value; 2e-4 for smaller ones, which usually
    /// need a larger step (the usual range for 4-layer BERTs is 1e-4 to 3e-4; not yet measured on the kit's pretrained
    /// small BERT). A randomly initialised model learns faster still with 1e-3 (measured, see chapter 6).</summary>
    public static double RecipeLearningRate(int hiddenSize) => hiddenSize >= 768 ? 2e-5 : 2e-4;
}
