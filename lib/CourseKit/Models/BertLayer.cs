using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace CourseKit.Models;

/// <summary>The feed-forward expansion H → intermediate_size with the activation.</summary>
public sealed class BertIntermediate : nn.Module
{
    public readonly Linear dense;
    readonly Func<Tensor, Tensor> act;

    public BertIntermediate(BertConfig config) : base(nameof(BertIntermediate))
    {
        dense = nn.Linear(config.HiddenSize, config.IntermediateSize);
        act = Activations.Get(config.HiddenAct);
    }

    public Tensor forward(Tensor x) => act(dense.Project(x));
}

/// <summary>The feed-forward contraction intermediate_size → H, dropout, residual and LayerNorm (HF's BertOutput).</summary>
public sealed class BertFeedForwardOutput : nn.Module
{
    public readonly Linear dense;
    [ComponentName(Name = "LayerNorm")] public readonly LayerNorm layer_norm;
    readonly Dropout dropout;

    public BertFeedForwardOutput(BertConfig config) : base("BertOutput")
    {
        dense = nn.Linear(config.IntermediateSize, config.HiddenSize);
        layer_norm = nn.LayerNorm(config.HiddenSize, eps: config.LayerNormEps);
        dropout = nn.Dropout(config.HiddenDropoutProb);
    }

    public Tensor forward(Tensor hidden, Tensor residual) =>
        layer_norm.forward(CachedScalars.Add(dropout.forward(dense.Project(hidden)), residual));
}

/// <summary>One encoder block: x = LN(x + Attn(x)); x = LN(x + FFN(x)).</summary>
public sealed class BertLayer : nn.Module
{
    public readonly BertAttention attention;
    public readonly BertIntermediate intermediate;
    public readonly BertFeedForwardOutput output;

    public BertLayer(BertConfig config) : base(nameof(BertLayer))
    {
        attention = new BertAttention(config);
        intermediate = new BertIntermediate(config);
        output = new BertFeedForwardOutput(config);
    }

    /// <param name="x">[B, T, H]</param>
    /// <param name="pastKeyValue">extra keys and values [B, nh, P, hd] for this layer's attention (see <see cref="BertSelfAttention"/>).</param>
    /// <returns>[B, T, H] and, if asked, the attention weights [B, nh, T, P+T]</returns>
    public (Tensor hidden, Tensor? weights) forward(Tensor x, Tensor? additiveMask, bool returnWeights = false,
        (Tensor Key, Tensor Value)? pastKeyValue = null)
    {
        var (attended, weights) = attention.forward(x, additiveMask, returnWeights, pastKeyValue);
        return (output.forward(intermediate.forward(attended), attended), weights);
    }
}

/// <summary>The stack of encoder layers, <c>layer.0</c> … <c>layer.{L-1}</c>.</summary>
public sealed class BertEncoder : nn.Module
{
    public readonly ModuleList<BertLayer> layer;

    public BertEncoder(BertConfig config) : base(nameof(BertEncoder))
    {
        layer = nn.ModuleList(Enumerable.Range(0, config.NumHiddenLayers).Select(_ => new BertLayer(config)).ToArray());
    }

    /// <param name="pastKeyValues">one (key, value) pair [B, nh, P, hd] per layer, or null.</param>
    public (Tensor hidden, IReadOnlyList<Tensor>? attentions) forward(Tensor x, Tensor? additiveMask, bool returnWeights = false,
        IReadOnlyList<(Tensor Key, Tensor Value)>? pastKeyValues = null)
    {
        if (pastKeyValues is not null && pastKeyValues.Count != layer.Count)
            throw new ArgumentException($"past_key_values has {pastKeyValues.Count} entries for {layer.Count} layers");
        var attentions = returnWeights ? new List<Tensor>() : null;
        for (int i = 0; i < layer.Count; i++)
        {
            (x, var weights) = layer[i].forward(x, additiveMask, returnWeights, pastKeyValues?[i]);
            if (weights is not null) attentions?.Add(weights);
        }
        return (x, attentions);
    }
}

/// <summary>dense + tanh on the hidden state of the first token ([CLS]).</summary>
public sealed class BertPooler : nn.Module
{
    public readonly Linear dense;

    public BertPooler(BertConfig config) : base(nameof(BertPooler))
    {
        dense = nn.Linear(config.HiddenSize, config.HiddenSize);
    }

    /// <param name="hidden">[B, T, H]</param>
    /// <returns>[B, H]</returns>
    public Tensor forward(Tensor hidden) => dense.Project(hidden.select(1, 0)).tanh();
}
