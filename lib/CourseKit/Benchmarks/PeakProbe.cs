using System.Text.Json.Nodes;
using CourseKit.Models;
using CourseKit.Native;
using TorchSharp;

namespace CourseKit.Benchmarks;

/// <summary>One matmul shape of the probe: [M, K] × [K, N].</summary>
public sealed record GemmShape(string Name, int M, int K, int N);

/// <summary>
/// The matmul peak (fp32, or bf16 for bf16 steps) a benchmark reads MFU against, sampled several times during the run (before the timed steps,
/// between rounds, after) on a square shape and on the shapes the model itself multiplies, each for a sustained time.
/// The peak is the highest window seen in the whole run: a neighbour that slowed one sample cannot lower it, and a
/// step that ran in a quiet moment is compared with a probe that also saw a quiet moment.
/// </summary>
public sealed class PeakProbe
{
    readonly List<(string When, string Shape, double Gflops)> _windows = [];

    public PeakProbe(IReadOnlyList<GemmShape> shapes, double secondsPerShape, int threads = 0, torch.ScalarType dtype = torch.ScalarType.Float32)
    {
        if (shapes.Count == 0) throw new ArgumentException("the probe needs at least one shape", nameof(shapes));
        Shapes = shapes;
        SecondsPerShape = secondsPerShape;
        Threads = threads;
        Dtype = dtype;
    }

    public IReadOnlyList<GemmShape> Shapes { get; }
    public double SecondsPerShape { get; }
    /// <summary>Torch threads the probe runs with (0 = leave as set), so a peak is read at the steps' thread count.</summary>
    public int Threads { get; }
    /// <summary>The matmul's element type: fp32 for MFU, bf16 for the peak a bf16 step is read against.</summary>
    public torch.ScalarType Dtype { get; }

    /// <summary>A square 1024³ matmul and a BERT layer's projections at <paramref name="tokens"/> rows (batch × sequence):
    /// Q/K/V/output [T, H] × [H, H], FFN up [T, H] × [H, I] and down [T, I] × [I, H].</summary>
    public static IReadOnlyList<GemmShape> ForBert(BertConfig c, int tokens) =>
    [
        new("square 1024", 1024, 1024, 1024),
        new("attention projection", tokens, c.HiddenSize, c.HiddenSize),
        new("FFN up", tokens, c.HiddenSize, c.IntermediateSize),
        new("FFN down", tokens, c.IntermediateSize, c.HiddenSize),
    ];

    /// <summary>Runs every shape once for <see cref="SecondsPerShape"/>; <paramref name="when"/> labels the sample.</summary>
    public void Sample(string when)
    {
        if (Threads > 0) torch.set_num_threads(Threads);
        foreach (var s in Shapes)
            foreach (var rate in GemmProbe.SustainedGflops(s.M, s.K, s.N, SecondsPerShape, dtype: Dtype))
                _windows.Add((when, s.Name, rate));
    }

    /// <summary>The highest window seen so far, in GFLOP/s.</summary>
    public double Peak => _windows.Count == 0 ? throw new InvalidOperationException("the probe has not been sampled") : _windows.Max(w => w.Gflops);

    /// <summary>The best window of each sample (one per <see cref="Sample"/> call): how far the machine moved during the run.</summary>
    public SampleSummary PerSample => SampleSummary.Of(_windows.GroupBy(w => w.When).Select(g => g.Max(w => w.Gflops)));

    /// <summary>The best window of each shape over the run.</summary>
    public IReadOnlyDictionary<string, double> PerShape => _windows.GroupBy(w => w.Shape).ToDictionary(g => g.Key, g => g.Max(w => w.Gflops));

    public JsonObject ToJson() => new()
    {
        ["peak_gflops"] = Math.Round(Peak, 2),
        ["threads"] = Threads > 0 ? Threads : torch.get_num_threads(),
        ["dtype"] = Dtype.ToString().ToLowerInvariant(),
        ["seconds_per_shape"] = SecondsPerShape,
        ["samples"] = _windows.Select(w => w.When).Distinct().Count(),
        ["best_window_per_sample_gflops"] = PerSample.ToJson(2),
        ["best_window_per_shape_gflops"] = new JsonObject(PerShape.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)Math.Round(kv.Value, 2)))),
        ["shapes"] = new JsonArray(Shapes.Select(s => (JsonNode)new JsonObject { ["name"] = s.Name, ["m"] = s.M, ["k"] = s.K, ["n"] = s.N }).ToArray()),
        ["method"] = "matmuls repeated for seconds_per_shape per shape at every sample (before, between rounds, after); " +
                     "GFLOP/s per window of >= 0.25 s; the peak is the highest window of the run",
    };
}
