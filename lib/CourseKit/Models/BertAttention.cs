using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace CourseKit.Models;

/// <summary>Multi-head self-attention: softmax(Q Kᵀ / √d + mask) V, heads side by side (Vaswani et al. 2017).</summary>
public sealed class BertSelfAttention : nn.Module
{
    public readonly Linear query, key, value;
    readonly Dropout dropout;
    readonly BertConfig config;
    readonly int nHead, headDim;

    public BertSelfAttention(BertConfig config) : base(nameof(BertSelfAttention))
    {
        this.config = config;
        nHead = config.NumAttentionHeads;
        headDim = config.HeadDim;
        query = nn.Linear(config.HiddenSize, config.HiddenSize);
        key = nn.Linear(config.HiddenSize, config.HiddenSize);
        value = nn.Linear(config.HiddenSize, config.HiddenSize);
        dropout = nn.Dropout(config.AttentionProbsDropoutProb);
    }

    /// <param name="x">[B, T, H]</param>
    /// <param name="additiveMask">[B, 1, 1, P+T]: 0 where a key may be attended to, a very negative number where not
    /// (P = 0 without <paramref name="pastKeyValue"/>).</param>
    /// <param name="returnWeights">also return the attention weights [B, nh, T, P+T] (forces the explicit path).</param>
    /// <param name="pastKeyValue">Hugging Face's past_key_value: P keys and values [B, nh, P, hd] put in front of this
    /// layer's own, which every query may attend to (prefix tuning's virtual tokens).</param>
    public (Tensor context, Tensor? weights) forward(Tensor x, Tensor? additiveMask, bool returnWeights = false,
        (Tensor Key, Tensor Value)? pastKeyValue = null)
    {
        var (B, T, H) = (x.shape[0], x.shape[1], x.shape[2]);
        Tensor SplitHeads(Tensor t) => t.view(B, T, nHead, headDim).transpose(1, 2);   // [B, nh, T, hd]
        // Linear layers run through Project (= call(), not forward(), so PEFT forward hooks take effect; or a packed weight, see PackedLinears).
        var q = SplitHeads(query.Project(x));
        var k = SplitHeads(key.Project(x));
        var v = SplitHeads(value.Project(x));
        if (pastKeyValue is { } past)                                                    // P extra keys and values in front
        {
            k = cat([past.Key, k], 2);                                                    // [B, nh, P+T, hd]
            v = cat([past.Value, v], 2);
        }

        Tensor context;                                                                  // [B, nh, T, hd]
        Tensor? weights = null;
        if (config.AttentionImplementation == AttentionImplementation.Sdpa && !returnWeights)
        {
            context = nn.functional.scaled_dot_product_attention(q, k, v, additiveMask,
                p: training ? config.AttentionProbsDropoutProb : 0.0);
        }
        else
        {
            var scores = q.matmul(k.transpose(-1, -2)).div(CachedScalars.Of(Math.Sqrt(headDim)));   // [B, nh, T, P+T]
            if (additiveMask is not null) scores = CachedScalars.Add(scores, additiveMask);
            weights = nn.functional.softmax(scores, dim: -1);
            context = dropout.forward(weights).matmul(v);
        }
        context = context.transpose(1, 2).contiguous().view(B, T, H);                   // [B, T, H]: heads concatenated
        return (context, weights);
    }
}

/// <summary>Projection of the attention output, dropout, then the residual connection and LayerNorm (post-LN).</summary>
public sealed class BertSelfOutput : nn.Module
{
    public readonly Linear dense;
    [ComponentName(Name = "LayerNorm")] public readonly LayerNorm layer_norm;
    readonly Dropout dropout;

    public BertSelfOutput(BertConfig config) : base(nameof(BertSelfOutput))
    {
        dense = nn.Linear(config.HiddenSize, config.HiddenSize);
        layer_norm = nn.LayerNorm(config.HiddenSize, eps: config.LayerNormEps);
        dropout = nn.Dropout(config.HiddenDropoutProb);
    }

    public Tensor forward(Tensor hidden, Tensor residual) =>
        layer_norm.forward(CachedScalars.Add(dropout.forward(dense.Project(hidden)), residual));
}

/// <summary>HF's BertAttention: <c>self</c> (the attention) and <c>output</c> (projection + Add &amp; Norm).</summary>
public sealed class BertAttention : nn.Module
{
    [ComponentName(Name = "self")] public readonly BertSelfAttention self_attention;
    public readonly BertSelfOutput output;

    public BertAttention(BertConfig config) : base(nameof(BertAttention))
    {
        self_attention = new BertSelfAttention(config);
        output = new BertSelfOutput(config);
    }

    public (Tensor output, Tensor? weights) forward(Tensor x, Tensor? additiveMask, bool returnWeights = false,
        (Tensor Key, Tensor Value)? pastKeyValue = null)
    {
        var (context, weights) = self_attention.forward(x, additiveMask, returnWeights, pastKeyValue);
        return (output.forward(context, x), weights);
    }
}
