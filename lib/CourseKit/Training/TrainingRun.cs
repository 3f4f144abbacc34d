using System.Diagnostics;
using CourseKit.Reporting;
using TorchSharp;
using static TorchSharp.torch;

namespace CourseKit.Training;

/// <summary>One call of <see cref="Trainer.Run"/>: what lives from the first step to the last (optimizer, schedule,
/// the resumable <see cref="TrainerState"/> and this run's counters). The order of torch calls is the loop's contract:
/// seed, then the optimizer, then batches in <see cref="Trainer.EpochOrder"/>, so a fixed seed gives fixed figures.</summary>
sealed class TrainingRun<T>
{
    readonly TrainingTask<T> _task;
    readonly TrainerOptions _o;
    readonly nn.Module _model;
    readonly int _batchesPerEpoch;
    readonly long _totalSteps;
    readonly PrecisionAwareOptimizer _optimizer;
    readonly optim.lr_scheduler.LRScheduler _scheduler;
    readonly TrainingLog _log;
    readonly Stopwatch _clock = new();
    TrainerState _state;
    string? _lastCheckpoint;
    long _stepsThisRun, _tokensThisRun;
    double _lossSinceLog;
    int _stepsSinceLog;
    bool _stoppedEarly;
    IReadOnlyDictionary<string, double>? _lastEval;
    Dictionary<string, Tensor>? _bestInMemory;      // the best evaluation's weights when there is no folder to save them in

    public TrainingRun(TrainingTask<T> task, TrainerOptions o)
    {
        _task = task;
        _o = o;
        _model = task.Model;
        _batchesPerEpoch = (task.TrainSet.Count + task.BatchSize - 1) / task.BatchSize;
        int stepsPerEpoch = (_batchesPerEpoch + o.GradientAccumulation - 1) / o.GradientAccumulation;
        _totalSteps = o.MaxSteps > 0 ? o.MaxSteps : (long)o.Epochs * stepsPerEpoch;
        long warmup = o.WarmupSteps > 0 ? o.WarmupSteps : (long)Math.Round(o.WarmupRatio * _totalSteps);

        torch.manual_seed(o.Seed);
        _optimizer = new PrecisionAwareOptimizer(_model, o, task.HoldZeros);
        _scheduler = optim.lr_scheduler.LambdaLR(_optimizer.Optimizer, LearningRateSchedules.Multiplier(o.Schedule, warmup, _totalSteps));
        _log = new TrainingLog(o.OutputDir);
        _state = new TrainerState { Seed = o.Seed };
    }

    double Epoch => _state.Epoch + _state.BatchInEpoch / (double)_batchesPerEpoch;

    double TokensPerSecond => _tokensThisRun / Math.Max(1e-9, _clock.Elapsed.TotalSeconds);

    public TrainingResult Run(CancellationToken cancel)
    {
        // However the loop ends (finished, stopped early, cancelled, diverged), the caller's model is fp32 again.
        try { TrainSteps(cancel); }
        catch { DisposeBestInMemory(); throw; }
        finally { _optimizer.Finish(); }
        var bestPath = Trainer.BestPath(_o, _state);
        if (_o.LoadBestAtEnd && bestPath is { } bestDir && Directory.Exists(bestDir))
            _task.Store.Load(_model, bestDir);
        RestoreBestInMemory();
        _model.eval();
        return new TrainingResult(_state.GlobalStep, Epoch, _lastEval, _state.BestMetric, bestPath, _lastCheckpoint, _stoppedEarly,
            _clock.Elapsed.TotalSeconds, TokensPerSecond, _log.Entries.ToList());
    }

    void TrainSteps(CancellationToken cancel)
    {
        ResumeOrStartFresh();
        _clock.Start();
        int[]? order = null;
        int orderEpoch = -1;
        using var progress = Reporter.StartProgress("training", _totalSteps);
        _model.train();
        while (_state.GlobalStep < _totalSteps && !_stoppedEarly)
        {
            if (_state.BatchInEpoch >= _batchesPerEpoch) _state = _state with { Epoch = _state.Epoch + 1, BatchInEpoch = 0 };
            if (orderEpoch != _state.Epoch)
            {
                order = _task.LengthOf is { } lengthOf && _task.Shuffle
                    ? LengthGroupedOrder.Of(_task.TrainSet.Select(lengthOf).ToArray(), _task.BatchSize, _o.Seed, _state.Epoch)
                    : Trainer.EpochOrder(_task.TrainSet.Count, _o.Seed, _state.Epoch, _task.Shuffle);
                orderEpoch = _state.Epoch;
            }
            var (stepLoss, lr) = OptimizerStep(order!, cancel);
            ReportStep(progress, stepLoss, lr);
            bool evaluate = _task.Evaluate is not null &&
                            (_o.EvalEverySteps > 0 ? _state.GlobalStep % _o.EvalEverySteps == 0 || IsLastStep : _state.BatchInEpoch >= _batchesPerEpoch || IsLastStep);
            bool newBest = evaluate && EvaluateAndTrackBest();
            SaveIfDue(evaluate, newBest);
        }
    }

    bool IsLastStep => _state.GlobalStep == _totalSteps;

    /// <summary>Continues from the latest checkpoint when asked to; otherwise a fresh run starts a fresh log.</summary>
    void ResumeOrStartFresh()
    {
        if (_o.Resume && TrainerCheckpoint.FindLatest(_o.OutputDir!) is { } latest)
        {
            _state = _optimizer.AtFullPrecision(() => TrainerCheckpoint.Load(latest, _model, _task.Store, _optimizer.Optimizer), loadIntoMasters: true);
            if (_state.Seed != _o.Seed) throw new InvalidOperationException($"{latest} was trained with seed {_state.Seed}, not {_o.Seed}");
            _scheduler.step((int)_state.GlobalStep);
            _log.RestoreUpTo(_state.GlobalStep);
            _lastCheckpoint = latest;
        }
        else if (_o.OutputDir is not null && File.Exists(Path.Combine(_o.OutputDir, TrainingLog.FileName)))
        {
            File.Delete(Path.Combine(_o.OutputDir, TrainingLog.FileName));
        }
    }

    /// <summary>One optimizer step over up to GradientAccumulation micro-batches (fewer at an epoch's end); returns the
    /// step's mean loss and the learning rate it used.</summary>
    (double StepLoss, double Lr) OptimizerStep(int[] order, CancellationToken cancel)
    {
        int micro = Math.Min(_o.GradientAccumulation, _batchesPerEpoch - _state.BatchInEpoch);
        double stepLoss = 0;
        long stepTokens = 0;
        using (var scope = torch.NewDisposeScope())
        {
            _optimizer.ZeroGrad();
            for (int m = 0; m < micro; m++)
            {
                cancel.ThrowIfCancellationRequested();
                var batch = Trainer.Batch(_task.TrainSet, order, _state.BatchInEpoch + m, _task.BatchSize);
                var loss = _task.Loss(batch);
                double value = loss.dtype == ScalarType.Float32 ? loss.item<float>() : loss.to(ScalarType.Float32).item<float>();
                if (!double.IsFinite(value)) throw new TrainingDivergedException(_state.GlobalStep, value, _lastCheckpoint);
                (loss / micro).backward();
                stepLoss += value / micro;
                stepTokens += _task.CountTokens?.Invoke(batch) ?? batch.Count;
            }
            _optimizer.Step(_o.MaxGradNorm);
        }
        _optimizer.AfterStep(_state.GlobalStep + 1);
        double lr = _scheduler.get_last_lr().First();
        _scheduler.step();
        _state = _state with
        {
            GlobalStep = _state.GlobalStep + 1,
            BatchInEpoch = _state.BatchInEpoch + micro,
            TokensSeen = _state.TokensSeen + stepTokens,
        };
        _stepsThisRun++;
        _tokensThisRun += stepTokens;
        _lossSinceLog += stepLoss;
        _stepsSinceLog++;
        return (stepLoss, lr);
    }

    /// <summary>The metrics log every LogEverySteps (mean loss since the last entry) and the progress line every step.</summary>
    void ReportStep(IProgressHandle progress, double stepLoss, double lr)
    {
        long step = _state.GlobalStep;
        double epoch = Epoch, tokensPerSecond = TokensPerSecond;
        if (step % Math.Max(1, _o.LogEverySteps) == 0 || IsLastStep)
        {
            _log.Add(new LogEntry(LogEntry.Train, step, epoch, new Dictionary<string, double>
            {
                ["loss"] = _lossSinceLog / _stepsSinceLog, ["lr"] = lr, ["tokens_per_s"] = tokensPerSecond,
            }));
            _lossSinceLog = 0;
            _stepsSinceLog = 0;
        }
        var eta = TimeSpan.FromSeconds(_clock.Elapsed.TotalSeconds / _stepsThisRun * (_totalSteps - step));
        // The last evaluation rides along (its first three figures), so a long run shows where it stands between evaluations.
        var lastEval = _lastEval is { Count: > 0 } e ? " | eval " + string.Join(" ", e.Take(3).Select(kv => $"{kv.Key} {kv.Value:G4}")) : "";
        progress.Report(step, $"epoch {epoch:F2} loss {stepLoss:F4} lr {lr:E2} {tokensPerSecond:F0} tok/s ETA {eta:hh\\:mm\\:ss}{lastEval}");
    }

    /// <summary>Evaluates, logs, and tracks the best metric and early stopping; true when this evaluation is a new best.</summary>
    bool EvaluateAndTrackBest()
    {
        long step = _state.GlobalStep;
        // Under bf16 the evaluation runs on the fp32 master weights: every task's metric code reads fp32 outputs.
        var metrics = _optimizer.AtFullPrecision(() => Trainer.RunEvaluation(_task, _model));
        _lastEval = metrics;
        _log.Add(new LogEntry(LogEntry.Eval, step, Epoch, metrics));
        if (_o.MetricForBest is not { } metric) return false;
        if (!metrics.TryGetValue(metric, out var value))
            throw new KeyNotFoundException($"evaluation returned no metric '{metric}' (it returned: {string.Join(", ", metrics.Keys)})");
        bool better = _state.BestMetric is not { } best || (_o.GreaterIsBetter ? value > best : value < best);
        _state = better
            ? _state with { BestMetric = value, BestCheckpoint = _o.OutputDir is null ? null : Trainer.CheckpointName(step), EvalsWithoutImprovement = 0 }
            : _state with { EvalsWithoutImprovement = _state.EvalsWithoutImprovement + 1 };
        _stoppedEarly = _o.EarlyStoppingPatience > 0 && _state.EvalsWithoutImprovement >= _o.EarlyStoppingPatience;
        return better;
    }

    /// <summary>Without an output folder, a run that loads its best weights at the end keeps a copy of them in memory
    /// at each new best (one model's size; a checkpoint on disk would also write the optimizer's two moments).</summary>
    void KeepBestInMemory()
    {
        _optimizer.AtFullPrecision(() =>
        {
            DisposeBestInMemory();
            // clone under no_grad needs no detach: no temporary is left for the finalizer (TorchSharp's finalizer race).
            using var noGrad = torch.no_grad();
            _bestInMemory = _model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone().DetachFromDisposeScope());
        });
    }

    void RestoreBestInMemory()
    {
        if (_bestInMemory is null) return;
        using (torch.no_grad())
        using (var scope = torch.NewDisposeScope())                 // whatever wrapper copy_ returns is freed here
            foreach (var (name, value) in _model.state_dict())
                value.copy_(_bestInMemory[name]);
        DisposeBestInMemory();
    }

    void DisposeBestInMemory()
    {
        if (_bestInMemory is { } best) foreach (var t in best.Values) t.Dispose();
        _bestInMemory = null;
    }

    /// <summary>A checkpoint every SaveEverySteps (else at every evaluation), at a new best, at the end and when stopping
    /// early; with no output folder, the best weights in memory (<see cref="KeepBestInMemory"/>).</summary>
    void SaveIfDue(bool evaluated, bool newBest)
    {
        if (newBest && _o.OutputDir is null && _o.LoadBestAtEnd) KeepBestInMemory();
        long step = _state.GlobalStep;
        bool save = _o.OutputDir is not null &&
                    ((_o.SaveEverySteps > 0 ? step % _o.SaveEverySteps == 0 : evaluated) || newBest || IsLastStep || _stoppedEarly);
        if (!save) return;
        _lastCheckpoint = _optimizer.AtFullPrecision(() => TrainerCheckpoint.Save(_o.OutputDir!, _state, _model, _task.Store, _optimizer.Optimizer));
        TrainerCheckpoint.Prune(_o.OutputDir!, _o.KeepLast, _o.KeepBest ? Trainer.BestPath(_o, _state) : null);
    }
}
