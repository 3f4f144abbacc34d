using System.CommandLine;
using System.Globalization;
using CourseKit.Checkpoints;
using CourseKit.Models;
using CourseKit.Native;

namespace CourseKit.Cli.Verbs;

/// <summary><c>course model export-onnx DIR --out FILE.onnx [--head ...] [--int8]</c>: a Hugging Face BERT folder as an
/// ONNX graph that ONNX Runtime runs (<see cref="OnnxExport"/>); <c>course model prune DIR --out DIR --sparsity S | --heads S</c>:
/// magnitude or attention-head pruning into a new folder (<see cref="MagnitudePruning"/>, <see cref="HeadPruning"/>).</summary>
public static class ModelExportCommands
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static IEnumerable<Command> Create() => [CreateExportOnnx(), CreatePrune()];

    static Command CreatePrune()
    {
        var dir = new Argument<string>("dir") { Description = "Model folder: config.json and model.safetensors." };
        var outDir = new Option<string>("--out") { Description = "The pruned model folder to write.", Required = true };
        var sparsity = new Option<double?>("--sparsity") { Description = "Magnitude pruning: share of each encoder Linear weight set to zero, smallest |w| first (0 to 1)." };
        var heads = new Option<double?>("--heads") { Description = "Head pruning: share of all attention heads removed, least important first (0 to 1; each layer keeps one)." };
        var cmd = new Command("prune", "Prune into a new Hugging Face folder: magnitude (--sparsity, unstructured) or attention heads (--heads, structured); for accuracy-vs-sparsity, not speed.")
            { dir, outDir, sparsity, heads };
        cmd.SetAction(parse => VerbActions.Run(parse, out_ =>
        {
            TorchRuntime.Initialize();
            switch (parse.GetValue(sparsity), parse.GetValue(heads))
            {
                case (double s, null):
                    var r = MagnitudePruning.Prune(parse.GetValue(dir)!, parse.GetValue(outDir)!, s);
                    out_.WriteLine($"wrote {r.Directory}: {r.PrunedWeights.ToString("N0", Inv)} weights zeroed in {r.Matrices} matrices (sparsity {r.Sparsity.ToString("0.000", Inv)})");
                    break;
                case (null, double h):
                    var p = HeadPruning.Prune(parse.GetValue(dir)!, parse.GetValue(outDir)!, h);
                    out_.WriteLine($"wrote {p.Directory}: {p.PrunedHeads.Count} of {p.TotalHeads} attention heads removed ({HeadPruning.FileName} lists them)");
                    break;
                default:
                    throw new ArgumentException("give exactly one of --sparsity (magnitude) or --heads (attention heads)");
            }
            return 0;
        },
           (ex, message) => ex is ArgumentOutOfRangeException ? "--sparsity and --heads must be at least 0 and below 1" : message));
        return cmd;
    }

    static Command CreateExportOnnx()
    {
        var dir = new Argument<string>("dir") { Description = "Model folder: config.json and model.safetensors." };
        var outFile = new Option<string>("--out") { Description = "The .onnx file to write.", Required = true };
        var head = new Option<string>("--head")
        {
            Description = $"What the graph outputs: {string.Join(" | ", OnnxExportHeads.Names)} (default encoder).",
            DefaultValueFactory = _ => "encoder",
        };
        var int8 = new Option<bool>("--int8") { Description = "Encoder Linear weights as int8 per output channel; activations quantized at run time (ONNX Runtime's dynamic quantization)." };
        var pooling = new Option<string?>("--pooling") { Description = "Embedding head pooling: mean | cls (default: the folder's 1_Pooling/config.json, else mean)." };
        var cmd = new Command("export-onnx", "Export a BERT folder (encoder or a task head) to ONNX (opset 17, dynamic batch and sequence axes).")
            { dir, outFile, head, int8, pooling };
        cmd.SetAction(parse => VerbActions.Run(parse, out_ =>
        {
            var options = new OnnxExportOptions
            {
                Head = OnnxExportHeads.Parse(parse.GetValue(head)!),
                Int8 = parse.GetValue(int8),
                Pooling = parse.GetValue(pooling) switch
                {
                    null => null,
                    "mean" => SentencePooling.Mean,
                    "cls" => SentencePooling.Cls,
                    var other => throw new ArgumentException($"--pooling: '{other}' is not mean or cls"),
                },
            };
            TorchRuntime.Initialize();
            var r = OnnxExport.ExportFolder(parse.GetValue(dir)!, parse.GetValue(outFile)!, options);
            out_.WriteLine($"wrote {r.Path}");
            out_.WriteLine($"  head {OnnxExportHeads.Name(r.Head)}{(r.Int8 ? ", int8 encoder weights" : "")}: inputs {string.Join(", ", OnnxExport.InputNames)} " +
                           $"[batch, sequence] -> {string.Join(", ", r.Outputs)}");
            out_.WriteLine($"  {r.Nodes.ToString("N0", Inv)} nodes, {r.Parameters.ToString("N0", Inv)} parameters, {(r.Bytes / 1048576.0).ToString("0.0", Inv)} MiB, " +
                           $"opset {OnnxGraphBuilder.Opset}, took {r.Elapsed.TotalSeconds.ToString("0.0", Inv)} s");
            return 0;
        }));
        return cmd;
    }
}
