using System.CommandLine;
using System.Text.Json;
using CourseKit.Benchmarks;
using CourseKit.Cli.Verbs;
using CourseKit.Tests.Checkpoints;

namespace CourseKit.Tests.Benchmarks;

/// <summary><see cref="InferenceBenchmark"/> and <c>course bench infer</c> on the tiny random BERT: every backend timed
/// on the same batch, each one's output checked against TorchSharp float32.</summary>
[Collection(Models.TorchGlobalRngCollection.Name)]
[KeepTensorsAlive]
public sealed class InferenceBenchmarkTests(OnnxExportFixture fixture) : IClassFixture<OnnxExportFixture>
{
    [Fact]
    public void Every_backend_is_timed_on_the_same_inputs_and_agrees_with_torch_fp32_as_its_precision_allows()
    {
        var work = Path.Combine(fixture.Root, "bench");
        var options = new InferenceBenchmarkOptions { Shapes = [(2, 8)], Rounds = 2, MinRoundSeconds = 0, Threads = 1 };
        var r = InferenceBenchmark.Run(fixture.Folder("encoder"), work, options);
        Assert.Equal(InferenceBenchmarkOptions.AllBackends, r.Timings.Select(t => t.Backend));
        var by = r.Timings.ToDictionary(t => t.Backend);
        Assert.Equal(1.0, by["torch-fp32"].SpeedupVsBaseline);
        Assert.Equal(0.0, by["torch-fp32"].MaxAbsDiffVsBaseline);
        Assert.InRange(by["torch-sdpa"].MaxAbsDiffVsBaseline!.Value, 0, 1e-4);
        Assert.InRange(by["onnx-fp32"].MaxAbsDiffVsBaseline!.Value, 0, 1e-4);
        Assert.InRange(by["torch-packed"].MaxAbsDiffVsBaseline!.Value, 0, 1e-4);          // oneDNN's kernel: float32 rounding only
        Assert.InRange(by["torch-bf16"].MaxAbsDiffVsBaseline!.Value, 1e-4, 0.5);               // 8 mantissa bits: visibly rounded
        Assert.InRange(by["onnx-int8"].MaxAbsDiffVsBaseline!.Value, 1e-4, 0.5);
        Assert.Null(by["torch-linears"].MaxAbsDiffVsBaseline);                          // a breakdown row: no output to compare
        foreach (var t in r.Timings)
        {
            Assert.True(t.TokensPerSecond > 0 && t.P50Ms > 0 && t.P99Ms >= t.P50Ms, $"{t.Backend}: {t}");
            Assert.True(t.Calls >= options.Rounds);
        }
        Assert.True(File.Exists(Path.Combine(work, "encoder.int8.onnx")));
        Assert.Equal(InferenceBenchmarkOptions.AllBackends.Count, r.Json["timings"]!.AsArray().Count);
        // The peak is this run's (reset at its start where the kernel allows): never below a resident set read during it.
        Assert.Equal(OperatingSystem.IsLinux() ? CourseKit.Native.ProcessMemory.SinceRunStart : CourseKit.Native.ProcessMemory.SinceProcessStart,
            (string?)r.Json["peak_rss_scope"]);
        Assert.True(r.RssAfterLoadMb.Values.All(rss => rss > 0 && rss <= r.PeakRssMb), $"peak {r.PeakRssMb} MB, after load {string.Join(", ", r.RssAfterLoadMb)}");
    }

    [Fact]
    public void The_linears_row_runs_every_linear_of_the_forward_once_on_the_shape_it_sees_there()
    {
        using var linears = new TorchLinearsBackend("torch-linears", fixture.Folder("encoder"));
        var seen = new List<long[]>();
        foreach (var linear in linears.Linears) linear.register_forward_hook((_, input, output) => { seen.Add(input.shape); return output; });
        var (ids, mask) = InferenceBenchmark.Inputs(Config(), 2, 8, 1);
        Assert.Null(linears.Run(ids, mask, 2, 8, keepOutput: false));

        var config = Config();
        var perLayer = new[] { config.HiddenSize, config.HiddenSize, config.HiddenSize, config.HiddenSize, config.HiddenSize, config.IntermediateSize };
        var expected = Enumerable.Repeat(perLayer, config.NumHiddenLayers).SelectMany(inFeatures => inFeatures.Select(f => new long[] { 16, f })).ToList();
        if (linears.Linears.Count == expected.Count + 1) expected.Add([2, config.HiddenSize]);   // the pooler: one row per sequence
        Assert.Equal(expected.Count, linears.Linears.Count);
        Assert.Equal(expected, seen);

        CourseKit.Models.BertConfig Config() => CourseKit.Models.BertConfig.Load(Path.Combine(fixture.Folder("encoder"), CourseKit.Models.Pretrained.ConfigFile));
    }

    [Fact]
    public void Bench_infer_writes_its_json_for_the_backends_and_shapes_asked()
    {
        var outDir = Path.Combine(fixture.Root, "bench-cli");
        var (output, error) = (new StringWriter(), new StringWriter());
        var code = BenchVerb.Create().Parse(["infer", "--model", fixture.Folder("encoder"), "--backends", "torch-fp32,onnx-fp32",
            "--shapes", "1x8,2x8", "--threads", "1", "--out", outDir]).Invoke(new InvocationConfiguration { Output = output, Error = error });
        Assert.True(code == 0, error.ToString());
        var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "infer.json"))).RootElement;
        var rows = json.GetProperty("timings").EnumerateArray().Select(t => (t.GetProperty("backend").GetString(), t.GetProperty("batch").GetInt32())).ToList();
        Assert.Equal([("torch-fp32", 1), ("onnx-fp32", 1), ("torch-fp32", 2), ("onnx-fp32", 2)], rows);
        Assert.Contains("tokens/s", output.ToString());

        code = BenchVerb.Create().Parse(["infer", "--model", fixture.Folder("encoder"), "--backends", "torch-fp32,tensorrt", "--out", outDir])
            .Invoke(new InvocationConfiguration { Output = output, Error = error });
        Assert.Equal(1, code);
        Assert.Contains("unknown tensorrt", error.ToString());
    }
}
