using System.CommandLine;
using System.Text.Json;
using CourseKit.Benchmarks;
using CourseKit.Checkpoints;
using CourseKit.Native;

namespace CourseKit.Cli.Verbs;

/// <summary><c>course bench infer [--model DIR] [--backends ...] [--profile] [--seed] [--out] [--threads]</c>: the same
/// encoder through TorchSharp fp32 / SDPA / bf16 and ONNX Runtime fp32 / int8 (<see cref="InferenceBenchmark"/>).</summary>
public static class BenchInferCommand
{
    public static Command Create()
    {
        var run = new RunOptions("artifacts/bench/infer");
        var model = new Option<string?>("--model") { Description = "BERT folder (default all-MiniLM-L6-v2, imported on first use)." };
        var backends = new Option<string>("--backends")
        {
            Description = $"Comma-separated, the first is the baseline: {string.Join(",", InferenceBenchmarkOptions.AllBackends)} (the default).",
            DefaultValueFactory = _ => string.Join(",", InferenceBenchmarkOptions.AllBackends),
        };
        var shapes = new Option<string?>("--shapes") { Description = "Batch×sequence shapes, comma-separated (default 1x32,1x128,32x32,32x128)." };
        var cmd = new Command("infer", "Inference tokens/s, p50/p99 latency and memory: TorchSharp fp32/SDPA/bf16 vs ONNX Runtime fp32/int8, batch 1 and 32 × sequence 32 and 128.")
            { model, backends, shapes };
        run.AddTo(cmd);
        cmd.SetAction(parse => VerbActions.Run(parse, out_ =>
        {
            TorchRuntime.Initialize();
            MallocTuning.Ensure(AllocatorUse.Inference);                  // forwards in a loop: activations stay in the heap (see MallocTuning)
            var dir = parse.GetValue(model) ?? ImportedEncoders.EnsureDefault();
            var names = parse.GetValue(backends)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var unknown = names.Where(n => !InferenceBenchmarkOptions.AllBackends.Contains(n)).ToList();
            if (unknown.Count > 0) throw new ArgumentException($"--backends: unknown {string.Join(", ", unknown)}; known: {string.Join(",", InferenceBenchmarkOptions.AllBackends)}");
            var options = InferenceBenchmarkOptions.For(parse.GetValue(run.Profile), parse.GetValue(run.Seed), parse.GetValue(run.Threads)) with { Backends = names };
            if (parse.GetValue(shapes) is { } given) options = options with { Shapes = ParseShapes(given) };
            var outDir = run.OutDir(parse);
            Directory.CreateDirectory(outDir);
            out_.WriteLine($"{dir}: {options.Rounds} interleaved rounds, threads {(options.Threads > 0 ? options.Threads : TorchSharp.torch.get_num_threads())}, {BenchEnvironment.DescribeLoad()}");
            var r = InferenceBenchmark.Run(dir, outDir, options, out_);
            out_.WriteLine($"{"backend",-13} {"shape",8} {"tokens/s min / median / max",-28} {"p50 ms",8} {"p99 ms",8} {"×" + names[0],12} {"max|diff|",10}");
            foreach (var t in r.Timings)
                out_.WriteLine($"{t.Backend,-13} {$"{t.Batch}×{t.Length}",8} {t.Throughput.Format("F0"),-28} {t.P50Ms,8:F1} {t.P99Ms,8:F1} {t.SpeedupVsBaseline,12:F2} {(t.MaxAbsDiffVsBaseline is double d ? d.ToString("G2") : "—"),10}");
            out_.WriteLine($"process resident set after loading each backend, cumulative (MB): {string.Join(", ", r.RssAfterLoadMb.Select(kv => $"{kv.Key} {kv.Value:F0}"))}; process peak {r.PeakRssMb:F0} MB");
            var path = Path.Combine(outDir, "infer.json");
            Checkpoints.AtomicFile.WriteAllText(path, r.Json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
            out_.WriteLine($"wrote {path}");
            return 0;
        }));
        return cmd;
    }

    static IReadOnlyList<(int Batch, int Length)> ParseShapes(string text) =>
        text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s =>
        {
            var parts = s.Split('x', '×');
            return parts.Length == 2 && int.TryParse(parts[0], out var b) && int.TryParse(parts[1], out var t) && b > 0 && t > 0
                ? (b, t) : throw new ArgumentException($"--shapes: '{s}' is not BATCHxSEQUENCE (e.g. 1x128)");
        }).ToList();
}
