using System.Text.Json.Nodes;
using CourseKit.Cli.Verbs;
using CourseKit.Data;
using CourseKit.Tests.Data;
using CourseKit.Tasks.SequenceClassification;

namespace CourseKit.Tests.Tasks.SequenceClassification;

[KeepTensorsAlive]
public class FineTuneVerbTests(TinyBertFixture tiny, SharedDataFixture shared) : IClassFixture<TinyBertFixture>, IClassFixture<SharedDataFixture>
{
    static (int Code, string Error) Invoke(DataRegistry registry, params string[] args)
    {
        var error = new StringWriter();
        var saved = Console.Error;
        Console.SetError(error);
        try { return (FineTuneVerb.Create(registry).Parse(args).Invoke(), error.ToString()); }
        finally { Console.SetError(saved); }
    }

    [Fact]
    public void Writes_result_json_report_confusion_matrix_split_and_best_model()
    {
        var outDir = tiny.NewDir("cli");
        var (code, error) = Invoke(shared.With("financial-phrasebank"), "--task", "phrasebank", "--method", "head", "--model", tiny.ModelDir,
            "--profile", "quick", "--lr", "1e-2", "--train-size", "120", "--val-size", "40", "--test-size", "40", "--max-length", "32",
            "--seed", "3", "--out", outDir);
        Assert.True(code == 0, error);

        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "result.json")))!.AsObject();
        foreach (var key in new[] { "task", "method", "labels", "total_params", "trainable_params", "trainable_percent", "validation", "test",
                     "wall_seconds", "peak_memory_bytes", "peak_memory_measure", "checkpoint_bytes", "history", "split_file", "majority_baseline_test_accuracy" })
            Assert.True(json.ContainsKey(key), $"result.json has no '{key}'");
        Assert.Equal("phrasebank-AllAgree", json["task"]!.GetValue<string>());
        Assert.Equal("head", json["method"]!.GetValue<string>());
        Assert.Equal(["negative", "neutral", "positive"], json["labels"]!.AsArray().Select(n => n!.GetValue<string>()));
        foreach (var part in new[] { "validation", "test" })
            foreach (var key in new[] { "accuracy", "macro_f1", "per_class", "confusion_matrix" })
                Assert.NotNull(json[part]![key]);
        long testCount = json["test"]!["count"]!.GetValue<long>();
        Assert.Equal(testCount, json["test"]!["confusion_matrix"]!.AsArray().SelectMany(r => r!.AsArray()).Sum(v => v!.GetValue<long>()));
        Assert.True(json["trainable_params"]!.GetValue<long>() < json["total_params"]!.GetValue<long>());

        var split = DataSplit.Load(Path.Combine(outDir, "split.json"));
        Assert.Equal(CourseKit.Tasks.SequenceClassification.FineTuningData.DefaultSplitSeed, split.Seed); // the split is fixed: --seed 3 changes training, not the split
        Assert.Equal(testCount, split["test"].Ids.Length);
        Assert.True(File.Exists(Path.Combine(outDir, "classification-report.txt")));
        Assert.True(File.Exists(Path.Combine(outDir, "confusion-matrix.json")));
        Assert.True(File.Exists(Path.Combine(outDir, "best-model", "config.json")));
        Assert.True(File.Exists(Path.Combine(outDir, "results.csv")));
    }

    [Fact]
    public void Missing_model_folder_exits_non_zero_and_names_the_pretraining_command()
    {
        var missing = Path.Combine(tiny.Root, "no-such-model");
        var (code, error) = Invoke(shared.With("financial-phrasebank"), "--task", "phrasebank", "--model", missing, "--out", tiny.NewDir("cli-missing"));
        Assert.NotEqual(0, code);
        Assert.Contains(missing, error);
        Assert.Contains("course pretrain bert", error);
    }

    [Fact]
    public void Unknown_method_exits_non_zero()
    {
        var (code, error) = Invoke(shared.With("financial-phrasebank"), "--method", "full,nonsense", "--model", tiny.ModelDir, "--out", tiny.NewDir("cli-bad"));
        Assert.NotEqual(0, code);
        Assert.Contains("nonsense", error);
    }
}
