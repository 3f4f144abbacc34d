using System.Globalization;
using System.Text.RegularExpressions;
using CourseKit.Native;
using CourseKit.Notebooks;
using CourseKit.Tests.Data;

namespace CourseKit.Tests.Tasks.Recommendation;

/// <summary>notebooks/08-recommendation.ipynb, run in-process in the quick profile: every model through the real code
/// path, a few epochs for the Transformers. Expectations are computed from the data or the protocol, not copied.</summary>
[Collection("Notebooks")]
[KeepTensorsAlive]
public class Chapter08Tests
{
    static readonly string Notebook = TestPaths.InRepo("notebooks", "08-recommendation.ipynb");

    public Chapter08Tests() => TorchRuntime.Initialize();

    [Fact]
    public async Task Recommendation_chapter_runs_in_the_quick_profile()
    {
        var result = await new NotebookRunner(new NotebookRunOptions
        {
            Profile = "quick",
            Parameters = new Dictionary<string, string> { ["dataMirror"] = DataTestSupport.SharedDatasets },
        }).RunAsync(Notebook);

        Assert.True(result.Succeeded, result.FailureMessage);
        Assert.Equal("quick", result.Parameters["profile"]!.GetValue<string>());
        var stdout = string.Concat(result.Cells.Select(c => c.Stream("stdout")));
        Assert.Contains("ratings 100,836, users 610, rated movies 9,724 of 9,742, tags 3,683", stdout);
        Assert.Contains("610 users, 9,724 items, 99,616 training interactions", stdout);   // 100,836 − 2 × 610

        // Popularity under full ranking is the figure the protocol is checked against; sampled HR is far higher.
        var popularity = Regex.Match(stdout, @"popularity\s+full-ranking HR@10 (\d\.\d+)\s+sampled \(100 negatives\) HR@10 (\d\.\d+)");
        Assert.True(popularity.Success, stdout);
        Assert.Equal(0.041, double.Parse(popularity.Groups[1].Value, CultureInfo.InvariantCulture), 3);
        Assert.True(double.Parse(popularity.Groups[2].Value, CultureInfo.InvariantCulture) > 5 * 0.041);

        // Every model has a row with intervals, the paired comparison and the verdict lines.
        foreach (var model in new[] { "popularity", "itemknn", "mf", "sasrec", "bert4rec", "text", "hybrid" })
            Assert.Contains($"{model}: ", stdout);
        Assert.Matches(@"paired bootstrap, test NDCG@10, \w+ − \w+: -?\d\.\d{4} \[-?\d\.\d{4}, -?\d\.\d{4}\]", stdout);
        Assert.Matches(@"sasrec: NDCG@10 \d\.\d{4} \[\d\.\d{4}, \d\.\d{4}\], [\d.]+× popularity", stdout);
        Assert.Contains("matched: Toy Story (1995); Matrix, The (1999)", stdout);
        var figures = result.Cells.SelectMany(c => c.Outputs).Select(o => o["data"]?["application/vnd.plotly.v1+json"]).Where(f => f is not null).ToList();
        Assert.Contains(figures, f => f!["data"]![0]!["type"]!.GetValue<string>() == "bar");
        Assert.Contains(figures, f => f!["data"]![0]!["type"]!.GetValue<string>() == "heatmap");
    }
}
