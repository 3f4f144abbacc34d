using System.CommandLine;
using System.Text.Json;
using CourseKit.Native;
using CourseKit.Benchmarks;

namespace CourseKit.Cli.Verbs;

/// <summary><c>course bench train [--profile quick|full] [--out DIR]</c>: training throughput, MFU, fused vs explicit attention;
/// <c>course bench infer</c>: inference speed of TorchSharp against ONNX Runtime (<see cref="BenchInferCommand"/>).</summary>
public static class BenchVerb
{
    public static Command Create()
    {
        var run = new RunOptions("artifacts/bench");
        var train = new Command("train", "Tokens/s and MFU of the small-BERT pretraining step at sequence 128; fused vs explicit attention at 128 and 512.");
        run.AddTo(train);
        train.SetAction(parse =>
        {
            TorchRuntime.Initialize();
            run.ApplyThreads(parse);
            var options = TrainingBenchmarkOptions.For(parse.GetValue(run.Profile));
            var r = TrainingBenchmark.Run(options);
            Console.WriteLine($"fp32 GEMM peak ({TorchThreads()} threads): {r.GemmGflops:F1} GFLOP/s");
            Console.WriteLine($"small BERT ({r.Parameters:N0} parameters), batch {options.BatchSize} × {options.SequenceLength}: " +
                              $"{r.StepSeconds * 1000:F0} ms/step, {r.TokensPerSecond:F0} tokens/s, {r.AchievedGflops:F1} model GFLOP/s, MFU {r.Mfu:P1}");
            Console.WriteLine($"  FLOPs: {TrainingBenchmark.FlopsFormula}");
            Console.WriteLine($"{"what",-14} {"seq",5} {"batch",5} {"explicit ms",12} {"fused ms",10} {"explicit/fused",15}");
            foreach (var a in r.Attention)
                Console.WriteLine($"{a.What,-14} {a.SequenceLength,5} {a.BatchSize,5} {a.ExplicitMs,12:F1} {a.FusedMs,10:F1} {a.Speedup,15:F2}");
            var outDir = run.OutDir(parse);
            Directory.CreateDirectory(outDir);
            var path = Path.Combine(outDir, "bench.json");
            File.WriteAllText(path, r.Json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
            Console.WriteLine($"wrote {path}");
            return 0;
        });
        var cmd = new Command("bench", "Benchmarks (no assertions; numbers to compare machines).") { train, BenchInferCommand.Create(), BenchServeCommand.Create() };
        return cmd;
    }

    static int TorchThreads() => TorchSharp.torch.get_num_threads();
}
