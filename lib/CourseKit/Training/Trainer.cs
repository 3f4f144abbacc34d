using CourseKit.Reporting;
using TorchSharp;
using static TorchSharp.torch;

namespace CourseKit.Training;

public sealed record TrainingResult(
    long Steps,
    double Epochs,
    IReadOnlyDictionary<string, double>? LastEvaluation,
    double? BestMetric,
    string? BestCheckpoint,
    string? LastCheckpoint,
    bool StoppedEarly,
    double WallSeconds,
    double TokensPerSecond,
    IReadOnlyList<LogEntry> History);

/// <summary>
/// The one training loop every chapter uses: AdamW with decoupled weight decay, warm-up + decay schedule, gradient
/// clipping and accumulation, periodic evaluation with early stopping, atomic checkpoints that resume exactly, a
/// metrics log, and progress through <see cref="Reporter"/>. Every step runs inside a TorchSharp dispose scope.
/// </summary>
public static class Trainer
{
    public static TrainingResult Run<T>(TrainingTask<T> task, TrainerOptions o, CancellationToken cancel = default)
    {
        o.Validate();
        int n = task.TrainSet.Count;
        if (n == 0) throw new ArgumentException("the training set is empty");
        if (task.BatchSize < 1) throw new ArgumentException($"BatchSize must be >= 1, got {task.BatchSize}");
        if (o.OutputDir is not null) Directory.CreateDirectory(o.OutputDir);

        return new TrainingRun<T>(task, o).Run(cancel);
    }

    internal static IReadOnlyDictionary<string, double> RunEvaluation<T>(TrainingTask<T> task, nn.Module model)
    {
        model.eval();
        try
        {
            using var scope = torch.NewDisposeScope();
            using var noGrad = torch.no_grad();
            return task.Evaluate!();
        }
        finally { model.train(); }
    }

    internal static string CheckpointName(long step) => $"step-{step:D7}";

    internal static string? BestPath(TrainerOptions o, TrainerState s) =>
        o.OutputDir is null || s.BestCheckpoint is null ? null : Path.Combine(TrainerCheckpoint.Root(o.OutputDir), s.BestCheckpoint);

    /// <summary>The order of examples in an epoch: a permutation fixed by the seed and the epoch, so a resumed run sees
    /// the same batches (System.Random with a seed is deterministic; HashCode is not, it is salted per process).</summary>
    public static int[] EpochOrder(int count, int seed, int epoch, bool shuffle)
    {
        var order = Enumerable.Range(0, count).ToArray();
        if (shuffle) new Random(unchecked(seed * 1_000_003 + epoch)).Shuffle(order);
        return order;
    }

    internal static List<T> Batch<T>(IReadOnlyList<T> data, int[] order, int batchIndex, int batchSize)
    {
        int start = batchIndex * batchSize, end = Math.Min(order.Length, start + batchSize);
        var batch = new List<T>(end - start);
        for (int i = start; i < end; i++) batch.Add(data[order[i]]);
        return batch;
    }
}
