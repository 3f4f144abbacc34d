using System.Diagnostics;
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

        int batchesPerEpoch = (n + task.BatchSize - 1) / task.BatchSize;
        int stepsPerEpoch = (batchesPerEpoch + o.GradientAccumulation - 1) / o.GradientAccumulation;
        long totalSteps = o.MaxSteps > 0 ? o.MaxSteps : (long)o.Epochs * stepsPerEpoch;
        long warmup = o.WarmupSteps > 0 ? o.WarmupSteps : (long)Math.Round(o.WarmupRatio * totalSteps);

        torch.manual_seed(o.Seed);
        var model = task.Model;
        var optimizer = ParameterGroups.AdamW(model, o);
        var scheduler = optim.lr_scheduler.LambdaLR(optimizer, LearningRateSchedules.Multiplier(o.Schedule, warmup, totalSteps));
        var parameters = model.parameters().Where(p => p.requires_grad).ToList();
        var log = new TrainingLog(o.OutputDir);
        var state = new TrainerState { Seed = o.Seed };
        string? lastCheckpoint = null;

        if (o.Resume && TrainerCheckpoint.FindLatest(o.OutputDir!) is { } latest)
        {
            state = TrainerCheckpoint.Load(latest, model, task.Store, optimizer);
            if (state.Seed != o.Seed) throw new InvalidOperationException($"{latest} was trained with seed {state.Seed}, not {o.Seed}");
            scheduler.step((int)state.GlobalStep);
            log.RestoreUpTo(state.GlobalStep);
            lastCheckpoint = latest;
        }
        else if (o.OutputDir is not null && File.Exists(Path.Combine(o.OutputDir, TrainingLog.FileName)))
        {
            File.Delete(Path.Combine(o.OutputDir, TrainingLog.FileName)); // a fresh run starts a fresh log
        }

        var clock = Stopwatch.StartNew();
        long stepsThisRun = 0, tokensThisRun = 0;
        double lossSinceLog = 0;
        int stepsSinceLog = 0;
        bool stoppedEarly = false;
        IReadOnlyDictionary<string, double>? lastEval = null;
        int[]? order = null;
        int orderEpoch = -1;

        using var progress = Reporter.StartProgress("training", totalSteps);
        model.train();
        while (state.GlobalStep < totalSteps && !stoppedEarly)
        {
            if (state.BatchInEpoch >= batchesPerEpoch) state = state with { Epoch = state.Epoch + 1, BatchInEpoch = 0 };
            if (orderEpoch != state.Epoch)
            {
                order = EpochOrder(n, o.Seed, state.Epoch, task.Shuffle);
                orderEpoch = state.Epoch;
            }

            int micro = Math.Min(o.GradientAccumulation, batchesPerEpoch - state.BatchInEpoch);
            double stepLoss = 0;
            long stepTokens = 0;
            using (var scope = torch.NewDisposeScope())
            {
                optimizer.zero_grad();
                for (int m = 0; m < micro; m++)
                {
                    cancel.ThrowIfCancellationRequested();
                    var batch = Batch(task.TrainSet, order!, state.BatchInEpoch + m, task.BatchSize);
                    var loss = task.Loss(batch);
                    double value = loss.item<float>();
                    if (!double.IsFinite(value)) throw new TrainingDivergedException(state.GlobalStep, value, lastCheckpoint);
                    (loss / micro).backward();
                    stepLoss += value / micro;
                    stepTokens += task.CountTokens?.Invoke(batch) ?? batch.Count;
                }
                if (o.MaxGradNorm > 0) nn.utils.clip_grad_norm_(parameters, o.MaxGradNorm);
                optimizer.step();
            }
            (model as IAfterOptimizerStep)?.AfterOptimizerStep(state.GlobalStep + 1);
            double lr = scheduler.get_last_lr().First();
            scheduler.step();
            state = state with
            {
                GlobalStep = state.GlobalStep + 1,
                BatchInEpoch = state.BatchInEpoch + micro,
                TokensSeen = state.TokensSeen + stepTokens,
            };
            stepsThisRun++;
            tokensThisRun += stepTokens;
            lossSinceLog += stepLoss;
            stepsSinceLog++;

            long step = state.GlobalStep;
            double epoch = state.Epoch + state.BatchInEpoch / (double)batchesPerEpoch;
            bool last = step == totalSteps;
            double tokensPerSecond = tokensThisRun / Math.Max(1e-9, clock.Elapsed.TotalSeconds);
            if (step % Math.Max(1, o.LogEverySteps) == 0 || last)
            {
                log.Add(new LogEntry(LogEntry.Train, step, epoch, new Dictionary<string, double>
                {
                    ["loss"] = lossSinceLog / stepsSinceLog, ["lr"] = lr, ["tokens_per_s"] = tokensPerSecond,
                }));
                lossSinceLog = 0;
                stepsSinceLog = 0;
            }
            var eta = TimeSpan.FromSeconds(clock.Elapsed.TotalSeconds / stepsThisRun * (totalSteps - step));
            progress.Report(step, $"epoch {epoch:F2} loss {stepLoss:F4} lr {lr:E2} {tokensPerSecond:F0} tok/s ETA {eta:hh\\:mm\\:ss}");

            bool epochEnd = state.BatchInEpoch >= batchesPerEpoch;
            bool newBest = false;
            bool evaluate = task.Evaluate is not null && (o.EvalEverySteps > 0 ? step % o.EvalEverySteps == 0 || last : epochEnd || last);
            if (evaluate)
            {
                lastEval = RunEvaluation(task, model);
                log.Add(new LogEntry(LogEntry.Eval, step, epoch, lastEval));
                if (o.MetricForBest is { } metric)
                {
                    if (!lastEval.TryGetValue(metric, out var value))
                        throw new KeyNotFoundException($"evaluation returned no metric '{metric}' (it returned: {string.Join(", ", lastEval.Keys)})");
                    bool better = newBest = state.BestMetric is not { } best || (o.GreaterIsBetter ? value > best : value < best);
                    state = better
                        ? state with { BestMetric = value, BestCheckpoint = o.OutputDir is null ? null : CheckpointName(step), EvalsWithoutImprovement = 0 }
                        : state with { EvalsWithoutImprovement = state.EvalsWithoutImprovement + 1 };
                    stoppedEarly = o.EarlyStoppingPatience > 0 && state.EvalsWithoutImprovement >= o.EarlyStoppingPatience;
                }
            }
            bool save = o.OutputDir is not null &&
                        ((o.SaveEverySteps > 0 ? step % o.SaveEverySteps == 0 : evaluate) || newBest || last || stoppedEarly);
            if (save)
            {
                lastCheckpoint = TrainerCheckpoint.Save(o.OutputDir!, state, model, task.Store, optimizer);
                TrainerCheckpoint.Prune(o.OutputDir!, o.KeepLast, o.KeepBest ? BestPath(o, state) : null);
            }
        }

        if (o.LoadBestAtEnd && BestPath(o, state) is { } bestDir && Directory.Exists(bestDir))
            task.Store.Load(model, bestDir);
        model.eval();
        return new TrainingResult(state.GlobalStep, state.Epoch + state.BatchInEpoch / (double)batchesPerEpoch, lastEval, state.BestMetric,
            BestPath(o, state), lastCheckpoint, stoppedEarly, clock.Elapsed.TotalSeconds,
            tokensThisRun / Math.Max(1e-9, clock.Elapsed.TotalSeconds), log.Entries.ToList());
    }

    static IReadOnlyDictionary<string, double> RunEvaluation<T>(TrainingTask<T> task, nn.Module model)
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

    static string CheckpointName(long step) => $"step-{step:D7}";

    static string? BestPath(TrainerOptions o, TrainerState s) =>
        o.OutputDir is null || s.BestCheckpoint is null ? null : Path.Combine(TrainerCheckpoint.Root(o.OutputDir), s.BestCheckpoint);

    /// <summary>The order of examples in an epoch: a permutation fixed by the seed and the epoch, so a resumed run sees
    /// the same batches (System.Random with a seed is deterministic; HashCode is not, it is salted per process).</summary>
    public static int[] EpochOrder(int count, int seed, int epoch, bool shuffle)
    {
        var order = Enumerable.Range(0, count).ToArray();
        if (shuffle) new Random(unchecked(seed * 1_000_003 + epoch)).Shuffle(order);
        return order;
    }

    static List<T> Batch<T>(IReadOnlyList<T> data, int[] order, int batchIndex, int batchSize)
    {
        int start = batchIndex * batchSize, end = Math.Min(order.Length, start + batchSize);
        var batch = new List<T>(end - start);
        for (int i = start; i < end; i++) batch.Add(data[order[i]]);
        return batch;
    }
}
