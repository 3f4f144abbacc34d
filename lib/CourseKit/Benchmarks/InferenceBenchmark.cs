using System.Diagnostics;
using System.Text.Json.Nodes;
using CourseKit.Checkpoints;
using CourseKit.Models;
using CourseKit.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace CourseKit.Benchmarks;

public sealed record InferenceBenchmarkOptions
{
    /// <summary>The profile's repeats, held here once. Shapes: batch 1 and 32 × sequence 32 and 128 in both.
    /// quick: 3 rounds, full: 7; a round runs every backend once in turn (interleaved), each for at least
    /// <see cref="MinRoundSeconds"/> (so batch 1 gets many calls, batch 32 one or two).</summary>
    public static InferenceBenchmarkOptions For(Profile profile, int seed = 42, int threads = 0) => profile == Profile.Quick
        ? new() { Rounds = 3, MinRoundSeconds = 0.2, Seed = seed, Threads = threads }
        : new() { Rounds = 7, MinRoundSeconds = 1.0, Seed = seed, Threads = threads };

    public IReadOnlyList<(int Batch, int Length)> Shapes { get; init; } = [(1, 32), (1, 128), (32, 32), (32, 128)];
    /// <summary>Backends by name: torch-fp32 (eager attention), torch-sdpa, torch-bf16, onnx-fp32, onnx-int8.</summary>
    public IReadOnlyList<string> Backends { get; init; } = AllBackends;
    public int Rounds { get; init; } = 5;
    public double MinRoundSeconds { get; init; } = 0.5;
    public int Seed { get; init; } = 42;
    /// <summary>CPU threads for torch and ONNX Runtime alike; 0 = each library's default.</summary>
    public int Threads { get; init; }

    public const string Baseline = "torch-fp32";
    public static readonly IReadOnlyList<string> AllBackends = [Baseline, "torch-sdpa", "torch-bf16", "torch-packed", "onnx-fp32", "onnx-int8", "torch-linears"];
}

/// <summary>One backend at one shape: throughput over rounds (min / median / max; <see cref="TokensPerSecond"/> is the
/// median), latencies over every timed call.</summary>
public sealed record InferenceTiming(string Backend, int Batch, int Length, SampleSummary Throughput, double P50Ms, double P99Ms,
    int Calls, double? MaxAbsDiffVsBaseline, double SpeedupVsBaseline)
{
    public double TokensPerSecond => Throughput.Median;
}

public sealed record InferenceBenchmarkResult(IReadOnlyList<InferenceTiming> Timings, IReadOnlyDictionary<string, double> RssAfterLoadMb,
    double PeakRssMb, JsonObject Json);

/// <summary>
/// Inference speed of the same encoder weights through TorchSharp (fp32 eager, fp32 SDPA, bf16) and ONNX Runtime
/// (fp32 and int8 exports of the folder), on the same random token ids. Ratios are against TorchSharp fp32 measured in
/// the same run, with the backends interleaved round by round so a change in machine load hits them all alike.
/// Memory: the process's resident set after each backend is loaded and warmed up (backends are loaded one after
/// another and kept, so the figures accumulate) and its peak. One process holds every backend, so a backend's own peak
/// is the peak of a run with that backend alone (the ONNX ones include their export).
/// </summary>
public static class InferenceBenchmark
{
    public static InferenceBenchmarkResult Run(string modelDir, string workDir, InferenceBenchmarkOptions o, TextWriter? log = null)
    {
        if (o.Threads > 0) torch.set_num_threads(o.Threads);
        var config = BertConfig.Load(Path.Combine(modelDir, Pretrained.ConfigFile));
        var environmentBefore = BenchEnvironment.Capture();
        string peakScope = ProcessMemory.ResetPeak();                 // the peak is this benchmark's, not the process's so far
        var backends = new List<IInferenceBackend>();
        var loadRss = new Dictionary<string, double>();
        try
        {
            foreach (var name in o.Backends)
            {
                var backend = Create(name, modelDir, workDir, o.Threads);
                var (b, t) = o.Shapes.MaxBy(s => s.Batch * s.Length);
                var (ids, mask) = Inputs(config, b, t, o.Seed);
                backend.Run(ids, mask, b, t, keepOutput: false);                              // warm-up at the largest shape
                loadRss[name] = RssMb();
                backends.Add(backend);
                log?.WriteLine($"  loaded {name} (process resident set {loadRss[name]:F0} MB)");
            }
            var timings = o.Shapes.SelectMany(s => TimeShape(backends, config, s.Batch, s.Length, o, log)).ToList();
            double peak = ProcessMemory.PeakBytes() / 1048576.0;
            var json = ToJson(modelDir, config, o, timings, loadRss, peak);
            json["peak_rss_scope"] = peakScope;
            json["environment_before"] = environmentBefore;
            json["environment_after"] = BenchEnvironment.Capture();
            return new InferenceBenchmarkResult(timings, loadRss, peak, json);
        }
        finally
        {
            foreach (var b in backends) b.Dispose();
        }
    }

    static IInferenceBackend Create(string name, string modelDir, string workDir, int threads)
    {
        string Export(bool int8)
        {
            var path = Path.Combine(workDir, int8 ? "encoder.int8.onnx" : "encoder.onnx");
            OnnxExport.ExportFolder(modelDir, path, new OnnxExportOptions { Int8 = int8 });
            return path;
        }
        return name switch
        {
            "torch-fp32" => new TorchBackend(name, modelDir, AttentionImplementation.Eager),
            "torch-sdpa" => new TorchBackend(name, modelDir, AttentionImplementation.Sdpa),
            "torch-bf16" => new TorchBackend(name, modelDir, AttentionImplementation.Eager, ScalarType.BFloat16),
            "torch-packed" => new TorchBackend(name, modelDir, AttentionImplementation.Eager, packLinears: true),
            "onnx-fp32" => new OnnxBackend(name, Export(false), threads),
            "onnx-int8" => new OnnxBackend(name, Export(true), threads),
            "torch-linears" => new TorchLinearsBackend(name, modelDir),
            _ => throw new ArgumentException($"unknown inference backend '{name}'; known: {string.Join(", ", InferenceBenchmarkOptions.AllBackends)}"),
        };
    }

    /// <summary>Random ids (seeded by shape, so every backend sees the same batch) avoiding the first 1,000 vocabulary
    /// entries (BERT's special and unused tokens); no padding.</summary>
    public static (long[] Ids, long[] Mask) Inputs(BertConfig config, int batch, int length, int seed)
    {
        var rng = new Random(HashCode.Combine(seed, batch, length));
        int low = Math.Min(1000, config.VocabSize / 2);
        var ids = Enumerable.Range(0, batch * length).Select(_ => (long)rng.Next(low, config.VocabSize)).ToArray();
        return (ids, Enumerable.Repeat(1L, batch * length).ToArray());
    }

    /// <summary>Times <paramref name="backends"/> at one shape on the same random ids (drawn for <paramref name="config"/>'s
    /// vocabulary), interleaved round by round; the first backend is the baseline of the ratios. Any model can take part
    /// through an <see cref="IInferenceBackend"/> (<see cref="ModuleBackend"/> for one already in memory).</summary>
    public static IEnumerable<InferenceTiming> TimeShape(IReadOnlyList<IInferenceBackend> backends, BertConfig config, int batch, int length,
        InferenceBenchmarkOptions o, TextWriter? log = null)
    {
        var (ids, mask) = Inputs(config, batch, length, o.Seed);
        var reference = backends[0].Run(ids, mask, batch, length, keepOutput: true)!;
        var diffs = backends.Select(b => b.ComputesOutput ? MaxAbsDiff(reference, b.Run(ids, mask, batch, length, keepOutput: true)!)
            : WarmUp(b)).ToList();
        double? WarmUp(IInferenceBackend b) { b.Run(ids, mask, batch, length, keepOutput: false); return null; }
        var latencies = backends.Select(_ => new List<double>()).ToList();
        // One round = every backend once, each for at least MinRoundSeconds (A B C … A B C …).
        var throughputs = Interleaving.Run(backends.Select((backend, i) => (Func<double>)(() =>
        {
            var clock = Stopwatch.StartNew();
            int calls = 0;
            do
            {
                var call = Stopwatch.StartNew();
                backend.Run(ids, mask, batch, length, keepOutput: false);
                latencies[i].Add(call.Elapsed.TotalMilliseconds);
                calls++;
            } while (clock.Elapsed.TotalSeconds < o.MinRoundSeconds);
            return calls * batch * length / clock.Elapsed.TotalSeconds;
        })).ToList(), warmupRounds: 0, rounds: o.Rounds);
        double baseline = SampleSummary.Of(throughputs[0]).Median;
        for (int i = 0; i < backends.Count; i++)
        {
            var throughput = SampleSummary.Of(throughputs[i]);
            var t = new InferenceTiming(backends[i].Name, batch, length, throughput, SampleSummary.Percentile(latencies[i], 0.50),
                SampleSummary.Percentile(latencies[i], 0.99), latencies[i].Count, diffs[i], throughput.Median / baseline);
            log?.WriteLine($"  {t.Backend,-13} {batch,3}×{length,-4} tokens/s {throughput.Format("F0"),-24} p50 {t.P50Ms,8:F1} ms  p99 {t.P99Ms,8:F1} ms  ×{t.SpeedupVsBaseline:F2}");
            yield return t;
        }
    }

    static double? MaxAbsDiff(float[] a, float[] b) => a.Zip(b, (x, y) => (double)Math.Abs(x - y)).Max();

    static double RssMb() => ProcessMemory.ResidentAfterCollect() / 1048576.0;

    static JsonObject ToJson(string modelDir, BertConfig config, InferenceBenchmarkOptions o, List<InferenceTiming> timings,
        Dictionary<string, double> loadRss, double peak) => new()
    {
        ["model"] = modelDir,
        ["architecture"] = $"{config.NumHiddenLayers} layers, hidden {config.HiddenSize}, {config.NumAttentionHeads} heads, FFN {config.IntermediateSize}",
        ["threads"] = o.Threads > 0 ? o.Threads : torch.get_num_threads(),
        ["rounds"] = o.Rounds,
        ["min_round_seconds"] = o.MinRoundSeconds,
        ["seed"] = o.Seed,
        ["baseline"] = InferenceBenchmarkOptions.Baseline,
        ["method"] = "backends interleaved round by round; tokens/s = min / median / max over rounds; p50/p99 over every timed call; " +
                     "speedup = tokens/s ÷ the baseline's in the same run; max_abs_diff = last_hidden_state vs the baseline on the same batch",
        ["rss_after_load_mb"] = new JsonObject(loadRss.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)Math.Round(kv.Value, 1)))),
        ["peak_rss_mb"] = Math.Round(peak, 1),
        ["timings"] = new JsonArray(timings.Select(t => (JsonNode)new JsonObject
        {
            ["backend"] = t.Backend, ["batch"] = t.Batch, ["sequence"] = t.Length,
            ["tokens_per_second"] = Math.Round(t.TokensPerSecond, 1), ["tokens_per_second_summary"] = t.Throughput.ToJson(1), ["p50_ms"] = Math.Round(t.P50Ms, 3), ["p99_ms"] = Math.Round(t.P99Ms, 3),
            ["calls"] = t.Calls, ["speedup_vs_baseline"] = Math.Round(t.SpeedupVsBaseline, 3), ["max_abs_diff"] = t.MaxAbsDiffVsBaseline,
        }).ToArray()),
    };
}
