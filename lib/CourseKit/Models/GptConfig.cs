using System.Text.Json.Serialization;

namespace CourseKit.Models;

/// <summary>A Hugging Face GPT-2 <c>config.json</c> (model_type "gpt2"). Defaults are gpt2 (124M)'s.</summary>
public sealed class GptConfig : HuggingFaceConfig
{
    [JsonPropertyName("model_type")] public string ModelType { get; set; } = "gpt2";
    [JsonPropertyName("architectures")] public List<string>? Architectures { get; set; }
    [JsonPropertyName("vocab_size")] public int VocabSize { get; set; } = 50257;
    /// <summary>Context length: the largest number of positions the model has embeddings for.</summary>
    [JsonPropertyName("n_positions")] public int NPositions { get; set; } = 1024;
    [JsonPropertyName("n_embd")] public int NEmbd { get; set; } = 768;
    [JsonPropertyName("n_layer")] public int NLayer { get; set; } = 12;
    [JsonPropertyName("n_head")] public int NHead { get; set; } = 12;
    /// <summary>MLP width; null means 4 × n_embd.</summary>
    [JsonPropertyName("n_inner")] public int? NInner { get; set; }
    [JsonPropertyName("activation_function")] public string ActivationFunction { get; set; } = "gelu_new";
    [JsonPropertyName("resid_pdrop")] public double ResidPdrop { get; set; } = 0.1;
    [JsonPropertyName("embd_pdrop")] public double EmbdPdrop { get; set; } = 0.1;
    [JsonPropertyName("attn_pdrop")] public double AttnPdrop { get; set; } = 0.1;
    [JsonPropertyName("layer_norm_epsilon")] public double LayerNormEpsilon { get; set; } = 1e-5;
    [JsonPropertyName("initializer_range")] public double InitializerRange { get; set; } = 0.02;
    [JsonPropertyName("bos_token_id")] public int? BosTokenId { get; set; }
    [JsonPropertyName("eos_token_id")] public int? EosTokenId { get; set; }

    [JsonIgnore] public AttentionImplementation AttentionImplementation { get; set; } = AttentionImplementation.Eager;
    [JsonIgnore] public int InnerSize => NInner ?? 4 * NEmbd;
    [JsonIgnore] public int HeadDim => NEmbd / NHead;

    public static GptConfig Load(string path) => ReadFile<GptConfig>(path);
    public static GptConfig FromJson(string json, string? source = null) => Parse<GptConfig>(json, source);

    public override void Validate()
    {
        Require(ModelType == "gpt2", $"model_type is '{ModelType}', expected 'gpt2'");
        foreach (var (name, value) in new[] { ("vocab_size", VocabSize), ("n_positions", NPositions), ("n_embd", NEmbd),
                     ("n_layer", NLayer), ("n_head", NHead), ("n_inner", NInner ?? 1) })
            Require(value > 0, $"{name} must be positive, got {value}");
        Require(NEmbd % NHead == 0, $"n_embd ({NEmbd}) is not a multiple of n_head ({NHead})");
        Require(Activations.Known.Contains(ActivationFunction), $"activation_function '{ActivationFunction}' is not one of {string.Join(", ", Activations.Known)}");
        foreach (var (name, p) in new[] { ("resid_pdrop", ResidPdrop), ("embd_pdrop", EmbdPdrop), ("attn_pdrop", AttnPdrop) })
            Require(p is >= 0 and < 1, $"{name} must be in [0, 1), got {p}");
        Require(LayerNormEpsilon > 0, $"layer_norm_epsilon must be positive, got {LayerNormEpsilon}");
    }
}
