using CourseKit.Metrics;

namespace CourseKit.Tests.Tasks.SequenceClassification;

[KeepTensorsAlive]
public class ClassificationMetricsTests
{
    static readonly string[] Abc = ["a", "b", "c"];

    // gold a a a b b c, predicted a a b b b b: class c is never predicted.
    //            predicted a  b  c
    //   gold a            2  1  0
    //   gold b            0  2  0
    //   gold c            0  1  0
    // a: P = 2/2, R = 2/3, F1 = 2·1·(2/3)/(5/3) = 0.8;  b: P = 2/4, R = 2/2, F1 = 2/3;  c: P = R = F1 = 0 (no NaN).
    static readonly int[] Gold = [0, 0, 0, 1, 1, 2];
    static readonly int[] Predicted = [0, 0, 1, 1, 1, 1];

    [Fact]
    public void Confusion_matrix_has_gold_rows_and_predicted_columns()
    {
        var m = ConfusionMatrix.Compute(Gold, Predicted, Abc);
        Assert.Equal(new long[][] { [2, 1, 0], [0, 2, 0], [0, 1, 0] }, m.ToRows());
        Assert.Equal(6, m.Total);
        Assert.Equal(new[] { 3L, 2, 1 }, Enumerable.Range(0, 3).Select(m.Support));
        Assert.Equal(new[] { 2L, 4, 0 }, Enumerable.Range(0, 3).Select(m.PredictedCount));
        var normalized = m.ToDoubles(normalizeRows: true);
        Assert.Equal(2.0 / 3, normalized[0, 0], 12);
        Assert.Equal(1.0, normalized[2, 1], 12);
    }

    [Fact]
    public void Report_matches_the_hand_worked_example()
    {
        var r = ClassificationReport.Compute(Gold, Predicted, Abc);
        Assert.Equal(4.0 / 6, r.Accuracy, 12);
        var (a, b, c) = (r.PerClass[0], r.PerClass[1], r.PerClass[2]);
        Assert.Equal(1.0, a.Precision, 12);
        Assert.Equal(2.0 / 3, a.Recall, 12);
        Assert.Equal(0.8, a.F1, 12);
        Assert.Equal(3, a.Support);
        Assert.Equal(0.5, b.Precision, 12);
        Assert.Equal(1.0, b.Recall, 12);
        Assert.Equal(2.0 / 3, b.F1, 12);
        Assert.Equal((0.0, 0.0, 0.0, 1L), (c.Precision, c.Recall, c.F1, c.Support));
        Assert.Equal((0.8 + 2.0 / 3 + 0) / 3, r.MacroF1, 12);
        Assert.Equal((1 + 0.5 + 0) / 3, r.MacroPrecision, 12);
        Assert.Equal((2.0 / 3 + 1 + 0) / 3, r.MacroRecall, 12);
        Assert.Equal((0.8 * 3 + 2.0 / 3 * 2 + 0) / 6, r.WeightedF1, 12);
        Assert.All(r.Summary().Values, v => Assert.False(double.IsNaN(v)));
    }

    [Fact]
    public void A_class_absent_from_gold_and_predictions_still_counts_in_the_macro_average()
    {
        var r = ClassificationReport.Compute([0, 1, 1], [0, 1, 1], Abc);
        Assert.Equal(1.0, r.Accuracy);
        Assert.Equal(2.0 / 3, r.MacroF1, 12);
        Assert.Equal(0, r.PerClass[2].Support);
    }

    [Fact]
    public void All_wrong_gives_zero_scores()
    {
        var r = ClassificationReport.Compute([0, 0, 1, 1], [1, 1, 0, 0], ["neg", "pos"]);
        Assert.Equal(0.0, r.Accuracy);
        Assert.Equal(0.0, r.MacroF1);
        Assert.Equal(new long[][] { [0, 2], [2, 0] }, r.ConfusionMatrix.ToRows());
    }

    [Fact]
    public void Text_report_has_sklearn_rows()
    {
        var lines = ClassificationReport.Compute(Gold, Predicted, Abc).ToText().Split('\n').Select(l => l.Trim()).ToArray();
        Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^a\s+1\.00\s+0\.67\s+0\.80\s+3$"));
        Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^c\s+0\.00\s+0\.00\s+0\.00\s+1$"));
        Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^accuracy\s+0\.67\s+6$"));
        Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^macro avg\s+0\.50\s+0\.56\s+0\.49\s+6$"));
    }

    [Fact]
    public void Bad_input_is_named()
    {
        Assert.Throws<ArgumentException>(() => ClassificationReport.Compute([0, 1], [0], Abc));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => ClassificationReport.Compute([0, 3], [0, 1], Abc));
        Assert.Contains("gold[1] = 3", e.Message);
    }

    [Fact]
    public void Heatmap_figure_has_the_counts_and_labels()
    {
        var json = System.Text.Json.Nodes.JsonNode.Parse(CourseKit.Viz.Charts.ToFigureJson(ConfusionMatrix.Compute(Gold, Predicted, Abc).ToHeatmap()))!;
        var trace = json["data"]![0]!;
        Assert.Equal("heatmap", trace["type"]!.GetValue<string>());
        Assert.Equal(0.0, trace["z"]![1]![0]!.GetValue<double>()); // gold b predicted a
        Assert.Equal(2.0, trace["z"]![0]![0]!.GetValue<double>());
        Assert.Equal(Abc, trace["x"]!.AsArray().Select(n => n!.GetValue<string>()));
    }
}
