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
    /// <param name="virtualTokens">[B, P, H] embeddings put in front of the word embeddings (prompt tuning); they get
    /// positions 0..P-1 and segment 0, the real tokens P..P+T-1, as Hugging Face's inputs_embeds path.</param>
    /// <returns>[B, T, H], or [B, P+T, H] with virtual tokens</returns>
    public Tensor forward(Tensor inputIds, Tensor? tokenTypeIds = null, Tensor? virtualTokens = null)
    {
        var words = word_embeddings.forward(inputIds);                                     // [B, T, H]
        if (virtualTokens is not null)
        {
            var (B, P) = (inputIds.shape[0], virtualTokens.shape[1]);
            words = cat([virtualTokens, words], 1);                                        // [B, P+T, H]
            if (tokenTypeIds is not null)
                tokenTypeIds = cat([zeros(B, P, dtype: tokenTypeIds.dtype, device: tokenTypeIds.device), tokenTypeIds], 1);
        }
        var T = words.shape[1];
        if (T > maxPositions)
            throw new ArgumentException($"Sequence length {T} exceeds max_position_embeddings {maxPositions}");
        using var positions = arange(T, dtype: int64, device: inputIds.device);          // [T]
        using var zeroTypes = tokenTypeIds is null ? zeros(words.shape[0], T, dtype: int64, device: inputIds.device) : null;
        var x = words
              + token_type_embeddings.forward(tokenTypeIds ?? zeroTypes!)                  // [B, T, H]
              + position_embeddings.forward(positions);                                    // [T, H], broadcast over B
        return dropout.forward(layer_norm.forward(x));
    }
}
