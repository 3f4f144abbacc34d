namespace CourseKit.Tasks.PromptLearning;

/// <summary>
/// The chapter's sizes, held once per profile. quick (CI, a few minutes): 200 evaluation sentences, 200 tuning
/// sentences, K = 16, 2 seeds, short training; full: the whole evaluation set, 2,000 tuning sentences, K = 8/16/32 ×
/// 5 seeds (Gao et al. 2021's protocol: 5 different samples per K).
/// </summary>
public sealed record PromptLearningOptions
{
    public static PromptLearningOptions For(Profile profile) => profile == Profile.Quick
        ? new() { EvaluationSize = 200, TuningSize = 200, Shots = [16], Seeds = 2, SetFitIterations = 5, HeadEpochs = 10, ClozeEpochs = 10, MlmHeadSteps = 60 }
        : new() { EvaluationSize = 0, TuningSize = 2000, Shots = [8, 16, 32], Seeds = 5, SetFitIterations = 20, HeadEpochs = 30, ClozeEpochs = 30, MlmHeadSteps = 600 };

    /// <summary>Evaluation sentences (0 = the whole evaluation set).</summary>
    public int EvaluationSize { get; init; }
    /// <summary>Unlabelled-or-labelled pool sentences phrasings and ensembles are chosen on (never the evaluation set).</summary>
    public int TuningSize { get; init; } = 2000;
    /// <summary>K: labelled examples per class.</summary>
    public IReadOnlyList<int> Shots { get; init; } = [16];
    /// <summary>Few-shot samples per K (seed, seed+1, …): each a different draw and a different initialisation.</summary>
    public int Seeds { get; init; } = 5;
    public int Seed { get; init; } = 42;
    /// <summary>SetFit's R: each example is paired with one same-class and one other-class partner per iteration.</summary>
    public int SetFitIterations { get; init; } = 20;
    public double SetFitLearningRate { get; init; } = 2e-5;
    /// <summary>Epochs over the K·C examples for standard fine-tuning with a new head, and for prompt-based fine-tuning.</summary>
    public int HeadEpochs { get; init; } = 30;
    public int ClozeEpochs { get; init; } = 30;
    public double HeadLearningRate { get; init; } = 1e-4;
    public double ClozeLearningRate { get; init; } = 1e-5;
    /// <summary>Steps of masked-LM head training for an encoder without one (all-MiniLM-L6-v2), encoder frozen.</summary>
    public int MlmHeadSteps { get; init; } = 600;
    public int MaxLength { get; init; } = 128;
    /// <summary>The sentence encoder (SetFit, zero-shot, standard fine-tuning); null = the imported all-MiniLM-L6-v2.</summary>
    public string? EncoderDir { get; init; }
    /// <summary>The masked LM of the cloze method: a folder with an MLM head (e.g. the kit's BERT,
    /// <see cref="CoursePaths.KitBert"/>); null = all-MiniLM-L6-v2 with an MLM head trained on its frozen encoder.</summary>
    public string? ClozeModelDir { get; init; }
    /// <summary>The cloze template (one [MASK]; {sentence} marks where the sentence goes).</summary>
    public string Template { get; init; } = ClozeTemplate.ItWas.Text;
    /// <summary>Verbalizer words in label order; null = <see cref="Verbalizer.DefaultWords"/>.</summary>
    public IReadOnlyList<string>? VerbalizerWords { get; init; }
    /// <summary>Search the label words on each few-shot draw instead (<see cref="VerbalizerSearch"/>): shortlists of
    /// <see cref="VerbalizerCandidates"/> words per label from the K training examples, chosen on the K validation ones.</summary>
    public bool SearchVerbalizer { get; init; }
    public int VerbalizerCandidates { get; init; } = 10;
    /// <summary>Prompt tuning's learning rate (soft prompt and head train; the PEFT chapter's order of magnitude).</summary>
    public double PromptTuningLearningRate { get; init; } = 1e-2;
    public double PrefixTuningLearningRate { get; init; } = 1e-2;
    public int BatchSize { get; init; } = 16;
    /// <summary>Train every method on batches of sentences of similar length (<see cref="Training.LengthGroupedOrder"/>;
    /// SetFit's pairs by their longer sentence): less padding, other batches than the plain shuffle the recorded figures used.</summary>
    public bool GroupByLength { get; init; }
}
