using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CourseKit.Native;
using CourseKit.Notebooks;

namespace CourseKit.Tests.Chapters;

/// <summary>notebooks/02-transformer-from-scratch.ipynb, run in-process in the quick profile.</summary>
[Collection("Notebooks")]
[KeepTensorsAlive]
public class Chapter02Tests
{
    static readonly string Notebook = TestPaths.InRepo("notebooks", "02-transformer-from-scratch.ipynb");

    public Chapter02Tests() => TorchRuntime.Initialize();

    [Fact]
    public async Task Transformer_from_scratch_runs_in_the_quick_profile()
    {
        var result = await new NotebookRunner(new NotebookRunOptions { Profile = "quick" }).RunAsync(Notebook);

        Assert.True(result.Succeeded, result.FailureMessage);
        Assert.Equal(2, result.Parameters["layers"]!.GetValue<int>());
        Assert.Equal(64, result.Parameters["hidden"]!.GetValue<int>());
        var outputs = result.Cells.SelectMany(c => c.Outputs).ToList();
        var stdout = string.Concat(result.Cells.Select(c => c.Stream("stdout")));

        // Parameter counts: a DataFrame table per module, and the closed form equal to the count.
        Assert.Contains(outputs, o => Html(o).Contains("coursekit-dataframe") && Html(o).Contains("embeddings.word_embeddings")
                                      && Html(o).Contains("encoder.layer.1"));
        var counts = Regex.Match(stdout, @"closed form: ([\d,]+)\s+counted: ([\d,]+)");
        Assert.True(counts.Success, stdout);
        Assert.Equal(counts.Groups[1].Value, counts.Groups[2].Value);
        // 2 layers, H 64, I 256, V 28,996, P 128, S 2, worked out by hand from the formula in the notebook's table.
        Assert.Equal(1_968_320, long.Parse(counts.Groups[2].Value, NumberStyles.AllowThousands, CultureInfo.InvariantCulture));
        Assert.Contains("bert-base-cased: 108,310,272 parameters", stdout);

        // Shapes traced through the submodules of a real sentence.
        Assert.Contains("[CLS] The cat sat on the mat because it was tired . [SEP]", stdout);
        Assert.Contains(outputs, o => Html(o).Contains("encoder.layer.1 output") && Html(o).Contains("[1, 13, 64]"));
        Assert.Contains(outputs, o => Html(o).Contains("[1, 13, 28996]"));   // masked-LM logits in the heads table

        // The attention heatmap: token labels on both axes, a T x T grid whose rows are distributions.
        var heatmaps = outputs.Select(o => o["data"]?["application/vnd.plotly.v1+json"])
            .Where(f => f?["data"]?[0]?["type"]?.GetValue<string>() == "heatmap").ToList();
        var heatmap = Assert.Single(heatmaps)!["data"]![0]!;
        var x = heatmap["x"]!.AsArray().Select(v => v!.GetValue<string>()).ToList();
        Assert.Equal(13, x.Count);
        Assert.Equal("[CLS]", x[0]);
        Assert.Contains("cat", x);
        var z = heatmap["z"]!.AsArray();
        Assert.Equal(13, z.Count);
        Assert.All(z, row => Assert.InRange(row!.AsArray().Sum(v => v!.GetValue<double>()), 1 - 1e-5, 1 + 1e-5));

        // A bar chart of parameters per module, save/reload, load reports, exercises.
        Assert.Contains(outputs, o => o["data"]?["application/vnd.plotly.v1+json"]?["data"]?[0]?["type"]?.GetValue<string>() == "bar");
        Assert.Contains("outputs identical after the round trip: True", stdout);
        Assert.Contains("missing (newly initialised): classifier.weight, classifier.bias", stdout);
        Assert.Contains("caught: ", stdout);
        Assert.Contains("the model expects shape [512] but the checkpoint has [256]", stdout);
        Assert.Equal(3, Regex.Matches(stdout, "✓").Count);
    }

    static string Html(JsonObject output) => NbText.Read(output["data"]?["text/html"]);
}
