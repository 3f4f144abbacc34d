using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CourseKit.Models;

/// <summary>Sampling settings for <see cref="GptModel.Generate"/>.</summary>
public sealed record GenerationOptions
{
    /// <summary>false: greedy (argmax at every step). true: sample from softmax(logits / Temperature), top-k filtered.</summary>
    public bool DoSample { get; init; }
    public double Temperature { get; init; } = 1.0;
    /// <summary>Keep only the k most likely tokens before sampling; null keeps all.</summary>
    public int? TopK { get; init; }
    /// <summary>Seed of the torch.Generator used for sampling, so a run repeats.</summary>
    public ulong Seed { get; init; } = 1337;
    /// <summary>Stop once every sequence has produced this token.</summary>
    public int? EosTokenId { get; init; }
}

/// <summary>
/// GPT-2 (Radford et al. 2019): a decoder-only causal Transformer with the language-model head tied to the token
/// embedding. Module tree and names are Hugging Face's GPT2LMHeadModel (<c>transformer.wte.weight</c>,
/// <c>transformer.h.{i}.attn.c_attn.weight</c>, …; <c>lm_head.weight</c> is <c>transformer.wte.weight</c>).
/// </summary>
public sealed class GptModel : nn.Module<Tensor, CausalLMOutput>, IHuggingFaceModel
{
    public readonly GptTransformer transformer;

    public GptConfig Config { get; }

    static readonly string[] Conv1DSuffixes = [".attn.c_attn.weight", ".attn.c_proj.weight", ".mlp.c_fc.weight", ".mlp.c_proj.weight"];

    public static GptModel FromPretrained(string dir) => Pretrained.Load(dir, GptConfig.Load, c => new GptModel(c)).Model;

    public GptModel(GptConfig config) : base(nameof(GptModel))
    {
        config.Validate();
        Config = config;
        transformer = new GptTransformer(config);
        RegisterComponents();
        WeightInit.InitLikeHuggingFace(this, config.InitializerRange);
        // GPT-2 paper: residual projections scaled by 1/sqrt(number of residual layers) at init.
        using var _ = no_grad();
        foreach (var (name, p) in named_parameters())
            if (name.EndsWith("c_proj.weight")) p.normal_(0, config.InitializerRange / Math.Sqrt(2 * config.NLayer));
    }

    /// <summary>The output projection [V, C]: the token-embedding matrix itself (tied).</summary>
    public Parameter LmHeadWeight => transformer.wte.weight!;

    public override CausalLMOutput forward(Tensor inputIds) => forward(inputIds, null);

    /// <param name="inputIds">[B, T] int64</param>
    /// <param name="labels">[B, T] usually the input ids themselves: position t is scored on predicting labels[t+1]
    /// (the shift happens here, as in HF); -100 is ignored.</param>
    public CausalLMOutput forward(Tensor inputIds, Tensor? labels, bool outputAttentions = false)
    {
        var (hidden, attentions) = transformer.forward(inputIds, outputAttentions);      // [B, T, C]
        var logits = nn.functional.linear(hidden, LmHeadWeight);                         // [B, T, V]
        Tensor? loss = null;
        if (labels is not null)
        {
            var V = logits.shape[2];
            using var shiftedLogits = logits[.., ..^1, ..].reshape(-1, V);                  // predictions for 0..T-2
            using var shiftedLabels = labels[.., 1..].reshape(-1);                          // targets 1..T-1
            loss = nn.functional.cross_entropy(shiftedLogits, shiftedLabels, ignore_index: -100);
        }
        return new CausalLMOutput(logits, loss, attentions);
    }

    /// <summary>Appends <paramref name="maxNewTokens"/> tokens to each row of <paramref name="inputIds"/> [B, T0],
    /// feeding at most n_positions tokens of context. Runs in eval mode without gradients; restores the mode.</summary>
    /// <returns>[B, T0 + new tokens] int64</returns>
    public Tensor Generate(Tensor inputIds, int maxNewTokens, GenerationOptions? options = null)
    {
        options ??= new GenerationOptions();
        if (options.DoSample && options.Temperature <= 0) throw new ArgumentException("Temperature must be positive when sampling");
        if (options.TopK is < 1) throw new ArgumentException("TopK must be at least 1");
        var wasTraining = training;
        eval();
        try
        {
            using var _ = no_grad();
            var generator = options.DoSample ? new Generator(options.Seed, inputIds.device) : null;
            var ids = inputIds.alias();
            for (var step = 0; step < maxNewTokens; step++)
            {
                using var scope = NewDisposeScope();
                var T = ids.shape[1];
                var context = T <= Config.NPositions ? ids : ids[.., (int)(T - Config.NPositions)..];
                var logits = forward(context).Logits.select(1, -1);                        // [B, V] at the last position
                Tensor next;                                                                // [B, 1]
                if (!options.DoSample)
                {
                    next = logits.argmax(-1, keepdim: true);
                }
                else
                {
                    logits = logits / options.Temperature;
                    if (options.TopK is { } k && k < logits.shape[1])
                    {
                        var (topValues, _) = logits.topk(k, dim: -1);                       // [B, k], descending
                        logits = logits.masked_fill(logits < topValues[.., ^1..], double.NegativeInfinity);
                    }
                    next = nn.functional.softmax(logits, -1).multinomial(1, generator: generator);
                }
                var longer = cat([ids, next], dim: 1).MoveToOuterDisposeScope();
                ids.Dispose();
                ids = longer;
                if (options.EosTokenId is { } eos && next.eq(eos).all().item<bool>()) break;
            }
            generator?.Dispose();
            return ids;
        }
        finally
        {
            train(wasTraining);
        }
    }

    public IReadOnlyDictionary<string, string> TiedWeights { get; } = new Dictionary<string, string>
    {
        ["lm_head.weight"] = "transformer.wte.weight",
    };

    static bool IsConv1D(string key) => Conv1DSuffixes.Any(s => key.EndsWith(s, StringComparison.Ordinal));

    /// <summary>Loads a Hugging Face GPT-2 state dict: Conv1D weights in HF's [in, out] layout are transposed into
    /// the Linear layers; keys with or without the "transformer." prefix; attn.bias / attn.masked_bias (causal-mask
    /// buffers of older checkpoints) ignored.</summary>
    public LoadReport Load(IReadOnlyDictionary<string, Tensor> weights, bool ignoreMismatchedSizes = false)
    {
        var transposed = new List<Tensor>();
        var linearLayout = weights.ToDictionary(kv => kv.Key, kv =>
        {
            if (!IsConv1D(kv.Key) || kv.Value.dim() != 2) return kv.Value;
            var t = kv.Value.t();
            transposed.Add(t);
            return t;
        });
        try
        {
            return StateDictLoader.Load(this, linearLayout, new LoadRules("transformer")
            {
                TiedWeights = TiedWeights,
                IgnorableSuffixes = [".attn.bias", ".attn.masked_bias"],
                IgnoreMismatchedSizes = ignoreMismatchedSizes,
            });
        }
        catch (StateDictShapeException e) when (IsConv1D(e.Key))
        {
            throw new StateDictShapeException(e.Key, Enumerable.Reverse(e.CheckpointShape).ToArray(), Enumerable.Reverse(e.ModelShape).ToArray(),
                " (GPT-2 Conv1D layout [in, out])");
        }
        finally
        {
            foreach (var t in transposed) t.Dispose();
        }
    }

    /// <summary>Same as <see cref="Load"/>: the name says which layout it expects.</summary>
    public LoadReport LoadHuggingFaceStateDict(IReadOnlyDictionary<string, Tensor> weights) => Load(weights);

    /// <summary>HF names and layout: Conv1D weights transposed to [in, out] (new tensors), the rest the live
    /// parameters; lm_head.weight left out as HF's save_pretrained does (it is transformer.wte.weight).</summary>
    public Dictionary<string, Tensor> StateDictForSave() =>
        state_dict().ToDictionary(kv => kv.Key, kv => IsConv1D(kv.Key) ? kv.Value.detach().t().contiguous() : kv.Value);

    public Dictionary<string, Tensor> ToHuggingFaceStateDict() => StateDictForSave();

    public void SaveConfig(string path)
    {
        Config.Architectures = ["GPT2LMHeadModel"];
        Config.Save(path);
    }
}
