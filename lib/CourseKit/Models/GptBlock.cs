using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CourseKit.Models;

/// <summary>Causal multi-head self-attention. c_attn makes Q, K, V in one projection; c_proj mixes the heads.
/// Weights are nn.Linear ([out, in]); HF's GPT-2 stores them as Conv1D ([in, out]) — see GptModel.Load.</summary>
public sealed class GptAttention : nn.Module
{
    public readonly Linear c_attn;
    public readonly Linear c_proj;
    readonly Dropout attn_dropout;
    readonly Dropout resid_dropout;
    readonly GptConfig config;

    public GptAttention(GptConfig config) : base(nameof(GptAttention))
    {
        this.config = config;
        c_attn = nn.Linear(config.NEmbd, 3 * config.NEmbd);
        c_proj = nn.Linear(config.NEmbd, config.NEmbd);
        attn_dropout = nn.Dropout(config.AttnPdrop);
        resid_dropout = nn.Dropout(config.ResidPdrop);
    }

    /// <param name="x">[B, T, C]</param>
    public (Tensor output, Tensor? weights) forward(Tensor x, bool returnWeights = false)
    {
        var (B, T, C) = (x.shape[0], x.shape[1], x.shape[2]);
        var (nh, hd) = (config.NHead, config.HeadDim);
        var qkv = c_attn.forward(x).split(C, dim: 2);                                    // 3 × [B, T, C]
        Tensor SplitHeads(Tensor t) => t.view(B, T, nh, hd).transpose(1, 2);              // [B, nh, T, hd]
        var (q, k, v) = (SplitHeads(qkv[0]), SplitHeads(qkv[1]), SplitHeads(qkv[2]));

        Tensor y;                                                                          // [B, nh, T, hd]
        Tensor? weights = null;
        if (config.AttentionImplementation == AttentionImplementation.Sdpa && !returnWeights)
        {
            y = nn.functional.scaled_dot_product_attention(q, k, v, p: training ? config.AttnPdrop : 0.0, is_casual: true);
        }
        else
        {
            var scores = q.matmul(k.transpose(-1, -2)) / Math.Sqrt(hd);                  // [B, nh, T, T]
            using var causal = ones(T, T, dtype: ScalarType.Bool, device: x.device).tril(); // position t sees 0..t
            scores = scores.masked_fill(causal.logical_not(), CachedScalars.Of(finfo(scores.dtype).min));   // cached: no Scalar left to the finalizer race
            weights = nn.functional.softmax(scores, dim: -1);
            y = attn_dropout.forward(weights).matmul(v);
        }
        y = y.transpose(1, 2).contiguous().view(B, T, C);                                // [B, T, C]: heads side by side
        return (resid_dropout.forward(c_proj.forward(y)), weights);
    }
}

/// <summary>The position-wise MLP: C → n_inner → C with gelu_new.</summary>
public sealed class GptMlp : nn.Module
{
    public readonly Linear c_fc;
    public readonly Linear c_proj;
    readonly Dropout dropout;
    readonly Func<Tensor, Tensor> act;

    public GptMlp(GptConfig config) : base(nameof(GptMlp))
    {
        c_fc = nn.Linear(config.NEmbd, config.InnerSize);
        c_proj = nn.Linear(config.InnerSize, config.NEmbd);
        dropout = nn.Dropout(config.ResidPdrop);
        act = Activations.Get(config.ActivationFunction);
    }

    public Tensor forward(Tensor x) => dropout.forward(c_proj.forward(act(c_fc.forward(x))));
}

/// <summary>One pre-LN decoder block: x = x + Attn(LN(x)); x = x + MLP(LN(x)).</summary>
public sealed class GptBlock : nn.Module
{
    public readonly LayerNorm ln_1;
    public readonly GptAttention attn;
    public readonly LayerNorm ln_2;
    public readonly GptMlp mlp;

    public GptBlock(GptConfig config) : base(nameof(GptBlock))
    {
        ln_1 = nn.LayerNorm(config.NEmbd, eps: config.LayerNormEpsilon);
        attn = new GptAttention(config);
        ln_2 = nn.LayerNorm(config.NEmbd, eps: config.LayerNormEpsilon);
        mlp = new GptMlp(config);
    }

    public (Tensor x, Tensor? weights) forward(Tensor x, bool returnWeights = false)
    {
        var (attended, weights) = attn.forward(ln_1.forward(x), returnWeights);
        x = x + attended;
        x = x + mlp.forward(ln_2.forward(x));
        return (x, weights);
    }
}

/// <summary>HF's GPT2Model: the module named <c>transformer</c> (wte, wpe, drop, h.{i}, ln_f).</summary>
public sealed class GptTransformer : nn.Module
{
    public readonly Embedding wte;
    public readonly Embedding wpe;
    readonly Dropout drop;
    public readonly ModuleList<GptBlock> h;
    public readonly LayerNorm ln_f;

    public GptTransformer(GptConfig config) : base(nameof(GptTransformer))
    {
        wte = nn.Embedding(config.VocabSize, config.NEmbd);
        wpe = nn.Embedding(config.NPositions, config.NEmbd);
        drop = nn.Dropout(config.EmbdPdrop);
        h = nn.ModuleList(Enumerable.Range(0, config.NLayer).Select(_ => new GptBlock(config)).ToArray());
        ln_f = nn.LayerNorm(config.NEmbd, eps: config.LayerNormEpsilon);
    }

    /// <param name="inputIds">[B, T]</param>
    /// <returns>[B, T, C] after the final LayerNorm</returns>
    public (Tensor hidden, IReadOnlyList<Tensor>? attentions) forward(Tensor inputIds, bool returnWeights = false)
    {
        var T = inputIds.shape[1];
        if (T > wpe.weight!.shape[0])
            throw new ArgumentException($"Sequence length {T} exceeds n_positions {wpe.weight!.shape[0]}");
        using var positions = arange(T, dtype: int64, device: inputIds.device);          // [T]
        var x = drop.forward(wte.forward(inputIds) + wpe.forward(positions));             // [B, T, C]
        var attentions = returnWeights ? new List<Tensor>() : null;
        foreach (var block in h)
        {
            (x, var weights) = block.forward(x, returnWeights);
            if (weights is not null) attentions?.Add(weights);
        }
        return (ln_f.forward(x), attentions);
    }
}
