using System.CommandLine;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CourseKit.Cli.Verbs;
using CourseKit.Data;
using CourseKit.Metrics;
using CourseKit.Models;
using CourseKit.Reporting;
using CourseKit.Training;
using CourseKit.Tasks.TokenClassification;
using TorchSharp;

namespace CourseKit.Tests.Tasks.TokenClassification;

[Collection(Models.TorchGlobalRngCollection.Name)]
[KeepTensorsAlive]
public class NerReproductionTests(NerFixture ner) : IClassFixture<NerFixture>, IDisposable
{
    readonly string _dir = TestPaths.NewTempDir("coursekit-ner-run");
    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    static readonly string[] ArticleRows = ["B-LOC", "I-LOC", "B-MISC", "I-MISC", "B-ORG", "I-ORG", "B-PER", "I-PER", "O", "micro avg", "macro avg", "weighted avg"];

    NerReproductionOptions Tiny(string outDir, int epochs = 1, int? test = null) => new()
    {
        ModelDir = ner.ModelDir, OutputDir = outDir, Registry = ner.Registry,
        TrainSize = 48, ValidationSize = 24, TestSize = test, Epochs = epochs, BatchSize = 8, LearningRate = 1e-3, Seed = 5,
    };

    [Fact]
    public void A_run_writes_every_output_and_the_report_has_the_articles_rows_and_test_supports()
    {
        var outDir = Path.Combine(_dir, "run");
        var result = NerReproduction.Run(Tiny(outDir));

        foreach (var file in new[] { "report.txt", "entity_report.txt", "metrics.json", "predictions.conll", "comparison.md", "metrics.jsonl",
                                     "model/config.json", "model/model.safetensors", "model/vocab.txt", "model/tokenizer_config.json" })
            Assert.True(File.Exists(Path.Combine(outDir, file)), $"{file} missing");
        Assert.False(Directory.Exists(Path.Combine(outDir, "checkpoints")), "checkpoints are removed after a finished run");

        // report.txt: the article's layout; on the full test set every gold support equals the article's.
        var report = File.ReadAllLines(Path.Combine(outDir, "report.txt"));
        Assert.Matches(@"^\s+precision\s+recall\s+f1-score\s+support$", report[0]);
        var rows = report.Select(l => Regex.Match(l, @"^\s*(\S+(?: avg)?)\s+(\d\.\d{3})\s+(\d\.\d{3})\s+(\d\.\d{3})\s+(\d+)$"))
            .Where(m => m.Success).ToList();
        Assert.Equal(ArticleRows, rows.Select(m => m.Groups[1].Value));
        foreach (var m in rows)
            Assert.Equal(NerArticleReference.Row(m.Groups[1].Value).Support, long.Parse(m.Groups[5].Value));
        Assert.Equal(46_435, rows.Take(9).Sum(m => long.Parse(m.Groups[5].Value)));

        // predictions.conll: one line per test word, and `course metrics ner` gives exactly metrics.json's numbers.
        var predictions = ConllevalFile.Read(Path.Combine(outDir, "predictions.conll"));
        Assert.Equal(3_453, predictions.Count);
        Assert.Equal(46_435, predictions.Sum(s => s.Words.Count));
        var test = ner.Split("test");
        Assert.Equal(test[100].Words, predictions[100].Words);
        Assert.Equal(test[100].Tags, predictions[100].Gold);

        var cliJson = Path.Combine(_dir, "cli.json");
        var output = new StringWriter();
        var error = new StringWriter();
        int code = MetricsVerb.Create().Parse(["metrics", "ner", "--input", Path.Combine(outDir, "predictions.conll"), "--json", cliJson])
            .Invoke(new InvocationConfiguration { Output = output, Error = error });
        Assert.True(code == 0, error.ToString());
        var metrics = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "metrics.json")))!;
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(File.ReadAllText(cliJson)), metrics["test"]), "metrics.json's test scores differ from `course metrics ner` on predictions.conll");
        Assert.Contains(string.Join("\n", report), output.ToString().Replace("\r", ""));
        Assert.Equal(File.ReadAllText(Path.Combine(outDir, "entity_report.txt")), result.Test.Reports.Entity.Format());

        // Token accuracy (micro avg) = correct words / words, counted here from the file.
        double accuracy = predictions.Sum(s => s.Gold.Zip(s.Predicted).Count(p => p.First == p.Second)) / 46_435.0;
        Assert.Equal(accuracy, metrics["test"]!["token"]!["micro avg"]!["f1"]!.GetValue<double>(), tolerance: 1e-12);
        Assert.Equal(accuracy, metrics["test_token_accuracy"]!.GetValue<double>(), tolerance: 1e-12);

        Assert.Equal(48, metrics["data"]!["train"]!["sentences"]!.GetValue<int>());
        Assert.Equal(24, metrics["data"]!["valid"]!["sentences"]!.GetValue<int>());
        Assert.Equal(46_435, metrics["data"]!["test"]!["words"]!.GetValue<long>());
        Assert.Equal(1e-3, metrics["recipe"]!["learning_rate"]!.GetValue<double>());
        Assert.True(metrics["wall_seconds"]!.GetValue<double>() > 0);

        // comparison.md: one table row per article row, with both numbers.
        var comparison = File.ReadAllText(Path.Combine(outDir, "comparison.md"));
        foreach (var row in ArticleRows)
            Assert.Matches($@"\| {Regex.Escape(row)} \| {NerArticleReference.Row(row).Precision:0.000} \| \d\.\d{{3}} \| [+−]\d\.\d{{3}} \|", comparison);
        Assert.Contains("| overall |", comparison);

        // Both decodings are scored from the same test scores; report.txt is argmax (the default), and the
        // constrained reading never puts I-X after O or after another type.
        var byDecoding = metrics["test_by_decoding"]!;
        Assert.Equal("argmax", metrics["recipe"]!["decoding"]!.GetValue<string>());
        Assert.Equal(metrics["test_entity_f1"]!.GetValue<double>(), byDecoding["argmax"]!["entity_f1"]!.GetValue<double>());
        Assert.Equal(result.TestByDecoding[TagDecoding.Iob2Constrained].Reports.Entity.Overall.Scores.F1,
            byDecoding["iob2_constrained"]!["entity_f1"]!.GetValue<double>());
        foreach (var sentence in result.TestByDecoding[TagDecoding.Iob2Constrained].Sentences)
            Assert.True(Iob2Check.IsValid(sentence.Predicted), string.Join(" ", sentence.Predicted));
        Assert.Contains("iob2_constrained: entity F1", comparison);

        // The validation set is scored under both decodings too, and names the one to report (never chosen on test).
        var validation = metrics["validation_by_decoding"]!;
        var validF1 = result.ValidationByDecoding.ToDictionary(kv => kv.Key, kv => kv.Value.Reports.Entity.Overall.Scores.F1);
        Assert.Equal(validF1[TagDecoding.Argmax], validation["argmax"]!["entity_f1"]!.GetValue<double>());
        Assert.Equal(validF1[TagDecoding.Iob2Constrained], validation["iob2_constrained"]!["entity_f1"]!.GetValue<double>());
        Assert.Equal(24, result.ValidationByDecoding[TagDecoding.Argmax].Sentences.Count);
        var expected = validF1[TagDecoding.Iob2Constrained] > validF1[TagDecoding.Argmax] ? "iob2_constrained" : "argmax";
        Assert.Equal(expected, metrics["decoding_chosen_on_validation"]!.GetValue<string>());
        Assert.Contains($"chosen there: {expected}", comparison);

        // model/ is the fine-tuned token classifier with the CoNLL labels.
        using var reloaded = BertForTokenClassification.FromPretrained(Path.Combine(outDir, "model"));
        Assert.Equal(NerLabels.All, Enumerable.Range(0, 9).Select(i => reloaded.Config.Id2Label![i.ToString()]));
    }

    [Fact]
    public void Interrupted_run_resumed_ends_with_the_same_test_metrics()
    {
        var whole = Path.Combine(_dir, "whole");
        var full = NerReproduction.Run(Tiny(whole, epochs: 2, test: 200));

        var cut = Path.Combine(_dir, "cut");
        using var cancel = new CancellationTokenSource();
        var previous = Reporter.Current;
        Reporter.Current = new CancelAtStep(9, cancel); // 48 sentences / batch 8 = 6 steps per epoch: cut in epoch 2
        try { Assert.ThrowsAny<OperationCanceledException>(() => NerReproduction.Run(Tiny(cut, epochs: 2, test: 200), cancel.Token)); }
        finally { Reporter.Current = previous; }
        Assert.False(File.Exists(Path.Combine(cut, "metrics.json")));
        Assert.NotNull(TrainerCheckpoint.FindLatest(cut));

        var resumed = NerReproduction.Run(Tiny(cut, epochs: 2, test: 200) with { Resume = true });
        Assert.Equal(full.Training.Steps, resumed.Training.Steps);
        Assert.Equal(full.Test.Reports.ToJson(), resumed.Test.Reports.ToJson());
        Assert.Equal(File.ReadAllText(Path.Combine(whole, "predictions.conll")), File.ReadAllText(Path.Combine(cut, "predictions.conll")));
    }

    [Fact]
    public void Training_overfits_twenty_sentences()
    {
        var tokenizer = ner.Tokenizer;
        var sentences = ner.Split("train").Where(s => s.Tags.Any(t => t != "O")).Take(20).ToArray();
        var data = TokenClassificationData.FromConll(tokenizer, sentences);
        torch.manual_seed(3);
        var config = NerFixture.TinyConfig(layers: 2, hidden: 64).WithLabels(NerLabels.All);
        config.HiddenDropoutProb = config.AttentionProbsDropoutProb = 0; // memorising is the point here
        using var model = new BertForTokenClassification(config);
        var before = TokenClassificationTask.Evaluate(model, tokenizer, data).Metrics[TokenClassificationTask.EntityF1];
        // The word embeddings (28,996 x 64) stay frozen: random vectors already tell the words apart, and updating them
        // is most of a step's cost at this size. Everything else (layers, head) learns.
        model.bert.embeddings.word_embeddings.weight!.requires_grad = false;
        var task = TokenClassificationTask.Create(model, tokenizer, data, options: new TokenClassificationOptions { BatchSize = 4 });
        var result = Trainer.Run(task, new TrainerOptions { Epochs = 80, LearningRate = 2e-3, WarmupRatio = 0.05, WeightDecay = 0, Seed = 3, LogEverySteps = 50 });
        var after = TokenClassificationTask.Evaluate(model, tokenizer, data).Metrics;
        Assert.True(before < 0.2, $"an untrained model should not already tag the sentences (entity F1 {before})");
        Assert.True(after[TokenClassificationTask.EntityF1] > 0.9, $"training-set entity F1 {after[TokenClassificationTask.EntityF1]} after {result.Steps} steps");
        Assert.True(after[TokenClassificationTask.TokenAccuracy] > 0.95);
    }

    [Fact]
    public void Missing_model_folder_names_course_pretrain_bert()
    {
        var missing = Path.Combine(_dir, "no-model");
        var ex = Assert.Throws<DirectoryNotFoundException>(() => NerReproduction.Run(Tiny(Path.Combine(_dir, "x")) with { ModelDir = missing }));
        Assert.Contains("course pretrain bert", ex.Message);
        Assert.Contains(missing, ex.Message);

        var error = new StringWriter();
        int code = ReproduceVerb.Create().Parse(["reproduce", "conll", "--model", missing, "--out", Path.Combine(_dir, "y")])
            .Invoke(new InvocationConfiguration { Output = new StringWriter(), Error = error });
        Assert.Equal(1, code);
        Assert.Contains("course pretrain bert", error.ToString());
    }

    [Fact]
    public void Subsets_are_fixed_by_the_seed_and_keep_file_order()
    {
        var all = Enumerable.Range(0, 100).ToArray();
        var a = NerReproduction.Subset(all, 10, 1);
        Assert.Equal(a, NerReproduction.Subset(all, 10, 1));
        Assert.NotEqual(a, NerReproduction.Subset(all, 10, 2));
        Assert.Equal(a.Order(), a);
        Assert.Equal(10, a.Distinct().Count());
        Assert.Same(all, NerReproduction.Subset(all, null, 1));
    }

    sealed class CancelAtStep(long step, CancellationTokenSource cancel) : IReportSink, IProgressHandle
    {
        public IProgressHandle StartProgress(string title, long? total) => this;
        public void Show(object value) { }
        public void Report(long done, string? status = null)
        {
            if (done >= step) cancel.Cancel();
        }
        public void Dispose() { }
    }
}
