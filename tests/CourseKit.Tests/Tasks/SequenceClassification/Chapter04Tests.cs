using CourseKit.Native;
using CourseKit.Notebooks;

namespace CourseKit.Tests.Tasks.SequenceClassification;

/// <summary>notebooks/04-fine-tuning.ipynb on its default path, all-MiniLM-L6-v2 (imported on first use), shrunk to a
/// few sentences: every run, the semantic search and the notebook's own checks. (The quick profile's figures are the
/// lead's `course run`; this only proves the default path works end to end.)</summary>
[Collection("Notebooks")]
[KeepTensorsAlive]
public class Chapter04Tests
{
    static readonly string Notebook = TestPaths.InRepo("notebooks", "04-fine-tuning.ipynb");

    public Chapter04Tests() => TorchRuntime.Initialize();

    [Fact]
    public async Task Fine_tuning_chapter_runs_on_the_default_encoder()
    {
        var outRoot = TestPaths.NewTempDir("coursekit-ch04-minilm");
        var result = await new NotebookRunner(new NotebookRunOptions
        {
            Profile = "quick",
            OutputDirectory = Path.Combine(outRoot, "nb"),
            Parameters = new Dictionary<string, string>
            {
                ["outRoot"] = outRoot, ["trainSize"] = "16", ["validationSize"] = "12", ["testSize"] = "12", ["epochs"] = "1",
                ["maxLength"] = "32", ["kitBertRow"] = "false",
            },
        }).RunAsync(Notebook);
        Assert.True(result.Succeeded, result.FailureMessage);
        var stdout = string.Concat(result.Cells.Select(c => c.Stream("stdout")));
        Assert.Contains("Using the pretrained model in", stdout);
        Assert.Contains("all-MiniLM-L6-v2", stdout);
        Assert.Contains("384-dimensional vectors", stdout);
        Assert.Contains("All checks passed.", stdout);
        foreach (var run in new[] { "full-lr0.0001", "full-high-lr", "head", "frozen-embeddings" })
            Assert.True(File.Exists(Path.Combine(outRoot, run, "result.json")), $"{run}/result.json");
    }
}
