using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CourseKit.Notebooks;

namespace CourseKit.Tests.Chapters;

/// <summary>
/// Runs the chapter notebooks with the quick profile (what CI runs), in-process through the runner, and checks what
/// they show against expectations computed here from the data and the formulas, not copied from a run.
/// Same collection as the runner tests: the runner redirects Console and sets Reporter.Current.
/// </summary>
[Collection("Notebooks")]
[KeepTensorsAlive]
public class ChapterNotebookTests
{
    const string PlotlyMime = "application/vnd.plotly.v1+json";
    readonly string _out = TestPaths.NewTempDir("coursekit-chapters");

    Task<NotebookRunResult> RunQuick(string name) =>
        new NotebookRunner(new NotebookRunOptions { Profile = "quick", OutputDirectory = _out })
            .RunAsync(TestPaths.InRepo("notebooks", name));

    [Fact]
    public async Task Setup_runs_quick_and_shows_doctor_tensor_speaker_table_chart_progress_and_ready()
    {
        var result = await RunQuick("00-setup.ipynb");
        Assert.True(result.Succeeded, result.FailureMessage);
        Assert.Equal(10, result.Parameters["progressSteps"]!.GetValue<int>());
        Assert.True(File.Exists(result.OutputHtmlPath));
        var stdout = string.Concat(result.Cells.Select(c => c.Stream("stdout")));

        // The doctor, as text and as a DataFrame with one row per check.
        Assert.Contains("TorchSharp", stdout);
        Assert.Contains("fp32 GEMM (cpu)", stdout);
        var tables = Outputs(result).Select(o => Text(o, "text/html")).Where(h => h.Contains("coursekit-dataframe")).ToList();
        Assert.Contains(tables, h => h.Contains("<th>section</th><th>item</th><th>value</th><th>status</th>") && h.Contains("<td>tiny-shakespeare</td>"));

        Assert.Matches(@"X: shape \[3, 4\], dtype Float32, device cpu", stdout);

        // The speaker table: top speakers by lines, counted here with a different method (line by line).
        var expected = SpeakerLineCounts(File.ReadAllLines(TestPaths.InRepo("datasets", "tiny-shakespeare", "input.txt")))
            .OrderByDescending(kv => kv.Value).Take(10).ToList();
        var speakerTable = Outputs(result).Select(o => Text(o)).Single(t => t.TrimStart().StartsWith("speaker"));
        var rows = speakerTable.Split('\n').Skip(2).Where(l => l.Trim().Length > 0).ToList();
        Assert.Equal(10, rows.Count);
        for (var i = 0; i < 10; i++)
            Assert.Matches($@"^\s*{Regex.Escape(expected[i].Key)}\s+\d+\s+{expected[i].Value}\s+\d+$", rows[i]);

        // The bar chart of the same speakers.
        var bars = Figures(result).Single(f => f["data"]![0]!["type"]!.GetValue<string>() == "bar" && f["data"]!.AsArray().Count == 2);
        Assert.Equal(expected.Select(kv => kv.Key), bars["data"]![0]!["x"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal(expected.Select(kv => (double)kv.Value), bars["data"]![0]!["y"]!.AsArray().Select(n => n!.GetValue<double>()));

        // One progress display, updated in place to its final state.
        var progress = Outputs(result).Select(o => Text(o)).Where(t => t.StartsWith("matmul ")).ToList();
        Assert.Single(progress);
        Assert.StartsWith("matmul 256×256: 10/10 done", progress[0]);

        Assert.Contains("You are ready", result.Cells.Last(c => c.CellType == "code").Stream("stdout"));
    }

    [Fact]
    public async Task Attention_math_runs_quick_with_parity_heatmaps_masks_and_checked_exercises()
    {
        var result = await RunQuick("01-attention-math.ipynb");
        Assert.True(result.Succeeded, result.FailureMessage);
        Assert.Equal(500, result.Parameters["saturationSamples"]!.GetValue<int>());
        var stdout = string.Concat(result.Cells.Select(c => c.Stream("stdout")));

        // MathNet vs TorchSharp in float64: single head, multi-head and positional encodings.
        foreach (var label in new[] { "MathNet − TorchSharp", "MathNet multi-head − TorchSharp multi-head", "MathNet PE − TorchSharp PE" })
        {
            var match = Regex.Match(stdout, $@"max \|{Regex.Escape(label)}\| = (\S+)");
            Assert.True(match.Success, $"no parity line for {label}");
            Assert.InRange(double.Parse(match.Groups[1].Value, NumberStyles.Float, CultureInfo.CurrentCulture), 0, 1e-9);
        }

        var heatmaps = Figures(result).Where(f => f["data"]![0]!["type"]!.GetValue<string>() == "heatmap").ToList();
        Assert.True(heatmaps.Count >= 9, $"{heatmaps.Count} heatmaps");
        Assert.Equal(4, heatmaps.Count(f => Title(f).StartsWith("Head ")));

        // The 4-token example, checked against softmax(QKᵀ/√3) worked by hand for the row of "cat".
        var tokenMap = heatmaps.Single(f => Title(f).StartsWith("Attention weights"));
        Assert.Equal(new[] { "The", "cat", "sat", "down" }, Labels(tokenMap, "x"));
        var z = Z(tokenMap);
        double[] catScores = { 1, 2, 4, 1 };
        var denominator = catScores.Sum(s => Math.Exp(s / Math.Sqrt(3)));
        for (var j = 0; j < 4; j++) Assert.Equal(Math.Exp(catScores[j] / Math.Sqrt(3)) / denominator, z[1][j], tolerance: 1e-12);
        Assert.All(z, row => Assert.Equal(1.0, row.Sum(), 12));

        // Padding: no weight on [PAD] keys; causal: none above the diagonal.
        var padding = heatmaps.Single(f => Title(f).StartsWith("Padding mask"));
        var padColumns = Labels(padding, "x").Select((l, i) => (l, i)).Where(p => p.l.TrimEnd('\u200B') == "[PAD]").Select(p => p.i).ToList();
        Assert.Equal(3, padColumns.Count);
        Assert.All(Z(padding), row => Assert.All(padColumns, j => Assert.Equal(0.0, row[j])));
        var causal = Z(heatmaps.Single(f => Title(f).StartsWith("Causal mask")));
        for (var i = 0; i < causal.Length; i++)
        {
            Assert.Equal(1.0, causal[i].Sum(), tolerance: 1e-12);
            for (var j = i + 1; j < causal[i].Length; j++) Assert.Equal(0.0, causal[i][j]);
        }

        // The √d_k experiment: without scaling the largest weight approaches 1, with it it stays put.
        var saturation = Figures(result).Single(f => Title(f).StartsWith("Softmax saturation"));
        var unscaled = saturation["data"]![0]!["y"]!.AsArray().Select(n => n!.GetValue<double>()).ToArray();
        var scaled = saturation["data"]![1]!["y"]!.AsArray().Select(n => n!.GetValue<double>()).ToArray();
        Assert.Equal(9, unscaled.Length);
        Assert.True(unscaled[^1] > 0.9 && unscaled[^1] > unscaled[0], $"unscaled max weights {string.Join(", ", unscaled)}");
        Assert.True(scaled.Max() < 0.5, $"scaled max weights {string.Join(", ", scaled)}");

        for (var k = 1; k <= 3; k++) Assert.Contains($"Exercise {k}: correct", stdout);
    }

    [Fact]
    public void Chapter_notebooks_are_committed_clean_with_the_course_conventions()
    {
        var paths = NotebookRunner.ExpandInputs(new[] { TestPaths.InRepo("notebooks") });
        Assert.Contains(paths, p => Path.GetFileName(p) == "00-setup.ipynb");
        Assert.Contains(paths, p => Path.GetFileName(p) == "01-attention-math.ipynb");
        foreach (var path in paths)
        {
            var name = Path.GetFileName(path);
            var doc = NotebookDocument.Load(path);
            Assert.Equal(".net-csharp", doc.Metadata["kernelspec"]!["name"]!.GetValue<string>());
            var code = doc.Cells.Where(c => c.CellType == "code").ToList();
            Assert.All(doc.Cells, c => Assert.NotNull(c.Metadata["polyglot_notebook"]?["kernelName"]));
            Assert.All(code, c =>
            {
                Assert.Empty(c.Outputs);
                Assert.Null(c.ExecutionCount);
                Assert.DoesNotMatch(@"(?m)^using var ", c.Source); // top-level using var is not allowed in script cells
            });

            Assert.Contains("#r \"../artifacts/kit/CourseKit.dll\"", code[0].Source);
            Assert.Contains("TorchRuntime.Initialize()", code[0].Source);

            var parameters = Assert.Single(code, c => c.Tags.Contains("parameters"));
            var profiles = doc.Metadata["coursekit"]?["profiles"] as JsonObject;
            Assert.True(profiles is not null && profiles.ContainsKey("quick") && profiles.ContainsKey("full"), $"{name}: quick and full profiles");
            foreach (var (profile, values) in profiles!)
                foreach (var (parameter, _) in values!.AsObject())
                    Assert.Matches($@"(?m)^\s*\w+\s+{Regex.Escape(parameter)}\s*=", parameters.Source);

            // Every exercise solution is followed by a cell that checks it.
            for (var i = 0; i < code.Count; i++)
                if (code[i].Source.TrimStart().StartsWith("// Solution"))
                    Assert.StartsWith("// Check", code[i + 1].Source.TrimStart());
        }
    }

    static IEnumerable<JsonObject> Outputs(NotebookRunResult result) => result.Cells.SelectMany(c => c.Outputs);

    static string Text(JsonObject output, string mime = "text/plain") => NbText.Read(output["data"]?[mime]);

    static List<JsonObject> Figures(NotebookRunResult result) =>
        Outputs(result).Select(o => o["data"]?[PlotlyMime] as JsonObject).OfType<JsonObject>().ToList();

    static string Title(JsonObject figure) => figure["layout"]?["title"]?["text"]?.GetValue<string>() ?? "";

    static string[] Labels(JsonObject figure, string axis) =>
        figure["data"]![0]![axis]!.AsArray().Select(n => n!.GetValue<string>()).ToArray();

    static double[][] Z(JsonObject figure) =>
        figure["data"]![0]!["z"]!.AsArray().Select(r => r!.AsArray().Select(n => n!.GetValue<double>()).ToArray()).ToArray();

    /// <summary>Lines spoken per speaker: a "NAME:" line after a blank line opens a speech, every later non-blank line counts.</summary>
    static Dictionary<string, int> SpeakerLineCounts(string[] lines)
    {
        var counts = new Dictionary<string, int>();
        string? speaker = null;
        var previousBlank = true;
        foreach (var line in lines)
        {
            if (line.Length == 0) { previousBlank = true; continue; }
            if (previousBlank && line.EndsWith(':')) speaker = line[..^1];
            else if (speaker is not null) counts[speaker] = counts.GetValueOrDefault(speaker) + 1;
            previousBlank = false;
        }
        return counts;
    }
}
