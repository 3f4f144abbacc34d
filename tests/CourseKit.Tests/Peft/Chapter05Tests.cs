using System.Globalization;
using CourseKit.Native;
using CourseKit.Notebooks;

namespace CourseKit.Tests.Peft;

/// <summary>notebooks/05-peft.ipynb in the quick profile on a random small BERT (the model parameter points nowhere,
/// so the run does not depend on `course pretrain bert`): every method runs through the sweep, and the trainable
/// counts in its results table are checked against closed forms worked out here from the architecture.</summary>
[Collection("Notebooks")]
[KeepTensorsAlive]
public class Chapter05Tests
{
    static readonly string Notebook = TestPaths.InRepo("notebooks", "05-peft.ipynb");

    public Chapter05Tests() => TorchRuntime.Initialize();

    [Fact]
    public async Task Peft_chapter_runs_every_method_in_the_quick_profile()
    {
        var outRoot = TestPaths.NewTempDir("coursekit-ch05");
        var result = await new NotebookRunner(new NotebookRunOptions
        {
            Profile = "quick",
            OutputDirectory = Path.Combine(outRoot, "nb"),
            Parameters = new Dictionary<string, string> { ["modelDir"] = "artifacts/models/no-such-model-ch05-test", ["outRoot"] = outRoot },
        }).RunAsync(Notebook);
        Assert.True(result.Succeeded, result.FailureMessage);
        var stdout = string.Concat(result.Cells.Select(c => c.Stream("stdout")));
        Assert.Contains("RANDOM-INIT BERT (hidden 64, 2 layers)", stdout);
        Assert.Contains("All checks passed.", stdout);
        Assert.Matches(@"max \|p_merged − p_unmerged\| = \d\.\d+E-0\d\d", stdout);
        Assert.Matches(@"plain model from the merged folder: \d\.\d+E-0\d\d", stdout);
        Assert.Contains("merged folder: config.json, model.safetensors, tokenizer_config.json, vocab.txt", stdout);

        // The sweep's table, read back from results.csv.
        var lines = File.ReadAllLines(Path.Combine(outRoot, "results.csv"));
        var header = lines[0].Split(',');
        var rows = lines.Skip(1).Select(l => l.Split(',')).ToDictionary(r => r[0], r => r);
        Assert.Equal(["full", "head", "lora", "adalora", "adapter", "prefix", "prompt", "bitfit", "ia3"], lines.Skip(1).Select(l => l.Split(',')[0]));
        long Trainable(string method) => long.Parse(rows[method][Array.IndexOf(header, "trainable params")], CultureInfo.InvariantCulture);
        double Lr(string method) => double.Parse(rows[method][Array.IndexOf(header, "lr")], CultureInfo.InvariantCulture);

        const long H = 64, L = 2, I = 4 * H, C = 3, R = 8, VirtualTokens = 20;
        long head = H * H + H + H * C + C;                                 // pooler + classifier
        Assert.Equal(head, Trainable("head"));
        Assert.Equal(L * 2 * (R * H + H * R) + head, Trainable("lora"));   // A and B on query and value
        Assert.Equal(L * (H + H + I) + head, Trainable("ia3"));            // l_k, l_v, l_ff
        Assert.Equal(VirtualTokens * H + head, Trainable("prompt"));
        Assert.Equal(H + L * (7 * H + I) + head, Trainable("bitfit"));     // every bias outside the head, see PeftTestData
        // The quick profile's rates (chosen on validation for MiniLM): the base, the PEFT group, and a per-method override.
        Assert.Equal(1e-4, Lr("full"));
        Assert.Equal(2e-3, Lr("lora"));
        Assert.Equal(3e-2, Lr("prompt"));
        Assert.Equal(5e-3, Lr("head"));

        // The chart of metric against trainable share: one labelled point per method, log x axis.
        var figures = result.Cells.SelectMany(c => c.Outputs).Select(o => o["data"]?["application/vnd.plotly.v1+json"]).Where(f => f is not null).ToList();
        var points = Assert.Single(figures, f => f!["data"]?[0]?["mode"]?.GetValue<string>() == "markers+text")!;
        Assert.Equal(9, points["data"]![0]!["text"]!.AsArray().Count);
        Assert.Equal("log", points["layout"]!["xaxis"]!["type"]!.GetValue<string>());
        Assert.Contains(figures, f => f!["layout"]?["title"]?["text"]?.GetValue<string>() == "AdaLoRA: total rank and its budget");
    }

    /// <summary>The default path: all-MiniLM-L6-v2 (imported on first use), every method on a few sentences.</summary>
    [Fact]
    public async Task Peft_chapter_runs_every_method_on_the_default_encoder()
    {
        var outRoot = TestPaths.NewTempDir("coursekit-ch05-minilm");
        var result = await new NotebookRunner(new NotebookRunOptions
        {
            Profile = "quick",
            OutputDirectory = Path.Combine(outRoot, "nb"),
            Parameters = new Dictionary<string, string>
            {
                // 48 sentences x 2 epochs at batch 8 = 12 steps: AdaLoRA's schedule needs t_init >= 1 step (total / 10).
                ["outRoot"] = outRoot, ["trainSize"] = "48", ["validationSize"] = "12", ["testSize"] = "12", ["epochs"] = "2", ["maxLength"] = "32",
            },
        }).RunAsync(Notebook);
        Assert.True(result.Succeeded, result.FailureMessage);
        var stdout = string.Concat(result.Cells.Select(c => c.Stream("stdout")));
        Assert.Contains("Using the pretrained model in", stdout);
        Assert.Contains("all-MiniLM-L6-v2", stdout);
        Assert.Contains("All checks passed.", stdout);
        var lines = File.ReadAllLines(Path.Combine(outRoot, "results.csv"));
        var header = lines[0].Split(',');
        var rows = lines.Skip(1).Select(l => l.Split(',')).ToDictionary(r => r[0], r => r);
        Assert.Equal(9, rows.Count);
        // MiniLM: 6 layers, hidden 384, FFN 1536; LoRA r=8 on query and value plus the pooler and classifier.
        const long H = 384, L = 6, C = 3, R = 8;
        long Trainable(string method) => long.Parse(rows[method][Array.IndexOf(header, "trainable params")], CultureInfo.InvariantCulture);
        Assert.Equal(L * 2 * (R * H + H * R) + H * H + H + H * C + C, Trainable("lora"));
    }
}
