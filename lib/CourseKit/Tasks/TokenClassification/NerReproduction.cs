using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using CourseKit.Data;
using CourseKit.Metrics;
using CourseKit.Models;
using CourseKit.Reporting;
using CourseKit.Text;
using TorchSharp;
using CourseKit.Training;

namespace CourseKit.Tasks.TokenClassification;

public sealed record NerReproductionResult(
    string OutputDir,
    TokenClassificationEvaluation Test,
    IReadOnlyDictionary<TagDecoding, TokenClassificationEvaluation> TestByDecoding,
    IReadOnlyDictionary<TagDecoding, TokenClassificationEvaluation> ValidationByDecoding,
    TrainingResult Training,
    double LearningRate,
    double WallSeconds);

/// <summary>
/// Reproduces the article's CoNLL-2003 table: fine-tunes a BERT folder on train, selects the checkpoint on validation
/// entity F1, evaluates on test, and writes report.txt (the article's layout), entity_report.txt (conlleval),
/// metrics.json, predictions.conll, comparison.md and the fine-tuned model/ into the output folder.
/// </summary>
public static class NerReproduction
{
    public const string ReportFile = "report.txt", EntityReportFile = "entity_report.txt", MetricsFile = "metrics.json",
        PredictionsFile = "predictions.conll", ComparisonFile = "comparison.md", ModelFolder = "model";

    public static NerReproductionResult Run(NerReproductionOptions o, CancellationToken cancel = default)
    {
        var clock = Stopwatch.StartNew();
        Checkpoints.ImportedEncoders.EnsureFolder(o.ModelDir); // the default encoder is imported on first use
        if (!File.Exists(Path.Combine(o.ModelDir, Pretrained.ConfigFile)))
            throw new DirectoryNotFoundException(
                $"{o.ModelDir}: no BERT model folder there (config.json missing). Use the default all-MiniLM-L6-v2 ({CoursePaths.DefaultEncoder}), pretrain the kit's small BERT with `course pretrain bert`, " +
                "set the model folder to any Hugging Face BERT folder (e.g. bert-base-cased with model.safetensors), " +
                "or fine-tune a random-init BERT (NerRandomBert) for a mechanics-only run.");
        Directory.CreateDirectory(o.OutputDir);

        var tokenizer = Pretrained.LoadTokenizer(o.ModelDir);
        var registry = o.Registry ?? DataRegistry.Default;
        var trainSentences = Subset(Conll2003.Load("train", registry: registry), o.TrainSize, o.Seed);
        var validSentences = Subset(Conll2003.Load("valid", registry: registry), o.ValidationSize, o.Seed + 1);
        var testSentences = Subset(Conll2003.Load("test", registry: registry), o.TestSize, o.Seed + 2);

        var taskOptions = new TokenClassificationOptions
        {
            MaxLength = o.MaxLength, Stride = o.Stride, Labeling = o.Labeling, BatchSize = o.BatchSize, Device = o.Device,
            Decoding = o.Decoding,
        };
        var train = TokenClassificationData.FromConll(tokenizer, trainSentences, taskOptions);
        var valid = TokenClassificationData.FromConll(tokenizer, validSentences, taskOptions);
        var test = TokenClassificationData.FromConll(tokenizer, testSentences, taskOptions);
        Reporter.Show($"CoNLL-2003 ({o.ProfileName}): train {train.SentenceCount:N0} sentences / {train.Windows.Count:N0} windows, " +
                      $"valid {valid.SentenceCount:N0}, test {test.SentenceCount:N0} sentences ({test.WordCount:N0} words)");

        torch.manual_seed(o.Seed);
        var model = LoadModel(o.ModelDir, o.Dropout);
        if (o.Device is not null) model.to(o.Device);
        double lr = o.LearningRate ?? NerReproductionOptions.RecipeLearningRate(model.Config.HiddenSize);

        if (!o.Resume)
        {
            var checkpoints = TrainerCheckpoint.Root(o.OutputDir);
            if (Directory.Exists(checkpoints)) Directory.Delete(checkpoints, recursive: true);
        }
        var trainerOptions = TrainerOptions(o, lr);
        var task = TokenClassificationTask.Create(model, tokenizer, train, valid, taskOptions);
        var training = Trainer.Run(task, trainerOptions, cancel);

        Reporter.Show($"training done: {training.Steps} steps, best validation entity F1 {training.BestMetric:F4}; evaluating on validation and test");
        var validByDecoding = ScoreByDecoding(model, tokenizer, valid, taskOptions);
        var byDecoding = ScoreByDecoding(model, tokenizer, test, taskOptions);
        var evaluation = byDecoding[o.Decoding];
        Pretrained.Save(model, Path.Combine(o.OutputDir, ModelFolder), tokenizer, o.MaxLength);
        if (!o.KeepCheckpoints && Directory.Exists(TrainerCheckpoint.Root(o.OutputDir)))
            Directory.Delete(TrainerCheckpoint.Root(o.OutputDir), recursive: true);

        var result = new NerReproductionResult(o.OutputDir, evaluation, byDecoding, validByDecoding, training, lr, clock.Elapsed.TotalSeconds);
        WriteOutputs(o, result, model.Config, (train, valid, test));
        Reporter.Show(evaluation.Reports.Token.Format());
        Reporter.Show($"entity F1 (conlleval) {evaluation.Reports.Entity.Overall.Scores.F1:F4}; outputs in {o.OutputDir}");
        return result;
    }

    /// <summary>Scores <paramref name="data"/> under every <see cref="TagDecoding"/> from one forward pass.</summary>
    public static IReadOnlyDictionary<TagDecoding, TokenClassificationEvaluation> ScoreByDecoding(BertForTokenClassification model,
        BertTextTokenizer tokenizer, TokenClassificationData data, TokenClassificationOptions options)
    {
        var (logProbs, loss) = TokenClassificationPredictor.PredictLogProbs(model, tokenizer, data.Windows, options);
        return Enum.GetValues<TagDecoding>().ToDictionary(d => d,
            d => TokenClassificationTask.Score(data, TokenClassificationPredictor.Decode(logProbs, d, data.Labels), loss));
    }

    /// <summary>The decoding with the higher validation entity F1 (argmax on a tie): how a reader should choose one,
    /// never by the test score.</summary>
    public static TagDecoding ChosenOnValidation(IReadOnlyDictionary<TagDecoding, TokenClassificationEvaluation> validation) =>
        validation.OrderByDescending(kv => kv.Value.Reports.Entity.Overall.Scores.F1).ThenBy(kv => kv.Key).First().Key;

    /// <summary>A BERT folder with a new 9-label CoNLL head (reported by the load) and the recipe's dropout.</summary>
    public static BertForTokenClassification LoadModel(string dir, double dropout = 0.1) =>
        Pretrained.Load(dir, BertConfig.Load, c => new BertForTokenClassification(c), c =>
        {
            var adjusted = c.WithLabels(NerLabels.All);
            adjusted.HiddenDropoutProb = dropout;
            adjusted.AttentionProbsDropoutProb = dropout;
            adjusted.ClassifierDropout = dropout;
            return adjusted;
        }).Model;

    public static TrainerOptions TrainerOptions(NerReproductionOptions o, double lr) =>
        o.ToTrainerOptions(lr, TokenClassificationTask.EntityF1, o.OutputDir);

    /// <summary>A fixed random sample of <paramref name="count"/> sentences (all when null or larger), kept in file order.</summary>
    public static IReadOnlyList<T> Subset<T>(IReadOnlyList<T> all, int? count, int seed)
    {
        if (count is not int n || n >= all.Count) return all;
        if (n < 1) throw new ArgumentOutOfRangeException(nameof(count), n, "a subset needs at least one sentence");
        var indices = Enumerable.Range(0, all.Count).ToArray();
        new Random(seed).Shuffle(indices);
        return indices.Take(n).Order().Select(i => all[i]).ToArray();
    }

    static void WriteOutputs(NerReproductionOptions o, NerReproductionResult r, BertConfig config,
        (TokenClassificationData Train, TokenClassificationData Valid, TokenClassificationData Test) data)
    {
        var reports = r.Test.Reports;
        var chosen = ChosenOnValidation(r.ValidationByDecoding);
        File.WriteAllText(Path.Combine(o.OutputDir, ReportFile), reports.Token.Format());
        File.WriteAllText(Path.Combine(o.OutputDir, EntityReportFile), reports.Entity.Format());
        ConllevalFile.Write(Path.Combine(o.OutputDir, PredictionsFile), r.Test.Sentences);

        var recipe = new JsonObject
        {
            ["optimizer"] = "AdamW", ["learning_rate"] = r.LearningRate, ["learning_rate_source"] = o.LearningRate is null ? "recipe default for the model size" : "set explicitly",
            ["batch_size"] = o.BatchSize, ["max_epochs"] = o.Epochs, ["dropout"] = o.Dropout, ["weight_decay"] = o.WeightDecay,
            ["warmup_ratio"] = o.WarmupRatio, ["schedule"] = "linear", ["max_grad_norm"] = 1.0,
            ["early_stopping"] = $"validation {TokenClassificationTask.EntityF1}, patience {o.EarlyStoppingPatience}",
            ["max_length"] = o.MaxLength, ["stride"] = o.Stride, ["labeling"] = o.Labeling.ToString(),
            ["decoding"] = DecodingName(o.Decoding), ["seed"] = o.Seed,
            ["precision"] = o.Precision.ToString().ToLowerInvariant(),
        };
        var metrics = new JsonObject
        {
            ["task"] = "CoNLL-2003 English NER",
            ["profile"] = o.ProfileName,
            ["model"] = new JsonObject
            {
                ["source"] = Path.GetFullPath(o.ModelDir), ["layers"] = config.NumHiddenLayers, ["hidden"] = config.HiddenSize,
                ["heads"] = config.NumAttentionHeads, ["intermediate"] = config.IntermediateSize, ["vocab"] = config.VocabSize,
                ["saved_to"] = ModelFolder,
            },
            ["recipe"] = recipe,
            ["data"] = new JsonObject { ["train"] = Counts(data.Train), ["valid"] = Counts(data.Valid), ["test"] = Counts(data.Test) },
            ["training"] = new JsonObject
            {
                ["steps"] = r.Training.Steps, ["epochs"] = r.Training.Epochs, ["stopped_early"] = r.Training.StoppedEarly,
                ["best_validation_entity_f1"] = r.Training.BestMetric, ["wall_seconds"] = r.Training.WallSeconds,
                ["tokens_per_second"] = r.Training.TokensPerSecond,
                ["validation"] = new JsonArray(r.Training.History.Where(e => e.Kind == LogEntry.Eval).Select(e =>
                    (JsonNode)new JsonObject
                    {
                        ["step"] = e.Step, ["epoch"] = e.Epoch,
                        ["entity_f1"] = e.Values[TokenClassificationTask.EntityF1],
                        ["token_accuracy"] = e.Values[TokenClassificationTask.TokenAccuracy],
                    }).ToArray()),
            },
            ["test"] = JsonNode.Parse(reports.ToJson()),
            ["test_entity_f1"] = reports.Entity.Overall.Scores.F1,
            ["test_token_accuracy"] = reports.Entity.Accuracy,
            ["test_by_decoding"] = ByDecodingJson(r.TestByDecoding),
            ["validation_by_decoding"] = ByDecodingJson(r.ValidationByDecoding),
            ["decoding_chosen_on_validation"] = DecodingName(chosen),
            ["wall_seconds"] = r.WallSeconds,
        };
        File.WriteAllText(Path.Combine(o.OutputDir, MetricsFile), metrics.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");

        var notes = new List<string>
        {
            $"Ours: {config.NumHiddenLayers} layers, hidden {config.HiddenSize}, from `{o.ModelDir}`; profile {o.ProfileName}; " +
            $"trained on {data.Train.SentenceCount:N0} sentences, selected on {data.Valid.SentenceCount:N0} validation sentences (entity F1), " +
            $"tested on {data.Test.SentenceCount:N0} sentences ({data.Test.WordCount:N0} words).",
            $"Recipe: AdamW lr {r.LearningRate:G3}, batch {o.BatchSize}, up to {o.Epochs} epochs ({r.Training.Epochs:F2} run{(r.Training.StoppedEarly ? ", stopped early" : "")}), " +
            $"dropout {o.Dropout}, weight decay {o.WeightDecay}, warm-up {o.WarmupRatio:P0}, seed {o.Seed}.",
            $"Test entity F1 (conlleval): {reports.Entity.Overall.Scores.F1:F4}; token accuracy {reports.Entity.Accuracy:F4}. Wall time {r.WallSeconds:F0} s.",
            "Tags read by " + string.Join("; ", r.TestByDecoding.Select(kv =>
                $"{DecodingName(kv.Key)}{(kv.Key == o.Decoding ? " (this report)" : "")}: entity F1 {kv.Value.Reports.Entity.Overall.Scores.F1:F4}, " +
                $"{kv.Value.Reports.Entity.Overall.Predicted:N0} entities predicted ({kv.Value.Reports.Entity.Overall.Gold:N0} gold), token accuracy {kv.Value.Reports.Entity.Accuracy:F4}")) + ".",
            "On validation (the final model): " + string.Join(", ", r.ValidationByDecoding.Select(kv =>
                $"{DecodingName(kv.Key)} entity F1 {kv.Value.Reports.Entity.Overall.Scores.F1:F4}")) +
            $"; the decoding to report, chosen there: {DecodingName(chosen)}.",
        };
        if (data.Test.WordCount != NerArticleReference.TestTokens)
            notes.Add($"The test set here is a subset ({data.Test.WordCount:N0} of {NerArticleReference.TestTokens:N0} words): supports differ from the article's.");
        File.WriteAllText(Path.Combine(o.OutputDir, ComparisonFile),
            NerComparison.Markdown(reports, "CoNLL-2003 test set: the article vs this run", notes));
    }

    /// <summary>argmax / iob2_constrained: the names used in metrics.json and comparison.md (the CLI's decoding option says
    /// argmax / constrained).</summary>
    public static string DecodingName(TagDecoding d) => d == TagDecoding.Argmax ? "argmax" : "iob2_constrained";

    static JsonObject ByDecodingJson(IReadOnlyDictionary<TagDecoding, TokenClassificationEvaluation> byDecoding) =>
        new(byDecoding.Select(kv => KeyValuePair.Create(DecodingName(kv.Key), (JsonNode?)new JsonObject
        {
            ["entity_f1"] = kv.Value.Reports.Entity.Overall.Scores.F1,
            ["entity_precision"] = kv.Value.Reports.Entity.Overall.Scores.Precision,
            ["entity_recall"] = kv.Value.Reports.Entity.Overall.Scores.Recall,
            ["predicted_entities"] = kv.Value.Reports.Entity.Overall.Predicted,
            ["token_accuracy"] = kv.Value.Reports.Entity.Accuracy,
        })));

    static JsonObject Counts(TokenClassificationData d) => new()
    {
        ["sentences"] = d.SentenceCount, ["words"] = d.WordCount, ["windows"] = d.Windows.Count, ["tokens"] = d.TokenCount,
    };
}
