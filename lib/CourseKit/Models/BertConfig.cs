using System.Text.Json.Serialization;

namespace CourseKit.Models;

/// <summary>A Hugging Face BERT <c>config.json</c> (model_type "bert"). Defaults are bert-base-uncased's.</summary>
public sealed class BertConfig : HuggingFaceConfig
{
    [JsonPropertyName("model_type")] public string ModelType { get; set; } = "bert";
    [JsonPropertyName("architectures")] public List<string>? Architectures { get; set; }
    [JsonPropertyName("vocab_size")] public int VocabSize { get; set; } = 30522;
    [JsonPropertyName("hidden_size")] public int HiddenSize { get; set; } = 768;
    [JsonPropertyName("num_hidden_layers")] public int NumHiddenLayers { get; set; } = 12;
    [JsonPropertyName("num_attention_heads")] public int NumAttentionHeads { get; set; } = 12;
    [JsonPropertyName("intermediate_size")] public int IntermediateSize { get; set; } = 3072;
    [JsonPropertyName("hidden_act")] public string HiddenAct { get; set; } = "gelu";
    [JsonPropertyName("hidden_dropout_prob")] public double HiddenDropoutProb { get; set; } = 0.1;
    [JsonPropertyName("attention_probs_dropout_prob")] public double AttentionProbsDropoutProb { get; set; } = 0.1;
    [JsonPropertyName("max_position_embeddings")] public int MaxPositionEmbeddings { get; set; } = 512;
    [JsonPropertyName("type_vocab_size")] public int TypeVocabSize { get; set; } = 2;
    [JsonPropertyName("layer_norm_eps")] public double LayerNormEps { get; set; } = 1e-12;
    [JsonPropertyName("pad_token_id")] public int PadTokenId { get; set; } = 0;
    [JsonPropertyName("initializer_range")] public double InitializerRange { get; set; } = 0.02;
    [JsonPropertyName("position_embedding_type")] public string? PositionEmbeddingType { get; set; }
    /// <summary>Dropout before a classification head; null means <see cref="HiddenDropoutProb"/> (as in HF).</summary>
    [JsonPropertyName("classifier_dropout")] public double? ClassifierDropout { get; set; }

    [JsonPropertyName("num_labels")] public int? NumLabelsField { get; set; }
    [JsonPropertyName("id2label")] public Dictionary<string, string>? Id2Label { get; set; }
    [JsonPropertyName("label2id")] public Dictionary<string, int>? Label2Id { get; set; }

    /// <summary>Attention kernel: the explicit matmul/softmax path (default) or the fused
    /// scaled_dot_product_attention. A runtime choice, not written to config.json; may be changed between calls.</summary>
    [JsonIgnore] public AttentionImplementation AttentionImplementation { get; set; } = AttentionImplementation.Eager;

    /// <summary>Number of labels of a task head: id2label's size, else num_labels, else 2 (HF's default).</summary>
    [JsonIgnore]
    public int NumLabels
    {
        get => Id2Label?.Count ?? NumLabelsField ?? 2;
        set
        {
            NumLabelsField = null;
            Id2Label = Enumerable.Range(0, value).ToDictionary(i => i.ToString(), i => $"LABEL_{i}");
            Label2Id = Enumerable.Range(0, value).ToDictionary(i => $"LABEL_{i}", i => i);
        }
    }

    /// <summary>Sets id2label / label2id from label names in id order.</summary>
    public BertConfig WithLabels(IReadOnlyList<string> labels)
    {
        NumLabelsField = null;
        Id2Label = labels.Select((l, i) => (l, i)).ToDictionary(p => p.i.ToString(), p => p.l);
        Label2Id = labels.Select((l, i) => (l, i)).ToDictionary(p => p.l, p => p.i);
        return this;
    }

    [JsonIgnore] public int HeadDim => HiddenSize / NumAttentionHeads;

    public static BertConfig Load(string path) => ReadFile<BertConfig>(path);
    public static BertConfig FromJson(string json, string? source = null) => Parse<BertConfig>(json, source);

    public BertConfig Clone()
    {
        var copy = FromJson(ToJson(), SourcePath);
        copy.AttentionImplementation = AttentionImplementation;
        return copy;
    }

    public override void Validate()
    {
        Require(ModelType == "bert", $"model_type is '{ModelType}', expected 'bert'");
        foreach (var (name, value) in new[] {
            ("vocab_size", VocabSize), ("hidden_size", HiddenSize), ("num_hidden_layers", NumHiddenLayers),
            ("num_attention_heads", NumAttentionHeads), ("intermediate_size", IntermediateSize),
            ("max_position_embeddings", MaxPositionEmbeddings), ("type_vocab_size", TypeVocabSize) })
            Require(value > 0, $"{name} must be positive, got {value}");
        Require(HiddenSize % NumAttentionHeads == 0,
            $"hidden_size ({HiddenSize}) is not a multiple of num_attention_heads ({NumAttentionHeads})");
        Require(Activations.Known.Contains(HiddenAct), $"hidden_act '{HiddenAct}' is not one of {string.Join(", ", Activations.Known)}");
        Require(PositionEmbeddingType is null or "absolute", $"position_embedding_type '{PositionEmbeddingType}' is not supported (only 'absolute')");
        foreach (var (name, p) in new[] { ("hidden_dropout_prob", HiddenDropoutProb), ("attention_probs_dropout_prob", AttentionProbsDropoutProb), ("classifier_dropout", ClassifierDropout ?? 0) })
            Require(p is >= 0 and < 1, $"{name} must be in [0, 1), got {p}");
        Require(LayerNormEps > 0, $"layer_norm_eps must be positive, got {LayerNormEps}");
        Require(PadTokenId >= 0 && PadTokenId < VocabSize, $"pad_token_id {PadTokenId} is outside the vocabulary (size {VocabSize})");
        Require(NumLabelsField is null || Id2Label is null || NumLabelsField == Id2Label.Count,
            $"num_labels ({NumLabelsField}) disagrees with id2label ({Id2Label?.Count} entries)");
        Require(NumLabels > 0, $"num_labels must be positive, got {NumLabels}");
    }
}

public enum AttentionImplementation
{
    /// <summary>matmul, scale, additive mask, softmax, dropout, matmul: returns the attention weights.</summary>
    Eager,
    /// <summary>torch.nn.functional.scaled_dot_product_attention (fused kernels where available).</summary>
    Sdpa,
}
