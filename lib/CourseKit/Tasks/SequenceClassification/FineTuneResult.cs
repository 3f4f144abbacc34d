using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CourseKit.Metrics;
using CourseKit.Text;
using Microsoft.Data.Analysis;
using CourseKit.Training;

namespace CourseKit.Tasks.SequenceClassification;

/// <summary>What a fine-tuning run measured. Validation and test reports are those of the best epoch's weights.</summary>
public sealed record FineTuneResult
{
    public required string Task { get; init; }
    public required string Method { get; init; }
    public required string ModelDir { get; init; }
    public required IReadOnlyList<string> Labels { get; init; }
    public required long TotalParameters { get; init; }
    public required long TrainableParameters { get; init; }
    public double TrainablePercent => TotalParameters == 0 ? 0 : 100.0 * TrainableParameters / TotalParameters;
    public required int TrainCount { get; init; }
    public required ClassificationReport Validation { get; init; }
    public required ClassificationReport Test { get; init; }
    /// <summary>Accuracy of always predicting the training set's most frequent class, on the test set.</summary>
    public required double MajorityBaselineTestAccuracy { get; init; }
    public required double LearningRate { get; init; }
    /// <summary>The classifier and pooler's own peak rate, when they had one (<see cref="FineTuneOptions.HeadLearningRate"/>).</summary>
    public double? HeadLearningRate { get; init; }
    public Precision Precision { get; init; } = Precision.Fp32;
    /// <summary>Encoder weights held at zero through training (<see cref="FineTuneOptions.KeepZeros"/>); null when not asked.</summary>
    public long? HeldZeros { get; init; }
    public required int Seed { get; init; }
    public required long Steps { get; init; }
    public required double Epochs { get; init; }
    public required bool StoppedEarly { get; init; }
    /// <summary>The whole run: loading, encoding, training with its evaluations, test evaluation, saving.</summary>
    public required double WallSeconds { get; init; }
    public required double TrainSeconds { get; init; }
    public required long PeakMemoryBytes { get; init; }
    /// <summary>What <see cref="PeakMemoryBytes"/> measures (see <see cref="Native.ProcessMemory"/>).</summary>
    public required string PeakMemoryMeasure { get; init; }
    /// <summary>Bytes on disk of the saved best model (every file the method's store writes).</summary>
    public required long CheckpointBytes { get; init; }
    public required IReadOnlyList<LogEntry> History { get; init; }
    public string? OutputDir { get; init; }
    public string? BestModelDir { get; init; }
    public string? SplitFile { get; init; }
    public string? Note { get; init; }

    /// <summary>The trained classifier (best weights) and tokenizer, for predictions in the same process; not serialized.</summary>
    public PreparedClassifier? Classifier { get; init; }
    public BertTextTokenizer? Tokenizer { get; init; }
    public int MaxLength { get; init; }

    public JsonObject ToJson()
    {
        static JsonObject Report(ClassificationReport r)
        {
            var perClass = new JsonObject();
            foreach (var c in r.PerClass)
                perClass[c.Label] = new JsonObject { ["precision"] = c.Precision, ["recall"] = c.Recall, ["f1"] = c.F1, ["support"] = c.Support };
            var interval = r.AccuracyInterval();
            return new JsonObject
            {
                ["accuracy"] = r.Accuracy, ["accuracy_interval_95"] = new JsonObject { ["low"] = interval.Low, ["high"] = interval.High }, ["macro_f1"] = r.MacroF1, ["macro_precision"] = r.MacroPrecision, ["macro_recall"] = r.MacroRecall,
                ["weighted_f1"] = r.WeightedF1, ["count"] = r.Total, ["per_class"] = perClass,
                ["confusion_matrix"] = new JsonArray(r.ConfusionMatrix.ToRows().Select(row => (JsonNode)new JsonArray(row.Select(v => (JsonNode)v).ToArray())).ToArray()),
            };
        }
        return new JsonObject
        {
            ["task"] = Task, ["method"] = Method, ["model_dir"] = ModelDir,
            ["labels"] = new JsonArray(Labels.Select(l => (JsonNode)l).ToArray()),
            ["total_params"] = TotalParameters, ["trainable_params"] = TrainableParameters, ["trainable_percent"] = Math.Round(TrainablePercent, 4),
            ["learning_rate"] = LearningRate, ["head_learning_rate"] = HeadLearningRate, ["precision"] = Precision.ToString().ToLowerInvariant(), ["held_zeros"] = HeldZeros, ["seed"] = Seed, ["max_length"] = MaxLength,
            ["train_count"] = TrainCount, ["steps"] = Steps, ["epochs"] = Math.Round(Epochs, 4), ["stopped_early"] = StoppedEarly,
            ["validation"] = Report(Validation), ["test"] = Report(Test),
            ["majority_baseline_test_accuracy"] = MajorityBaselineTestAccuracy,
            ["wall_seconds"] = Math.Round(WallSeconds, 3), ["train_seconds"] = Math.Round(TrainSeconds, 3),
            ["peak_memory_bytes"] = PeakMemoryBytes, ["peak_memory_measure"] = PeakMemoryMeasure,
            ["checkpoint_bytes"] = CheckpointBytes,
            ["best_model_dir"] = BestModelDir, ["split_file"] = SplitFile, ["note"] = Note,
            ["history"] = new JsonArray(History.Select(h => JsonNode.Parse(h.ToJson())).ToArray()),
        };
    }

    public string ToJsonString() => ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true });
}

/// <summary>One table for several runs (a sweep over methods): a DataFrame, saved as CSV and Markdown.</summary>
public static class FineTuneResultsTable
{
    public static DataFrame ToDataFrame(IEnumerable<FineTuneResult> results)
    {
        var list = results.ToList();
        return new DataFrame(
            new StringDataFrameColumn("method", list.Select(r => r.Method)),
            new Int64DataFrameColumn("trainable params", list.Select(r => r.TrainableParameters)),
            new DoubleDataFrameColumn("trainable %", list.Select(r => Math.Round(r.TrainablePercent, 3))),
            new DoubleDataFrameColumn("lr", list.Select(r => r.LearningRate)),
            new DoubleDataFrameColumn("val macro-F1", list.Select(r => Math.Round(r.Validation.MacroF1, 4))),
            new DoubleDataFrameColumn("val accuracy", list.Select(r => Math.Round(r.Validation.Accuracy, 4))),
            new DoubleDataFrameColumn("test macro-F1", list.Select(r => Math.Round(r.Test.MacroF1, 4))),
            new DoubleDataFrameColumn("test accuracy", list.Select(r => Math.Round(r.Test.Accuracy, 4))),
            // The bootstrap interval over test examples: on 227 PhraseBank sentences it is about ±2.5 points wide.
            new DoubleDataFrameColumn("test accuracy 95% low", list.Select(r => Math.Round(r.Test.AccuracyInterval().Low, 4))),
            new DoubleDataFrameColumn("test accuracy 95% high", list.Select(r => Math.Round(r.Test.AccuracyInterval().High, 4))),
            new DoubleDataFrameColumn("wall s", list.Select(r => Math.Round(r.WallSeconds, 1))),
            new DoubleDataFrameColumn("peak memory MiB", list.Select(r => Math.Round(r.PeakMemoryBytes / 1048576.0, 1))),
            new DoubleDataFrameColumn("checkpoint MiB", list.Select(r => Math.Round(r.CheckpointBytes / 1048576.0, 2))));
    }

    public static string ToMarkdown(DataFrame df)
    {
        var sb = new StringBuilder();
        sb.Append("| ").Append(string.Join(" | ", df.Columns.Select(c => c.Name))).AppendLine(" |");
        sb.Append('|').Append(string.Concat(df.Columns.Select(c => c is StringDataFrameColumn ? " --- |" : " ---: |"))).AppendLine();
        for (long i = 0; i < df.Rows.Count; i++)
            sb.Append("| ").Append(string.Join(" | ", df.Columns.Select(c => Format(c[i])))).AppendLine(" |");
        return sb.ToString();
    }

    static string Format(object? v) => v switch
    {
        null => "",
        double d => d.ToString("G", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => v.ToString()!.Replace("|", "\\|"),
    };

    /// <summary>Writes <c>results.csv</c> and <c>results.md</c> into <paramref name="dir"/>; returns the table.</summary>
    public static DataFrame Save(IEnumerable<FineTuneResult> results, string dir)
    {
        Directory.CreateDirectory(dir);
        var df = ToDataFrame(results);
        DataFrame.SaveCsv(df, Path.Combine(dir, "results.csv"), cultureInfo: CultureInfo.InvariantCulture);
        File.WriteAllText(Path.Combine(dir, "results.md"), ToMarkdown(df));
        return df;
    }
}
