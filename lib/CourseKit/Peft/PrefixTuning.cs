using System.Text.Json.Serialization;
using CourseKit.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CourseKit.Peft;

/// <summary>
/// Prefix tuning (Li &amp; Liang 2021): P trainable key and value vectors per layer, put in front of each layer's keys
/// and values (every query may attend to them; padding stays masked). Trained through the reparameterisation
/// P_θ = MLP(P'_θ) (<see cref="PrefixProjection"/>), which <see cref="PrefixTuningTuner.Fold"/> (and saving) turns
/// into the plain prefixes used at inference.
/// </summary>
public sealed record PrefixTuningConfig() : PeftConfig(PeftTypes.PrefixTuning)
{
    [JsonPropertyName("num_virtual_tokens")] public int NumVirtualTokens { get; init; } = 20;
    /// <summary>Train through Embedding(P, H) → Linear(H, h) → tanh → Linear(h, L·2·H) instead of the prefixes themselves.</summary>
    [JsonPropertyName("prefix_projection")] public bool PrefixProjection { get; init; } = true;
    /// <summary>h, the MLP's hidden width; null: the model's hidden size.</summary>
    [JsonPropertyName("encoder_hidden_size")] public int? EncoderHiddenSize { get; init; }
    [JsonPropertyName("num_layers")] public int? NumLayers { get; init; }
    [JsonPropertyName("token_dim")] public int? TokenDim { get; init; }
    [JsonPropertyName("num_attention_heads")] public int? NumAttentionHeads { get; init; }

    public override void Validate()
    {
        Require(NumVirtualTokens >= 1, $"prefix tuning: num_virtual_tokens must be at least 1, got {NumVirtualTokens}");
        Require(EncoderHiddenSize is null or >= 1, $"prefix tuning: encoder_hidden_size must be positive, got {EncoderHiddenSize}");
    }

    internal override PeftTuner CreateTuner() => new PrefixTuningTuner(this);
}

/// <summary>PEFT's PrefixEncoder: <c>embedding</c> and, with the reparameterisation, <c>transform</c> (the MLP).
/// <see cref="Prefixes"/> is [P, L·2·H]: for each layer, its key prefix then its value prefix.</summary>
public sealed class PrefixEncoder : nn.Module
{
    Embedding embedding;
    Sequential? transform;

    public PrefixEncoder(int numVirtualTokens, int hiddenSize, int numLayers, int? projectionHidden) : base(nameof(PrefixEncoder))
    {
        int outDim = numLayers * 2 * hiddenSize;
        if (projectionHidden is int h)
        {
            embedding = nn.Embedding(numVirtualTokens, hiddenSize);
            transform = nn.Sequential(nn.Linear(hiddenSize, h), nn.Tanh(), nn.Linear(h, outDim));
        }
        else
        {
            embedding = nn.Embedding(numVirtualTokens, outDim);
        }
        RegisterComponents();
    }

    public Embedding Embedding => embedding;
    public bool HasProjection => transform is not null;

    /// <returns>[P, L·2·H]</returns>
    public Tensor Prefixes() => transform is null ? embedding.weight! : transform.forward(embedding.weight!);

    /// <summary>Replaces the MLP by its output: plain prefixes, the same forward.</summary>
    public void Fold()
    {
        if (transform is null) return;
        Tensor folded;
        using (no_grad()) folded = Prefixes().detach().clone();
        var plain = nn.Embedding(folded.shape[0], folded.shape[1]);
        using (no_grad()) plain.weight!.copy_(folded);
        plain.weight!.requires_grad_(embedding.weight!.requires_grad);
        folded.Dispose();
        register_module("embedding", null!);
        register_module("transform", null!);
        embedding.Dispose();
        transform.Dispose();
        embedding = plain;
        transform = null;
        register_module("embedding", embedding);
    }
}

public sealed class PrefixTuningTuner(PrefixTuningConfig config) : PeftTuner
{
    public const string SavedName = "prompt_embeddings";
    public PrefixTuningConfig Config { get; private set; } = config;
    public PrefixEncoder Encoder { get; private set; } = null!;
    internal override nn.Module? PromptEncoder => Encoder;
    int layers, heads, headDim;

    internal override void Attach(BertPreTrainedModel<ClassifierOutput> model)
    {
        var c = model.Config;
        (layers, heads, headDim) = (c.NumHiddenLayers, c.NumAttentionHeads, c.HeadDim);
        Config = Config with { NumLayers = layers, TokenDim = c.HiddenSize, NumAttentionHeads = heads };
        bool project = Config.PrefixProjection && !Config.InferenceMode;
        Encoder = new PrefixEncoder(Config.NumVirtualTokens, c.HiddenSize, layers, project ? Config.EncoderHiddenSize ?? c.HiddenSize : null);
    }

    /// <summary>Hugging Face PEFT's get_prompt: each layer's key and value prefixes [B, nh, P, hd]. The MLP runs once
    /// per forward, not once per layer.</summary>
    public IReadOnlyList<(Tensor Key, Tensor Value)> PastKeyValues(long batchSize)
    {
        var all = Encoder.Prefixes().view(Config.NumVirtualTokens, layers * 2, heads, headDim).permute(1, 2, 0, 3);   // [L·2, nh, P, hd]
        return Enumerable.Range(0, layers)
            .Select(l => (all[2 * l].unsqueeze(0).expand(batchSize, -1, -1, -1), all[2 * l + 1].unsqueeze(0).expand(batchSize, -1, -1, -1)))
            .ToList();
    }

    /// <summary>Hugging Face PEFT's prefix-tuning forward: the prefixes go in as past_key_values and the attention mask
    /// gets ones for them (every query may attend to the prefix; padding stays masked).</summary>
    internal override ClassifierOutput Forward(BertPreTrainedModel<ClassifierOutput> model, Tensor inputIds, Tensor? attentionMask,
        Tensor? tokenTypeIds, Tensor? labels, bool outputAttentions)
    {
        var B = inputIds.shape[0];
        if (attentionMask is not null)
            attentionMask = cat([ones(B, Config.NumVirtualTokens, dtype: attentionMask.dtype, device: attentionMask.device), attentionMask], 1);
        return model.forward(inputIds, attentionMask, tokenTypeIds, labels, outputAttentions, pastKeyValues: PastKeyValues(B));
    }

    /// <summary>Replaces the reparameterisation MLP by the prefixes it computes (the forward does not change).</summary>
    public void Fold() => Encoder.Fold();

    internal override Dictionary<string, Tensor> ExtraTensorsToSave()
    {
        using var noGrad = no_grad();
        return new() { [SavedName] = Encoder.Prefixes().detach() };
    }

    internal override Dictionary<string, Tensor> ExtraTensorsToLoad() =>
        Encoder.HasProjection
            ? throw new InvalidOperationException("prefix tuning: saved prefixes load into plain prefixes (inference_mode); fold the encoder first")
            : new() { [SavedName] = Encoder.Embedding.weight! };
}
