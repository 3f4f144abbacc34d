using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using CourseKit.Benchmarks;
using CourseKit.Native;
using CourseKit.Training;

namespace CourseKit.Cli.Verbs;

/// <summary><c>course bench train [--profile quick|full] [--threads N] [--loss-curve-steps N] [--no-attention] [--out DIR]</c>:
/// training-step throughput and MFU in fp32 and bf16, min / median / max; fused vs explicit attention; bf16 loss curve.</summary>
static class BenchTrainCommand
{
    public static Command Create()
    {
        var run = new RunOptions("artifacts/bench");
        var lossSteps = new Option<int>("--loss-curve-steps")
        {
            Description = "Also pretrain the small BERT this many steps in fp32 and in bf16 (quick recipe, same seed) and compare the loss curves (0 = skip).",
            DefaultValueFactory = _ => 0,
        };
        var noAttention = new Option<bool>("--no-attention") { Description = "Skip the fused vs explicit attention timings." };
        var cmd = new Command("train", "Small-BERT pretraining step at batch 16 × 128: tokens/s and MFU against a matmul peak probed through the run, fp32 vs bf16 interleaved (full: threads 1 and 2); fused vs explicit attention.")
        { lossSteps, noAttention };
        run.AddTo(cmd);
        cmd.SetAction(parse => VerbActions.Run(parse, _ =>
        {
            TorchRuntime.Initialize();
            run.ApplyThreads(parse);
            var options = TrainingBenchmarkOptions.For(parse.GetValue(run.Profile));
            if (parse.GetValue(run.Threads) > 0) options = options with { ThreadCounts = [parse.GetValue(run.Threads)] };
            if (parse.GetValue(noAttention)) options = options with { AttentionLengths = [] };
            Console.WriteLine($"{BenchEnvironment.DescribeLoad()}; CPU {BenchEnvironment.Capture()["cpu_model"]}");
            var r = TrainingBenchmark.Run(options);
            Print(r, options);
            var json = r.Json;
            if (parse.GetValue(lossSteps) is > 0 and var steps) json["loss_curves"] = PrintLossCurves(PrecisionLossCurves.Run(steps, parse.GetValue(run.Seed)));
            var outDir = run.OutDir(parse);
            Directory.CreateDirectory(outDir);
            var path = Path.Combine(outDir, "bench.json");
            Checkpoints.AtomicFile.WriteAllText(path, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
            Console.WriteLine($"{BenchEnvironment.DescribeLoad()} at the end; wrote {path}");
            return 0;
        }));
        return cmd;
    }

    static void Print(TrainingBenchmarkResult r, TrainingBenchmarkOptions o)
    {
        foreach (var (dtype, peaks) in new[] { ("fp32", r.Peaks), ("bf16", r.Bf16Peaks) })
            foreach (var (threads, probe) in peaks)
                Console.WriteLine($"{dtype} matmul peak, {threads} thread(s): {probe.Peak:F1} GFLOP/s (best window of {probe.PerSample.Count} samples; " +
                                  $"per-sample best min / median / max {probe.PerSample.Format()}; by shape: " +
                                  string.Join(", ", probe.PerShape.Select(kv => $"{kv.Key} {kv.Value:F1}")) + ")");
        Console.WriteLine($"small BERT ({r.Parameters:N0} parameters), batch {o.BatchSize} × {o.SequenceLength}, {o.TimedSteps} timed steps per variant, interleaved; " +
                          "figures are min / median / max over steps");
        Console.WriteLine($"{"variant",-18} {"ms/step",-22} {"tokens/s",-24} {"vs fp32",8}  {"of fp32 peak",12}  MFU (against its precision's peak)");
        foreach (var v in r.Variants)
            Console.WriteLine($"{v.Name,-18} {v.StepSeconds.Scale(1000).Format("F0"),-22} {v.TokensPerSecond.Format("F0"),-24} {v.SpeedupVsFp32,7:F2}×  " +
                              $"{v.MfuOfFp32Peak,12:P1}  {v.Mfu.Format()}");
        Console.WriteLine($"  FLOPs: {TrainingBenchmark.FlopsFormula}");
        if (r.Attention.Count == 0) return;
        Console.WriteLine($"{"what",-14} {"seq",5} {"batch",5} {"explicit ms",20} {"fused ms",20} {"explicit/fused",15}");
        foreach (var a in r.Attention)
            Console.WriteLine($"{a.What,-14} {a.SequenceLength,5} {a.BatchSize,5} {a.Explicit.Format(),20} {a.Fused.Format(),20} {a.Speedup,15:F2}");
    }

    static JsonObject PrintLossCurves(IReadOnlyList<LossCurve> curves)
    {
        Console.WriteLine($"masked-LM loss, same run in fp32 and bf16 (quick recipe, {curves[0].TrainLoss.Count} logged points):");
        Console.WriteLine($"{"step",6} {"fp32",8} {"bf16",8}");
        foreach (var (a, b) in curves[0].TrainLoss.Zip(curves[1].TrainLoss))
            Console.WriteLine($"{a.Step,6} {a.Loss,8:F4} {b.Loss,8:F4}");
        Console.WriteLine($"held-out loss fp32 {curves[0].HeldOutLoss:F4}, bf16 {curves[1].HeldOutLoss:F4}; largest relative gap on the curve " +
                          $"{PrecisionLossCurves.MaxRelativeGap(curves[0], curves[1]):P2}; tokens/s (sequential runs) fp32 {curves[0].TokensPerSecond:F0}, bf16 {curves[1].TokensPerSecond:F0}");
        return PrecisionLossCurves.ToJson(curves);
    }
}
