using CourseKit.Tasks.PromptLearning;

namespace CourseKit.Tests.Tasks.PromptLearning;

[KeepTensorsAlive]
public class FewShotSummaryTests
{
    [Fact]
    public void Mean_and_sample_sd_per_method_and_k()
    {
        FewShotRun[] runs =
        [
            new("setfit", 16, 1, 0.70, 0.60, 1), new("setfit", 16, 2, 0.80, 0.70, 1), new("setfit", 16, 3, 0.90, 0.80, 1),
            new("head", 16, 1, 0.50, 0.40, 1), new("setfit", 8, 1, 0.60, 0.50, 1),
        ];
        var summary = FewShotSummary.Summarize(runs);
        var setfit16 = Assert.Single(summary, s => s.Method == "setfit" && s.K == 16);
        Assert.Equal(3, setfit16.Runs);
        Assert.Equal(0.80, setfit16.AccuracyMean, 9);
        Assert.Equal(0.10, setfit16.AccuracySd, 9);                 // n − 1 in the denominator
        Assert.Equal(0, Assert.Single(summary, s => s.Method == "head").AccuracySd);
        Assert.Equal(3, summary.Count);
    }

    [Fact]
    public void Charts_carry_error_bars_and_reference_lines()
    {
        var result = new FewShotResult("sst2", "dev", 10, [new("setfit", 16, 1, 0.7, 0.6, 1), new("setfit", 16, 2, 0.8, 0.7, 1)],
            FewShotSummary.Summarize([new("setfit", 16, 1, 0.7, 0.6, 1), new("setfit", 16, 2, 0.8, 0.7, 1)]),
            [FewShotExperiment.Reference("zero-shot", 0.75, 0.74, "test")], null, FewShotExperiment.Protocol, 1);
        var json = CourseKit.Viz.Charts.ToFigureJson(PromptLearningCharts.FewShotBars(result));
        Assert.Contains("\"error_y\"", json);
        Assert.Contains("zero-shot 0.750", json);
    }

    [Fact]
    public void A_run_s_detail_reaches_the_table_and_the_json()
    {
        FewShotRun[] runs = [new("cloze", 16, 42, 0.61, 0.6, 1) { Detail = "label words awful|lovely (searched)" }, new("head", 16, 42, 0.55, 0.5, 1)];
        var result = new FewShotResult("sst2", "dev", 10, runs, FewShotSummary.Summarize(runs), [], null, FewShotExperiment.Protocol, 1);
        Assert.Contains("  cloze K=16 seed 42: label words awful|lovely (searched); accuracy 0.610", result.ToTable());
        var json = System.Text.Json.Nodes.JsonNode.Parse(result.ToJsonString())!;
        Assert.Equal("label words awful|lovely (searched)", (string?)json["runs"]![0]!["detail"]);
        Assert.Null(json["runs"]![1]!["detail"]);
    }
}
