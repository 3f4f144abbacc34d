using System.Diagnostics;
using CourseKit.Checkpoints;
using CourseKit.Metrics;
using CourseKit.Models;
using CourseKit.Reporting;
using CourseKit.Native;
using CourseKit.Text;
using CourseKit.Viz;
using TorchSharp;
using static TorchSharp.torch;
using CourseKit.Training;

namespace CourseKit.Tasks.SequenceClassification;

/// <summary>The model folder a fine-tuning run needs is not there.</summary>
public sealed class ModelFolderMissingException(string message) : DirectoryNotFoundException(message);

/// <summary>
/// Fine-tunes a Hugging Face BERT folder for sequence classification: loads the data and its recorded split, puts a
/// new classification head on the encoder, lets the method (<see cref="FineTuningMethods"/>) choose what trains, runs
/// the <see cref="Trainer"/> (validation every epoch, early stopping on macro-F1, best epoch kept) and evaluates the
/// best weights on the test set. With an output folder it writes result.json, classification-report.txt,
/// confusion-matrix.json (+ .txt and a heatmap figure), split.json, training-curves.figure.json, metrics.jsonl and
/// best-model/.
/// </summary>
public static class FineTuning
{
    public const string ResultFile = "result.json", ReportFile = "classification-report.txt", ConfusionFile = "confusion-matrix.json",
        SplitFileName = "split.json", BestModelFolder = "best-model";

    public static FineTuneResult Run(FineTuneOptions o, CancellationToken cancel = default)
    {
        o.Validate();
        var clock = Stopwatch.StartNew();
        var memoryMeasure = ProcessMemory.ResetPeak();
        var method = FineTuningMethods.Get(o.Method);
        RequireModelFolder(o.ModelDir);
        var data = FineTuningData.Load(o);
        var tokenizer = Pretrained.LoadTokenizer(o.ModelDir);
        var model = LoadClassifier(o, data, tokenizer);

        var prepared = method.Prepare(model, new FineTuneContext(o, tokenizer, data.Train.Count));
        FineTuningFreezing.Apply(model, o.Freeze, o.FreezeLowerLayers);
        if (o.Device is { } device && device.type != DeviceType.CPU) prepared.Module.to(device);
        long total = ParameterCounts.Total(prepared.Module), trainable = ParameterCounts.Trainable(prepared.Module);
        using var holdZeros = o.KeepZeros ? ZeroMask.Capture(prepared.Module, IsEncoderParameter) : null;
        if (holdZeros is { HeldZeros: 0 }) Reporter.Show($"--keep-zeros: no encoder weight of {o.ModelDir} is zero; nothing is held");

        var (train, validation, test) = EncodeParts(tokenizer, data, o.MaxLength);
        int pad = tokenizer.PadId;
        var (workDir, splitFile) = PrepareWorkDir(o, data);
        try
        {
            // Without an output folder nothing can resume: the trainer keeps the best weights in memory instead of writing a
            // checkpoint (model and optimizer, ~3× the model) at every epoch (the few-shot chapter's 30-epoch runs).
            var trainerOptions = o.ToTrainerOptions(o.EffectiveLearningRate, o.MetricForBest, o.OutputDir is null ? null : Path.Combine(workDir, "trainer"),
                logEverySteps: Math.Max(1, Math.Min(10, train.Length / o.BatchSize / 4))) with { ModuleLearningRates = o.ModuleLearningRates };
            var trained = Trainer.Run(TrainingTaskFor(o, method, prepared, data.Labels, train, validation, pad, holdZeros), trainerOptions, cancel);

            var (validationReport, _) = SequenceClassificationBatches.Evaluate(prepared.Module, prepared.Forward, validation, data.Labels, pad, device: o.Device);
            var (testReport, _) = SequenceClassificationBatches.Evaluate(prepared.Module, prepared.Forward, test, data.Labels, pad, device: o.Device);
            long peak = ProcessMemory.PeakBytes();
            var (bestModelDir, checkpointBytes) = SaveBestModel(prepared, workDir);
            if (!o.KeepCheckpoints && trainerOptions.OutputDir is { } trainerDir) DeleteQuietly(TrainerCheckpoint.Root(trainerDir));

            var result = new FineTuneResult
            {
                Task = data.Name, Method = method.Name, ModelDir = o.ModelDir, Labels = data.Labels,
                TotalParameters = total, TrainableParameters = trainable, TrainCount = train.Length,
                Validation = validationReport, Test = testReport,
                MajorityBaselineTestAccuracy = MajorityBaselineAccuracy(train, test),
                LearningRate = o.EffectiveLearningRate, HeadLearningRate = o.ModuleLearningRates is null ? null : o.HeadLearningRate, Precision = o.Precision, Seed = o.Seed, Steps = trained.Steps, Epochs = trained.Epochs, StoppedEarly = trained.StoppedEarly,
                WallSeconds = clock.Elapsed.TotalSeconds, TrainSeconds = trained.WallSeconds,
                PeakMemoryBytes = peak, PeakMemoryMeasure = memoryMeasure, CheckpointBytes = checkpointBytes,
                History = trained.History, OutputDir = o.OutputDir, BestModelDir = o.OutputDir is null ? null : bestModelDir,
                SplitFile = splitFile, Note = data.Note, HeldZeros = holdZeros?.HeldZeros, Classifier = prepared, Tokenizer = tokenizer, MaxLength = o.MaxLength,
            };
            if (o.OutputDir is not null) WriteOutputs(result, o.OutputDir);
            return result;
        }
        finally
        {
            if (o.OutputDir is null) DeleteQuietly(workDir);
        }
    }

    /// <summary>The folder's BERT with a new classification head for the task's labels (its weights drawn from the seed).</summary>
    static BertForSequenceClassification LoadClassifier(FineTuneOptions o, ClassificationData data, BertTextTokenizer tokenizer)
    {
        torch.manual_seed(o.Seed); // the new head's initial weights
        var model = Pretrained.Load(o.ModelDir, BertConfig.Load, c => new BertForSequenceClassification(c), c =>
        {
            c.WithLabels(data.Labels);
            c.ClassifierDropout = o.ClassifierDropout;
            return c;
        }).Model;
        if (o.MaxLength > model.Config.MaxPositionEmbeddings)
            throw new ArgumentException($"max length {o.MaxLength} exceeds the model's max_position_embeddings ({model.Config.MaxPositionEmbeddings}) in {o.ModelDir}");
        if (tokenizer.VocabularySize > model.Config.VocabSize)
            throw new InvalidDataException($"{o.ModelDir}: vocab.txt has {tokenizer.VocabularySize} tokens but config.json says vocab_size {model.Config.VocabSize}");
        return model;
    }

    static (EncodedExample[] Train, EncodedExample[] Validation, EncodedExample[] Test) EncodeParts(
        BertTextTokenizer tokenizer, ClassificationData data, int maxLength)
    {
        var train = SequenceClassificationBatches.Encode(tokenizer, data.Train, maxLength);
        var validation = SequenceClassificationBatches.Encode(tokenizer, data.Validation, maxLength);
        var test = SequenceClassificationBatches.Encode(tokenizer, data.Test, maxLength);
        if (train.Length == 0 || validation.Length == 0 || test.Length == 0)
            throw new ArgumentException($"{data.Name}: empty part (train {train.Length}, validation {validation.Length}, test {test.Length})");
        return (train, validation, test);
    }

    /// <summary>The output folder (a temporary one without it) and, with an output folder, the split recorded there.</summary>
    static (string WorkDir, string? SplitFile) PrepareWorkDir(FineTuneOptions o, ClassificationData data)
    {
        string workDir = o.OutputDir ?? TempDir();
        Directory.CreateDirectory(workDir);
        if (data.Split is not { } split || o.OutputDir is null) return (workDir, null);
        var splitFile = Path.Combine(workDir, SplitFileName);
        split.Save(splitFile);
        return (workDir, splitFile);
    }

    /// <summary>A parameter inside the encoder's layers (what magnitude and head pruning zero), under any wrapper's prefix.</summary>
    static bool IsEncoderParameter(string name) => name.Contains("encoder.layer.", StringComparison.Ordinal);

    static TrainingTask<EncodedExample> TrainingTaskFor(FineTuneOptions o, IFineTuningMethod method, PreparedClassifier prepared,
        IReadOnlyList<string> labelNames, EncodedExample[] train, EncodedExample[] validation, int pad, ZeroMask? holdZeros) => new()
    {
        Model = prepared.Module,
        HoldZeros = holdZeros,
        TrainSet = train,
        BatchSize = o.BatchSize,
        Store = prepared.Store,
        CountTokens = batch => batch.Sum(e => (long)e.InputIds.Length),
        LengthOf = o.GroupByLength ? e => e.InputIds.Length : null,
        Loss = batch =>
        {
            var (ids, mask, types, labels) = SequenceClassificationBatches.Collate(batch, pad, o.Device);
            if (batch.Any(e => e.Target is not null))
                return SequenceClassificationBatches.SoftTargetLoss(prepared.Forward(ids, mask, types, null).Logits, batch);
            return prepared.Forward(ids, mask, types, labels).Loss
                ?? throw new InvalidOperationException($"method '{method.Name}': the forward returned no loss although labels were given");
        },
        Evaluate = () =>
        {
            var (report, loss) = SequenceClassificationBatches.Evaluate(prepared.Module, prepared.Forward, validation, labelNames, pad, device: o.Device);
            var metrics = report.Summary();
            metrics["loss"] = loss;
            return metrics;
        },
    };

    /// <summary>Writes best-model/ afresh; returns its path and size on disk.</summary>
    static (string Dir, long Bytes) SaveBestModel(PreparedClassifier prepared, string workDir)
    {
        var bestModelDir = Path.Combine(workDir, BestModelFolder);
        if (Directory.Exists(bestModelDir)) Directory.Delete(bestModelDir, recursive: true);
        prepared.Store.Save(prepared.Module, bestModelDir);
        return (bestModelDir, Directory.EnumerateFiles(bestModelDir, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length));
    }

    /// <summary>Test accuracy of always answering the training part's most frequent label (ties: the lowest id).</summary>
    static double MajorityBaselineAccuracy(EncodedExample[] train, EncodedExample[] test)
    {
        int majority = train.GroupBy(e => e.Label).OrderByDescending(g => g.Count()).ThenBy(g => g.Key).First().Key;
        return test.Count(e => e.Label == majority) / (double)test.Length;
    }

    /// <summary>Throws <see cref="ModelFolderMissingException"/> naming the folder and how to make it.
    /// The default encoder's folder (<see cref="CoursePaths.DefaultEncoder"/>) is imported first when it is missing.</summary>
    public static void RequireModelFolder(string dir)
    {
        dir = Checkpoints.ImportedEncoders.EnsureFolder(dir);
        if (Directory.Exists(dir) && File.Exists(Path.Combine(dir, Pretrained.ConfigFile))) return;
        var what = Directory.Exists(dir) ? $"{dir} has no {Pretrained.ConfigFile}" : $"{dir}: no such model folder";
        throw new ModelFolderMissingException(
            $"{what}. Fine-tuning needs a pretrained BERT in the Hugging Face layout (config.json, model.safetensors, vocab.txt): " +
            $"leave it unset for the default all-MiniLM-L6-v2 ({CoursePaths.DefaultEncoder}, imported on first use), " +
            $"create the kit's own with `course pretrain bert` (it writes {CoursePaths.KitBert}), or set the model folder to any Hugging Face BERT folder.");
    }

    static void WriteOutputs(FineTuneResult r, string dir)
    {
        AtomicFile.WriteAllText(Path.Combine(dir, ResultFile), r.ToJsonString() + "\n");
        var header = $"{r.Task} · method {r.Method} · test set ({r.Test.Total} examples), best validation epoch\n\n";
        AtomicFile.WriteAllText(Path.Combine(dir, ReportFile), header + r.Test.ToText() + "\nConfusion matrix (rows gold, columns predicted):\n" + r.Test.ConfusionMatrix.ToText());
        var cm = new System.Text.Json.Nodes.JsonObject
        {
            ["labels"] = new System.Text.Json.Nodes.JsonArray(r.Labels.Select(l => (System.Text.Json.Nodes.JsonNode)l).ToArray()),
            ["rows"] = "gold", ["columns"] = "predicted",
            ["test"] = System.Text.Json.Nodes.JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(r.Test.ConfusionMatrix.ToRows())),
            ["validation"] = System.Text.Json.Nodes.JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(r.Validation.ConfusionMatrix.ToRows())),
        };
        AtomicFile.WriteAllText(Path.Combine(dir, ConfusionFile), cm.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n");
        AtomicFile.WriteAllText(Path.Combine(dir, "confusion-matrix.figure.json"),
            Charts.ToFigureJson(r.Test.ConfusionMatrix.ToHeatmap($"{r.Task} · {r.Method} · test confusion matrix")));
        AtomicFile.WriteAllText(Path.Combine(dir, "training-curves.figure.json"), Charts.ToFigureJson(TrainingCurves(r)));
    }

    /// <summary>Training loss per logged step and validation loss / macro-F1 per evaluation.</summary>
    public static Plotly.NET.GenericChart TrainingCurves(FineTuneResult r)
    {
        var trainLog = r.History.Where(h => h.Kind == LogEntry.Train).ToArray();
        var evalLog = r.History.Where(h => h.Kind == LogEntry.Eval).ToArray();
        return Charts.Lines($"{r.Task} · {r.Method} · lr {r.LearningRate:G3}", "epoch", "value",
            ("train loss", trainLog.Select(h => h.Epoch).ToArray(), trainLog.Select(h => h.Values["loss"]).ToArray()),
            ("validation loss", evalLog.Select(h => h.Epoch).ToArray(), evalLog.Select(h => h.Values["loss"]).ToArray()),
            ("validation macro-F1", evalLog.Select(h => h.Epoch).ToArray(), evalLog.Select(h => h.Values["macro_f1"]).ToArray()));
    }

    /// <summary>Class probabilities of the trained classifier for new texts: one row per text, columns in label order.</summary>
    public static float[][] PredictProbabilities(FineTuneResult r, IReadOnlyList<string> texts)
    {
        var classifier = r.Classifier ?? throw new InvalidOperationException("the result carries no classifier (it was read from disk): load best-model/ instead");
        var encoded = SequenceClassificationBatches.Encode(r.Tokenizer!, texts.Select((t, i) => new LabeledText(i, t, 0)).ToArray(), r.MaxLength);
        var device = classifier.Module.parameters().FirstOrDefault()?.device;
        return SequenceClassificationBatches.Predict(classifier.Module, classifier.Forward, encoded, r.Tokenizer!.PadId, device: device).Probabilities;
    }

    /// <summary>Runs one method after the other on the same split (the first run's, reused) and writes one results
    /// table (results.csv, results.md) into <paramref name="outputDir"/>; each run goes to outputDir/&lt;method&gt;/.</summary>
    public static IReadOnlyList<FineTuneResult> Sweep(FineTuneOptions o, IReadOnlyList<string> methods, string outputDir, CancellationToken cancel = default)
    {
        if (methods.Count == 0) throw new ArgumentException("no methods to run", nameof(methods));
        foreach (var m in methods) FineTuningMethods.Get(m); // unknown names fail before any training
        var results = new List<FineTuneResult>();
        string? split = o.SplitFile;
        foreach (var m in methods)
        {
            var r = Run(o with { Method = m, OutputDir = Path.Combine(outputDir, m), SplitFile = split }, cancel);
            split ??= r.SplitFile;
            results.Add(r);
            Reporter.Show($"{m}: validation macro-F1 {r.Validation.MacroF1:F4}, test macro-F1 {r.Test.MacroF1:F4}, {r.WallSeconds:F1} s");
        }
        FineTuneResultsTable.Save(results, outputDir);
        return results;
    }

    static string TempDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"coursekit-finetune-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    static void DeleteQuietly(string dir)
    {
        try { if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
