using System.CommandLine;
using System.Text.Json;
using CourseKit.Benchmarks;
using CourseKit.Cli.Verbs;
using CourseKit.Tests.Checkpoints;

namespace CourseKit.Tests.Benchmarks;

/// <summary><see cref="InferenceBenchmark"/> and <c>course bench infer</c> on the tiny random BERT: every backend timed
/// on the same batch, each one's output checked against TorchSharp float32.</summary>
[Collection(Models.TorchGlobalRngCollection.Name)]
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
        Assert.InRange(by["torch-sdpa"].MaxAbsDiffVsBaseline, 0, 1e-4);
        Assert.InRange(by["onnx-fp32"].MaxAbsDiffVsBaseline, 0, 1e-4);
        Assert.InRange(by["torch-bf16"].MaxAbsDiffVsBaseline, 1e-4, 0.5);               // 8 mantissa bits: visibly rounded
        Assert.InRange(by["onnx-int8"].MaxAbsDiffVsBaseline, 1e-4, 0.5);
        foreach (var t in r.Timings)
        {
            Assert.True(t.TokensPerSecond > 0 && t.P50Ms > 0 && t.P99Ms >= t.P50Ms, $"{t.Backend}: {t}");
            Assert.True(t.Calls >= options.Rounds);
        }
        Assert.True(File.Exists(Path.Combine(work, "encoder.int8.onnx")));
        Assert.Equal(5, r.Json["timings"]!.AsArray().Count);
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
