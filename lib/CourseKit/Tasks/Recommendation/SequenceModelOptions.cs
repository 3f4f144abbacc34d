namespace CourseKit.Tasks.Recommendation;

/// <summary>Shape and training of the sequence Transformers (SASRec, BERT4Rec, the hybrid).</summary>
public sealed record SequenceModelOptions
{
    /// <summary>Items a model sees at once (SASRec uses 200 on MovieLens-1M; 50 keeps a CPU epoch short).</summary>
    public int MaxLength { get; init; } = 50;
    public int Hidden { get; init; } = 64;
    public int Layers { get; init; } = 2;
    public int Heads { get; init; } = 2;
    public double Dropout { get; init; } = 0.2;
    public int Epochs { get; init; } = 40;
    public int BatchSize { get; init; } = 64;
    public double LearningRate { get; init; } = 1e-3;
    /// <summary>Epochs between validation checks; the best validation NDCG@10 checkpoint is kept.</summary>
    public int EvalEvery { get; init; } = 2;
    /// <summary>Validation checks without improvement before stopping.</summary>
    public int Patience { get; init; } = 3;
    /// <summary>BERT4Rec: share of items replaced by [MASK] in training.</summary>
    public double MaskProbability { get; init; } = 0.2;
}

/// <summary>What fitting a sequence model measured.</summary>
public sealed record SequenceFitSummary(int EpochsRun, int BestEpoch, double BestValidationNdcg10, long SequencesTrained,
    double TrainSeconds)
{
    public double SequencesPerSecond => TrainSeconds > 0 ? SequencesTrained / TrainSeconds : 0;
}
