using System.Text.RegularExpressions;
using CourseKit.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace CourseKit.Checkpoints;

/// <summary>What a pruning wrote: the folder and the share of the pruned matrices' weights that are now zero.</summary>
public sealed record PruningResult(string Directory, double Sparsity, int Matrices, long PrunedWeights);

/// <summary>
/// Unstructured magnitude pruning (Han et al. 2015): in every encoder Linear weight (attention Q/K/V/output, FFN) the
/// <c>sparsity</c> share with the smallest |w| is set to zero, matrix by matrix; embeddings, LayerNorms, biases, the
/// pooler and task heads are kept. The pruned model is a normal Hugging Face folder (the zeros are stored densely), so
/// every path of the kit and the ONNX export run it unchanged: dense CPU kernels do not skip zeros, so this buys
/// accuracy-vs-sparsity insight and compressibility, not speed.
/// </summary>
public static partial class MagnitudePruning
{
    [GeneratedRegex(@"(^|\.)encoder\.layer\.\d+\.(attention\.self\.(query|key|value)|attention\.output\.dense|intermediate\.dense|output\.dense)\.weight$")]
    private static partial Regex EncoderLinearWeight();

    public static bool IsPruned(string tensorName) => EncoderLinearWeight().IsMatch(tensorName);

    /// <summary>Copies <paramref name="modelDir"/> to <paramref name="targetDir"/> with its encoder Linear weights pruned.</summary>
    public static PruningResult Prune(string modelDir, string targetDir, double sparsity)
    {
        if (sparsity is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(sparsity), sparsity, "sparsity must be in [0, 1)");
        PrunedFolder.CopyAllButWeights(modelDir, targetDir);
        using var scope = NewDisposeScope();
        var tensors = SafeTensorsFile.Load(Path.Combine(modelDir, Pretrained.WeightsFile));
        int matrices = 0;
        long pruned = 0, total = 0;
        using (no_grad())
            foreach (var (name, weight) in tensors)
            {
                if (!IsPruned(name)) continue;
                long k = (long)Math.Floor(sparsity * weight.numel());
                matrices++;
                total += weight.numel();
                if (k == 0) continue;
                // The k-th smallest magnitude is the threshold; ties at it are pruned too only up to k (sort order).
                var order = weight.abs().flatten().argsort();
                weight.view(-1).index_fill_(0, order.narrow(0, 0, k), 0.0);
                pruned += k;
            }
        if (matrices == 0) throw new InvalidDataException($"{modelDir}: no encoder Linear weights (encoder.layer.N.*.weight) to prune");
        SafeTensorsFile.Save(Path.Combine(targetDir, Pretrained.WeightsFile), tensors, new Dictionary<string, string> { ["format"] = "pt" });
        return new PruningResult(Path.GetFullPath(targetDir), total == 0 ? 0 : pruned / (double)total, matrices, pruned);
    }
}
