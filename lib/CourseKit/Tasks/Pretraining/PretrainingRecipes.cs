using CourseKit.Data;
using CourseKit.Models;
using CourseKit.Tasks.SequenceClassification;

namespace CourseKit.Tasks.Pretraining;

/// <summary>
/// The course's pretraining recipes, tuned for a 2-core CPU. quick: a couple of minutes through the real code path
/// on a subset (what CI runs); full: a real small model in about an hour.
/// </summary>
public static class PretrainingRecipes
{
    /// <summary>bert-base-cased's WordPiece vocabulary size (<see cref="SmallBert.CasedVocabSize"/>).</summary>
    public const int BertCasedVocabSize = SmallBert.CasedVocabSize;

    /// <summary>A small GPT: 4 layers, 256 wide, 4 heads, 128-token context; vocab_size is set from the data.</summary>
    public static GptConfig SmallGpt() => new()
    {
        NLayer = 4, NEmbd = 256, NHead = 4, NPositions = 128, ActivationFunction = "gelu_new",
        ResidPdrop = 0.1, EmbdPdrop = 0.1, AttnPdrop = 0.1,
    };

    /// <summary>The masked-LM recipe of <paramref name="profile"/>; the model is <see cref="SmallBert.Config"/>.</summary>
    public static MaskedLmPretrainingOptions Bert(Profile profile, int seed = 42, string? outputDir = null, bool resume = false) => profile == Profile.Full
        ? new MaskedLmPretrainingOptions
        {
            Model = SmallBert.Config(), Corpus = new PretrainingCorpusOptions { MaxLength = 128, ExcludeSentences = FineTuningData.EvaluationSentences() },
            BatchSize = 32, Steps = 2000, LearningRate = 1e-3, WarmupSteps = 200, EvalEverySteps = 250, EvalSequences = 256,
            SaveEverySteps = 250, LogEverySteps = 10, Seed = seed, OutputDir = outputDir, Resume = resume,
        }
        : new MaskedLmPretrainingOptions
        {
            Model = SmallBert.Config(),
            Corpus = new PretrainingCorpusOptions { MaxLength = 128, MaxSentencesPerSource = 600, ExcludeSentences = FineTuningData.EvaluationSentences() },
            BatchSize = 16, Steps = 60, LearningRate = 2e-3, WarmupSteps = 10, EvalEverySteps = 20, EvalSequences = 48,
            SaveEverySteps = 20, LogEverySteps = 2, Seed = seed, OutputDir = outputDir, Resume = resume,
        };

    /// <summary>The causal-LM recipe of <paramref name="profile"/> on Tiny Shakespeare; the model is <see cref="SmallGpt"/>.</summary>
    public static CausalLmPretrainingOptions Gpt(Profile profile, int seed = 42, string? outputDir = null, bool resume = false) => profile == Profile.Full
        ? new CausalLmPretrainingOptions
        {
            Model = SmallGpt(), BatchSize = 16, Steps = 2000, LearningRate = 1e-3, WarmupSteps = 200,
            EvalEverySteps = 250, EvalWindows = 64, SaveEverySteps = 250, EarlyStoppingPatience = 2, Seed = seed, OutputDir = outputDir, Resume = resume,
        }
        : new CausalLmPretrainingOptions
        {
            Model = SmallGpt(), MaxCharacters = 200_000, BatchSize = 16, Steps = 120, LearningRate = 2e-3, WarmupSteps = 20,
            EvalEverySteps = 40, EvalWindows = 16, SaveEverySteps = 40, LogEverySteps = 5, SampleTokens = 40,
            Seed = seed, OutputDir = outputDir, Resume = resume,
        };
}
