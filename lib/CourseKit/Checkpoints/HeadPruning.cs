using System.Text.Json;
using System.Text.Json.Nodes;
using CourseKit.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace CourseKit.Checkpoints;

/// <summary>What a head pruning wrote: the folder, the heads removed (layer, head), the share of all heads, and
/// <see cref="Sparsity"/>, the share of the encoder's Linear weights that are now zero (comparable with magnitude pruning).</summary>
public sealed record HeadPruningResult(string Directory, IReadOnlyList<(int Layer, int Head)> PrunedHeads, int TotalHeads, double Sparsity)
{
    public double Share => PrunedHeads.Count / (double)TotalHeads;
}

/// <summary>
/// Structured attention-head pruning (Michel et al. 2019, "Are Sixteen Heads Really Better than One?"): the heads with
/// the smallest importance, counted over the whole encoder, are removed by zeroing their query, key and value rows
/// (weights and biases) and their columns of the attention output projection, so the model computes exactly what it
/// would without them. Importance here is data-free: ‖W_V[h]‖·‖W_O[:, h]‖, the size of what the head can add to the
/// residual stream (Michel et al. use gradients on data; a weight norm needs no data and no backward pass). Every layer
/// keeps at least one head. The folder stays a normal Hugging Face folder with the same shapes (so every path of the
/// kit and the ONNX export run it unchanged); <see cref="FileName"/> lists what was removed.
/// </summary>
public static class HeadPruning
{
    public const string FileName = "pruned_heads.json";

    /// <summary>Copies <paramref name="modelDir"/> to <paramref name="targetDir"/> with <paramref name="share"/> of its
    /// attention heads (rounded down) removed, the least important first.</summary>
    public static HeadPruningResult Prune(string modelDir, string targetDir, double share)
    {
        if (share is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(share), share, "the share of heads must be in [0, 1)");
        var config = BertConfig.Load(Path.Combine(modelDir, Pretrained.ConfigFile));
        PrunedFolder.CopyAllButWeights(modelDir, targetDir);
        using var scope = NewDisposeScope();
        var tensors = SafeTensorsFile.Load(Path.Combine(modelDir, Pretrained.WeightsFile));
        var layers = Enumerable.Range(0, config.NumHiddenLayers).Select(l => LayerWeights.Find(tensors, l, modelDir)).ToArray();
        var importance = Importance(layers, config);
        var pruned = Choose(importance, (int)Math.Floor(share * importance.Length));
        using (no_grad())
            foreach (var (layer, head) in pruned) layers[layer].ZeroHead(head, config.HeadDim);
        SafeTensorsFile.Save(Path.Combine(targetDir, Pretrained.WeightsFile), tensors, new Dictionary<string, string> { ["format"] = "pt" });
        WriteList(targetDir, pruned, importance);
        long encoderWeights = tensors.Where(kv => MagnitudePruning.IsPruned(kv.Key)).Sum(kv => kv.Value.numel());
        long zeroed = pruned.Count * 4L * config.HiddenSize * config.HeadDim;   // Q, K, V rows and output columns
        return new HeadPruningResult(Path.GetFullPath(targetDir), pruned, importance.Length, zeroed / (double)encoderWeights);
    }

    /// <summary>‖W_V[h]‖·‖W_O[:, h]‖ of every head, as (layer, head, score).</summary>
    static (int Layer, int Head, double Score)[] Importance(LayerWeights[] layers, BertConfig config)
    {
        int d = config.HeadDim;
        return layers.SelectMany((w, l) => Enumerable.Range(0, config.NumAttentionHeads).Select(h =>
        {
            using var v = w.Value.narrow(0, h * d, d).norm();
            using var o = w.Output.narrow(1, h * d, d).norm();
            return (l, h, v.to_type(ScalarType.Float64).item<double>() * o.to_type(ScalarType.Float64).item<double>());
        })).ToArray();
    }

    /// <summary>The <paramref name="count"/> least important heads, skipping any that would leave its layer with none.</summary>
    static IReadOnlyList<(int Layer, int Head)> Choose((int Layer, int Head, double Score)[] importance, int count)
    {
        var headsLeft = importance.GroupBy(i => i.Layer).ToDictionary(g => g.Key, g => g.Count());
        var chosen = new List<(int, int)>();
        foreach (var (layer, head, _) in importance.OrderBy(i => i.Score).ThenBy(i => i.Layer).ThenBy(i => i.Head))
        {
            if (chosen.Count == count) break;
            if (headsLeft[layer] == 1) continue;
            headsLeft[layer]--;
            chosen.Add((layer, head));
        }
        return chosen.OrderBy(x => x.Item1).ThenBy(x => x.Item2).ToArray();
    }

    static void WriteList(string dir, IReadOnlyList<(int Layer, int Head)> pruned, (int Layer, int Head, double Score)[] importance)
    {
        var json = new JsonObject
        {
            ["method"] = "attention heads with the smallest |W_V[h]|·|W_O[:, h]| zeroed (Q/K/V rows and biases, output columns)",
            ["pruned"] = new JsonArray(pruned.Select(p => (JsonNode)new JsonObject { ["layer"] = p.Layer, ["head"] = p.Head }).ToArray()),
            ["importance"] = new JsonArray(importance.Select(i => (JsonNode)new JsonObject { ["layer"] = i.Layer, ["head"] = i.Head, ["score"] = i.Score }).ToArray()),
        };
        AtomicFile.WriteAllText(Path.Combine(dir, FileName), json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    /// <summary>One layer's attention tensors, found by their Hugging Face names (with or without a "bert." prefix).</summary>
    sealed record LayerWeights(Tensor[] QueryKeyValueWeights, Tensor[] QueryKeyValueBiases, Tensor Output)
    {
        public Tensor Value => QueryKeyValueWeights[2];

        public static LayerWeights Find(Dictionary<string, Tensor> tensors, int layer, string modelDir)
        {
            Tensor Get(string suffix)
            {
                var name = $"encoder.layer.{layer}.attention.{suffix}";
                return tensors.FirstOrDefault(kv => kv.Key == name || kv.Key.EndsWith("." + name, StringComparison.Ordinal)).Value
                       ?? throw new InvalidDataException($"{modelDir}: missing tensor {name}");
            }
            string[] qkv = ["query", "key", "value"];
            return new LayerWeights(qkv.Select(p => Get($"self.{p}.weight")).ToArray(), qkv.Select(p => Get($"self.{p}.bias")).ToArray(),
                Get("output.dense.weight"));
        }

        /// <summary>Zeroes head <paramref name="head"/>: its Q/K/V output rows and biases, its columns of the output projection.</summary>
        public void ZeroHead(int head, int headDim)
        {
            foreach (var w in QueryKeyValueWeights) w.narrow(0, head * headDim, headDim).zero_();
            foreach (var b in QueryKeyValueBiases) b.narrow(0, head * headDim, headDim).zero_();
            Output.narrow(1, head * headDim, headDim).zero_();
        }
    }
}
