namespace CourseKit.Training;

/// <summary>The loss became NaN or infinite: training stops, naming the step and the last checkpoint worth resuming from.</summary>
public sealed class TrainingDivergedException : Exception
{
    public long Step { get; }
    public string? LastGoodCheckpoint { get; }

    public TrainingDivergedException(long step, double loss, string? lastGoodCheckpoint)
        : base($"loss is {loss} at optimizer step {step + 1}: training stopped. " +
               (lastGoodCheckpoint is null ? "No checkpoint was written before it." : $"Last good checkpoint: {lastGoodCheckpoint}") +
               " Lower the learning rate, check the inputs of that batch, or enable gradient clipping.")
    {
        Step = step;
        LastGoodCheckpoint = lastGoodCheckpoint;
    }
}
