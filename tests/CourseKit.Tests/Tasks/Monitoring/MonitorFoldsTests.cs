using CourseKit.Data;
using CourseKit.Tasks.Monitoring;
using CourseKit.Tests.Data;

namespace CourseKit.Tests.Tasks.Monitoring;

/// <summary>Pooling <c>monitor train --test-fold K</c> runs: hand-worked figures, overlapping runs and bad files refused.</summary>
[KeepTensorsAlive]
public class MonitorFoldsTests(SharedDataFixture shared) : IClassFixture<SharedDataFixture>
{
    static string Run(string root, string name, double accuracy, TestProbabilities probabilities)
    {
        var dir = Path.Combine(root, name);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, MonitorTraining.MetricsFile), $$$"""
            {"agreement": [{"level": "50Agree", "count": 2, "accuracy": {{{accuracy}}}, "macro_f1": 0.4},
                           {"level": "AllAgree", "count": 1, "accuracy": 1.0, "macro_f1": 1.0}],
             "calibration": {"temperature": 1.5, "ece_after": 0.2}}
            """);
        probabilities.Save(Path.Combine(dir, TestProbabilities.FileName));
        return dir;
    }

    static TestProbabilities Probabilities(int[] ids, int[] gold, float[][] after) => new(ids, gold, after, after);

    [Fact]
    public void Pooled_accuracy_and_ece_are_worked_over_both_runs_test_sentences()
    {
        var root = TestPaths.NewTempDir("coursekit-folds");
        // Run a: confidence 0.9 right, 0.6 wrong; run b: 0.8 right, 0.7 right.
        var a = Run(root, "a", 0.5, Probabilities([1, 2], [0, 1], [[0.9f, 0.05f, 0.05f], [0.6f, 0.3f, 0.1f]]));
        var b = Run(root, "b", 1.0, Probabilities([3, 4], [2, 1], [[0.1f, 0.1f, 0.8f], [0.2f, 0.7f, 0.1f]]));
        var summary = MonitorFolds.Pool([a, b]);
        Assert.Equal(4, summary.Sentences);
        Assert.Equal(0.75, summary.PooledAccuracy, 6);
        // Each confidence alone in its bin (13, 9, 12, 10): gaps 0.1, 0.6, 0.2, 0.3 -> 0.3.
        Assert.Equal(0.3, summary.EceAfter, 5);
        Assert.Equal([0.5, 1.0], summary.Runs.Select(r => r.Accuracy50).ToArray());
        Assert.Equal(0.75, summary.ToJson()["accuracy_50agree_mean"]!.GetValue<double>(), 6);
        Assert.Equal(Math.Sqrt(0.125), summary.Accuracy50.Sd, 6);
        Assert.Contains("pooled over 4 distinct test sentences: accuracy 0.750", summary.Summary());
    }

    [Fact]
    public void Given_the_phrasebank_files_the_pooled_figures_are_broken_down_by_agreement_level()
    {
        var registry = shared.With("financial-phrasebank");
        var rows = FinancialPhraseBank.Load(PhraseBankAgreement.AtLeast50, registry);
        var unanimous = FinancialPhraseBank.Load(PhraseBankAgreement.All, registry).Select(e => e.Sentence).ToHashSet(StringComparer.Ordinal);
        // The first 40 rows: right on the unanimous ones, wrong (class + 1) on the others.
        var ids = Enumerable.Range(0, 40).ToArray();
        var gold = ids.Select(i => (int)rows[i].Label).ToArray();
        var after = ids.Select(i =>
        {
            int said = unanimous.Contains(rows[i].Sentence) ? gold[i] : (gold[i] + 1) % 3;
            var p = new float[3]; p[said] = 0.8f; p[(said + 1) % 3] = 0.1f; p[(said + 2) % 3] = 0.1f;
            return p;
        }).ToArray();
        var root = TestPaths.NewTempDir("coursekit-folds");
        var a = Run(root, "a", 0.5, Probabilities(ids, gold, after));
        var summary = MonitorFolds.Pool([a], registry);
        var all = summary.Levels.Single(l => l.Level == "AllAgree");
        var fifty = summary.Levels.Single(l => l.Level == "50Agree");
        int unanimousCount = ids.Count(i => unanimous.Contains(rows[i].Sentence));
        Assert.InRange(unanimousCount, 1, 39);
        Assert.Equal(unanimousCount, all.Count);
        Assert.Equal(1.0, all.Accuracy, 6);
        Assert.Equal(40, fifty.Count);
        Assert.Equal(unanimousCount / 40.0, fifty.Accuracy, 6);
        Assert.Empty(MonitorFolds.Pool([a]).Levels);
    }

    [Fact]
    public void Runs_testing_the_same_sentence_are_refused_naming_both()
    {
        var root = TestPaths.NewTempDir("coursekit-folds");
        var a = Run(root, "a", 0.5, Probabilities([1, 2], [0, 1], [[0.9f, 0.05f, 0.05f], [0.6f, 0.3f, 0.1f]]));
        var b = Run(root, "b", 1.0, Probabilities([2, 4], [2, 1], [[0.1f, 0.1f, 0.8f], [0.2f, 0.7f, 0.1f]]));
        var e = Assert.Throws<ArgumentException>(() => MonitorFolds.Pool([a, b]));
        Assert.Contains(a, e.Message);
        Assert.Contains(b, e.Message);
        Assert.Contains("sentence 2", e.Message);
    }

    [Fact]
    public void A_malformed_probabilities_line_is_refused_naming_file_and_line()
    {
        var root = TestPaths.NewTempDir("coursekit-folds");
        var a = Run(root, "a", 0.5, Probabilities([1, 2], [0, 1], [[0.9f, 0.05f, 0.05f], [0.6f, 0.3f, 0.1f]]));
        var file = Path.Combine(a, TestProbabilities.FileName);
        File.AppendAllText(file, "{\"id\": 3, \"gold\": 1}\n");
        var e = Assert.Throws<InvalidDataException>(() => MonitorFolds.Pool([a]));
        Assert.Contains($"{file}, line 3", e.Message);
        var missing = Assert.Throws<FileNotFoundException>(() => MonitorFolds.Pool([Path.Combine(root, "nowhere")]));
        Assert.Contains("nowhere", missing.Message);
    }

    [Fact]
    public void Probabilities_round_trip_through_the_file()
    {
        var path = Path.Combine(TestPaths.NewTempDir("coursekit-folds"), TestProbabilities.FileName);
        var written = new TestProbabilities([7, 9], [2, 0], [[0.2f, 0.3f, 0.5f], [0.6f, 0.3f, 0.1f]], [[0.25f, 0.3f, 0.45f], [0.5f, 0.3f, 0.2f]]);
        written.Save(path);
        var read = TestProbabilities.Load(path);
        Assert.Equal(written.Ids, read.Ids);
        Assert.Equal(written.Gold, read.Gold);
        Assert.Equal(written.Before[0], read.Before[0]);
        Assert.Equal(written.After[1], read.After[1]);
    }
}
