using Microsoft.Data.Analysis;
using static TorchSharp.torch;

namespace CourseKit.Models;

/// <summary>How many parameters a model has and where they sit. Shared (tied) tensors count once, as in HF's num_parameters.</summary>
public static class ParameterCounts
{
    public static long Total(nn.Module model) => model.parameters().Sum(p => p.numel());

    public static long Trainable(nn.Module model) => model.parameters().Where(p => p.requires_grad).Sum(p => p.numel());

    /// <summary>One row per module path cut at <paramref name="depth"/> dot-separated parts (depth 1: "embeddings",
    /// "encoder", "pooler"; depth 3: "encoder.layer.0", …), in model order: module, parameters, share %.</summary>
    public static DataFrame ByModule(nn.Module model, int depth = 1)
    {
        if (depth < 1) throw new ArgumentOutOfRangeException(nameof(depth), depth, "depth must be at least 1");
        var counts = new List<(string module, long count)>();
        foreach (var (name, p) in model.named_parameters())
        {
            var parts = name.Split('.');
            var modulePath = parts.Length == 1 ? "(root)" : string.Join('.', parts[..^1].Take(depth));
            var i = counts.FindIndex(c => c.module == modulePath);
            if (i < 0) counts.Add((modulePath, p.numel()));
            else counts[i] = (modulePath, counts[i].count + p.numel());
        }
        double total = Math.Max(1, counts.Sum(c => c.count));
        return new DataFrame(
            new StringDataFrameColumn("module", counts.Select(c => c.module)),
            new Int64DataFrameColumn("parameters", counts.Select(c => c.count)),
            new DoubleDataFrameColumn("share %", counts.Select(c => Math.Round(100.0 * c.count / total, 2))));
    }
}
