using System.Text.Json;
using CourseKit.Data;
using CourseKit.Metrics;
using CourseKit.Tests.Data;

namespace CourseKit.Tests.Metrics;

/// <summary>
/// Our metrics against numbers produced by the reference implementations (scikit-learn 1.2.1 and conlleval.pl) with
/// tests/fixtures/ner-metrics/make_expected.py: the real CoNLL-2003 test tags with stored corruptions, and hand-made cases.
/// </summary>
[KeepTensorsAlive]
public class MetricsReferenceTests
{
    static readonly string FixtureDir = TestPaths.InRepo("tests", "fixtures", "ner-metrics");
    static readonly Lazy<JsonElement> Expected = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(FixtureDir, "expected.json"))).RootElement.GetProperty("cases"));
    static readonly Lazy<IReadOnlyList<string[]>> TestGold = new(() =>
        Conll.ReadFile(Path.Combine(DataTestSupport.SharedDatasets, "conll2003", "iob2", "test.txt"))
            .Select(s => s.Tags.ToArray()).ToList());

    public static TheoryData<string> Cases => new()
    {
        "test_random5", "test_systematic", "hand_mixed", "hand_iob1_style_predictions", "hand_all_o",
        "hand_no_predicted_entities", "hand_only_predicted_entities",
    };

    static (IReadOnlyList<IReadOnlyList<string>> Gold, IReadOnlyList<IReadOnlyList<string>> Predicted) Load(string name, JsonElement c)
    {
        if (c.TryGetProperty("gold", out var gold))
            return (Sentences(gold), Sentences(c.GetProperty("predicted")));
        var corruptions = File.ReadLines(Path.Combine(FixtureDir, c.GetProperty("corruptions").GetString()!))
            .Select(l => l.Split('\t')).ToDictionary(f => int.Parse(f[0]), f => f[1]);
        Assert.NotEmpty(corruptions);
        int k = 0;
        var predicted = TestGold.Value.Select(s => (IReadOnlyList<string>)s.Select(t => corruptions.GetValueOrDefault(k++, t)).ToArray()).ToList();
        Assert.Equal(46_435, k);
        return (TestGold.Value, predicted);
    }

    static IReadOnlyList<IReadOnlyList<string>> Sentences(JsonElement e) =>
        e.EnumerateArray().Select(s => (IReadOnlyList<string>)s.EnumerateArray().Select(t => t.GetString()!).ToArray()).ToList();

    static void AssertScores(JsonElement expected, ClassScores actual, string what)
    {
        Assert.True(Math.Abs(expected.GetProperty("precision").GetDouble() - actual.Precision) <= 1e-12, $"{what} precision {actual.Precision}");
        Assert.True(Math.Abs(expected.GetProperty("recall").GetDouble() - actual.Recall) <= 1e-12, $"{what} recall {actual.Recall}");
        Assert.True(Math.Abs(expected.GetProperty("f1").GetDouble() - actual.F1) <= 1e-12, $"{what} f1 {actual.F1}");
        Assert.Equal(expected.GetProperty("support").GetInt64(), actual.Support);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Token_report_equals_scikit_learn(string name)
    {
        var c = Expected.Value.GetProperty(name);
        var (gold, predicted) = Load(name, c);
        var report = TokenClassificationReport.Compute(gold, predicted);

        Assert.Equal(c.GetProperty("labels").EnumerateArray().Select(l => l.GetString()), report.Labels);
        foreach (var label in report.Labels) AssertScores(c.GetProperty("per_label").GetProperty(label), report.PerLabel[label], label);
        AssertScores(c.GetProperty("micro"), report.MicroAverage, "micro");
        AssertScores(c.GetProperty("macro"), report.MacroAverage, "macro");
        AssertScores(c.GetProperty("weighted"), report.WeightedAverage, "weighted");
        Assert.True(Math.Abs(c.GetProperty("accuracy").GetDouble() - report.Accuracy) <= 1e-12);
        Assert.Equal(c.GetProperty("report_digits3").GetString(), report.FormatSklearn(3));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Entity_scores_equal_conlleval(string name)
    {
        var c = Expected.Value.GetProperty(name);
        var (gold, predicted) = Load(name, c);
        var report = ConllEvalReport.Compute(gold, predicted);
        var reference = c.GetProperty("conlleval");

        Assert.Equal(reference.GetProperty("text").GetString(), report.Format());
        Assert.Equal(reference.GetProperty("tokens").GetInt64(), report.Tokens);
        Assert.Equal(reference.GetProperty("gold").GetInt64(), report.Overall.Gold);
        Assert.Equal(reference.GetProperty("found").GetInt64(), report.Overall.Predicted);
        Assert.Equal(reference.GetProperty("correct").GetInt64(), report.Overall.Correct);
        var types = reference.GetProperty("types");
        Assert.Equal(types.EnumerateObject().Select(p => p.Name), report.Types);
        foreach (var type in report.Types)
        {
            var t = types.GetProperty(type);
            var s = report.PerType[type].Scores;
            Assert.Equal(t.GetProperty("found").GetInt64(), report.PerType[type].Predicted);
            Assert.Equal(t.GetProperty("precision").GetString(), PythonFormat.Fixed(100 * s.Precision, 2));
            Assert.Equal(t.GetProperty("recall").GetString(), PythonFormat.Fixed(100 * s.Recall, 2));
            Assert.Equal(t.GetProperty("fb1").GetString(), PythonFormat.Fixed(100 * s.F1, 2));
        }
        if (reference.TryGetProperty("overall_printed", out var overall))
        {
            Assert.Equal(overall.GetProperty("accuracy").GetString(), PythonFormat.Fixed(100 * report.Accuracy, 2));
            Assert.Equal(overall.GetProperty("fb1").GetString(), PythonFormat.Fixed(100 * report.Overall.Scores.F1, 2));
        }
        Assert.False(double.IsNaN(report.Overall.Scores.F1));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Confusion_matrix_equals_scikit_learn(string name)
    {
        var c = Expected.Value.GetProperty(name);
        var (gold, predicted) = Load(name, c);
        var labels = c.GetProperty("confusion_labels").EnumerateArray().Select(l => l.GetString()!).ToArray();
        var m = ConfusionMatrix.Compute(gold, predicted, labels);
        var expected = c.GetProperty("confusion").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt64()).ToArray()).ToArray();
        for (int i = 0; i < labels.Length; i++)
            for (int j = 0; j < labels.Length; j++)
                Assert.Equal(expected[i][j], m.Counts[i, j]);
    }
}
