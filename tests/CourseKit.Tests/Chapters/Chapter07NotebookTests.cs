using System.Text.Json;
using System.Text.Json.Nodes;
using CourseKit.Notebooks;

namespace CourseKit.Tests.Chapters;

/// <summary>Chapter 07 (extractive QA) run headless with its quick profile, as the other chapters.</summary>
[Collection("Notebooks")]
[KeepTensorsAlive]
public class Chapter07NotebookTests
{
    const string PlotlyMime = "application/vnd.plotly.v1+json";
    readonly string _out = TestPaths.NewTempDir("coursekit-chapter07");

    [Fact]
    public async Task Question_answering_runs_quick_with_spans_windows_metric_training_and_retrieval()
    {
        // The quick profile with less training (CI runs the quick profile itself): every cell, smaller numbers.
        var smaller = new Dictionary<string, string>
        {
            ["trainQuestions"] = "12", ["testQuestions"] = "12", ["maxLength"] = "128", ["stride"] = "48",
            ["epochs"] = "1", ["minSteps"] = "2", ["curveSizes"] = "6", ["retrievalQuestions"] = "30",
        };
        var result = await new NotebookRunner(new NotebookRunOptions { Profile = "quick", OutputDirectory = _out, Parameters = smaller })
            .RunAsync(TestPaths.InRepo("notebooks", "07-question-answering.ipynb"));
        Assert.True(result.Succeeded, result.FailureMessage);
        Assert.Equal(12, result.Parameters["trainQuestions"]!.GetValue<int>());
        Assert.Equal(0.0003, result.Parameters["lr"]!.GetValue<double>());   // the rest is the quick profile
        var stdout = string.Concat(result.Cells.Select(c => c.Stream("stdout")));

        // The first question's answer, read here from the JSON, comes back from its token labels.
        using var xquad = JsonDocument.Parse(File.ReadAllText(TestPaths.InRepo("datasets", "xquad", "xquad.en.json")));
        var firstAnswer = xquad.RootElement.GetProperty("data")[0].GetProperty("paragraphs")[0].GetProperty("qas")[0]
            .GetProperty("answers")[0].GetProperty("text").GetString();
        Assert.Matches($@"labels \(start, end\) = \(\d+, \d+\) → ""{System.Text.RegularExpressions.Regex.Escape(firstAnswer!)}""", stdout);
        Assert.Contains("[CLS]: not in this window", stdout);

        // The metric by hand (Santa Clara: 2 shared tokens, P 1, R 2/3 → 0.8) and the leaderboard numbers.
        Assert.Contains("0.800", stdout);
        Assert.Contains("exact_match 74.874  f1 86.325", stdout);
        Assert.Contains("exact_match 34.538  f1 45.852", stdout);

        var figures = result.Cells.SelectMany(c => c.Outputs).Select(o => o["data"]?[PlotlyMime] as JsonObject).OfType<JsonObject>().ToList();
        Assert.Contains(figures, f => Title(f).StartsWith("Training loss"));
        Assert.Contains(figures, f => Title(f).StartsWith("Held-out F1"));
        var recall = figures.Single(f => Title(f).StartsWith("Recall of the gold paragraph"));
        foreach (var series in recall["data"]!.AsArray())
        {
            var values = series!["y"]!.AsArray().Select(n => n!.GetValue<double>()).ToArray();
            Assert.Equal(3, values.Length);
            Assert.True(values[0] <= values[1] && values[1] <= values[2] && values[2] <= 1, string.Join(", ", values));
        }
        Assert.Contains("reader:", result.Cells.Last(c => c.CellType == "code").Stream("stdout"));
    }

    static string Title(JsonObject figure) => figure["layout"]?["title"]?["text"]?.GetValue<string>() ?? "";
}
