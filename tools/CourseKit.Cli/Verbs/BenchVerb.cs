using System.CommandLine;

namespace CourseKit.Cli.Verbs;

/// <summary><c>course bench train</c>: training throughput, MFU, fp32 vs bf16, fused vs explicit attention (<see cref="BenchTrainCommand"/>);
/// <c>course bench infer</c>: inference speed of TorchSharp against ONNX Runtime (<see cref="BenchInferCommand"/>);
/// <c>course bench accuracy</c>: what bf16 and int8 cost a fine-tuned model (<see cref="BenchAccuracyCommand"/>).</summary>
public static class BenchVerb
{
    public static Command Create() =>
        new Command("bench", "Benchmarks (no assertions; numbers to compare machines).") { BenchTrainCommand.Create(), BenchInferCommand.Create(), BenchServeCommand.Create(), BenchAccuracyCommand.Create() };
}
