using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace CourseKit.Models;

/// <summary>Token + absolute position + token-type (segment) embeddings, then LayerNorm and dropout.</summary>
public sealed class BertEmbeddings : nn.Module
{
    public readonly Embedding word_embeddings;
    public readonly Embedding position_embeddings;
    public readonly Embedding token_type_embeddings;
    [ComponentName(Name = "LayerNorm")] public readonly LayerNorm layer_norm;
    readonly Dropout dropout;
    readonly int maxPositions;

    public BertEmbeddings(BertConfig config) : base(nameof(BertEmbeddings))
    {
        word_embeddings = nn.Embedding(config.VocabSize, config.HiddenSize, padding_idx: config.PadTokenId);
        position_embeddings = nn.Embedding(config.MaxPositionEmbeddings, config.HiddenSize);
        token_type_embeddings = nn.Embedding(config.TypeVocabSize, config.HiddenSize);
        layer_norm = nn.LayerNorm(config.HiddenSize, eps: config.LayerNormEps);
        dropout = nn.Dropout(config.HiddenDropoutProb);
        maxPositions = config.MaxPositionEmbeddings;
    }

    /// <param name="inputIds">[B, T] int64 token ids.</param>
    /// <param name="tokenTypeIds">[B, T] int64 segment ids (0 = sentence A, 1 = sentence B); zeros when null.</param>
    /// <returns>[B, T, H]</returns>
    public Tensor forward(Tensor inputIds, Tensor? tokenTypeIds = null)
    {
        var T = inputIds.shape[1];
        if (T > maxPositions)
            throw new ArgumentException($"Sequence length {T} exceeds max_position_embeddings {maxPositions}");
        using var positions = arange(T, dtype: int64, device: inputIds.device);          // [T]
        using var zeros = tokenTypeIds is null ? zeros_like(inputIds) : null;
        var x = word_embeddings.forward(inputIds)                                          // [B, T, H]
              + token_type_embeddings.forward(tokenTypeIds ?? zeros!)                      // [B, T, H]
              + position_embeddings.forward(positions);                                    // [T, H], broadcast over B
        return dropout.forward(layer_norm.forward(x));
    }
}
