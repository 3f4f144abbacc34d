namespace CourseKit.Tasks.Recommendation;

/// <summary>One recommendation run: which models, their tuning grids (each searched on the validation item) and the
/// sequence models' shape. <see cref="For"/> holds the quick and full values once.</summary>
public sealed record RecommendationOptions
{
    public static readonly IReadOnlyList<string> AllModels = ["popularity", "itemknn", "mf", "sasrec", "bert4rec", "text", "hybrid"];

    /// <summary>The sequence Transformers and the classical baselines they are compared against (the text-only model is
    /// in neither: it ranks by content, not by what users did).</summary>
    public static readonly IReadOnlyList<string> TransformerModels = ["sasrec", "bert4rec", "hybrid"],
                                                 ClassicalModels = ["popularity", "itemknn", "mf"];

    public IReadOnlyList<string> Models { get; init; } = AllModels;
    public int Seed { get; init; } = 42;
    public required string OutputDir { get; init; }
    /// <summary>The sentence encoder folder for text and hybrid (all-MiniLM-L6-v2, imported on first use).</summary>
    public string? EncoderDir { get; init; }
    /// <summary>Item-kNN: most recent history items in the query (0 = all).</summary>
    public IReadOnlyList<int> KnnWindows { get; init; } = [0, 20, 5];
    public int MfDimensions { get; init; } = 64;
    public int MfEpochs { get; init; } = 10;
    public double MfLearningRate { get; init; } = 5e-3;
    public IReadOnlyList<double> MfRegularisation { get; init; } = [1e-4, 1e-2];
    /// <summary>Text: recency decay per step back in the history (1 = plain mean).</summary>
    public IReadOnlyList<double> TextDecays { get; init; } = [1.0, 0.9, 0.7];
    public SequenceModelOptions Sequence { get; init; } = new();
    public int BootstrapResamples { get; init; } = 1000;
    /// <summary>Cold slice: test targets with at most this many training interactions.</summary>
    public int ColdMaxInteractions { get; init; } = 5;

    public static RecommendationOptions For(Profile profile, string outputDir) => profile switch
    {
        Profile.Quick => new RecommendationOptions
        {
            OutputDir = outputDir,
            Sequence = new SequenceModelOptions { MaxLength = 50, Hidden = 64, Epochs = 12, EvalEvery = 3, Patience = 2 },
        },
        _ => new RecommendationOptions
        {
            OutputDir = outputDir,
            KnnWindows = [0, 100, 50, 20, 10, 5, 2],
            MfEpochs = 40,
            MfRegularisation = [1e-5, 1e-4, 1e-3, 1e-2],
            TextDecays = [1.0, 0.98, 0.95, 0.9, 0.8, 0.7, 0.5],
            Sequence = new SequenceModelOptions { MaxLength = 100, Hidden = 64, Epochs = 200, EvalEvery = 5, Patience = 4 },
        },
    };
}
