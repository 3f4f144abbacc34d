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

    /// <param name="inputIds">[B, T] int64 token ids; null when <paramref name="inputsEmbeds"/> is given.</param>
    /// <param name="tokenTypeIds">[B, T] int64 segment ids (0 = sentence A, 1 = sentence B); zeros when null.</param>
    /// <param name="inputsEmbeds">[B, T, H] used instead of looking up <paramref name="inputIds"/> (Hugging Face's
    /// inputs_embeds; prompt tuning puts its soft prompts in front of the word embeddings this way).</param>
    /// <returns>[B, T, H]</returns>
    public Tensor forward(Tensor? inputIds, Tensor? tokenTypeIds = null, Tensor? inputsEmbeds = null)
    {
        if (inputIds is null && inputsEmbeds is null) throw new ArgumentException("BertEmbeddings: give input_ids or inputs_embeds");
        var words = inputsEmbeds ?? word_embeddings.forward(inputIds!);                   // [B, T, H]
        var (B, T) = (words.shape[0], words.shape[1]);
        if (T > maxPositions)
            throw new ArgumentException($"Sequence length {T} exceeds max_position_embeddings {maxPositions}");
        using var positions = CachedScalars.Positions(T, words.device);                  // [T]
        using var zeroTypes = tokenTypeIds is null ? zeros(B, T, dtype: int64, device: words.device) : null;
        // Additions with a cached alpha (a plain + makes a Scalar per call; see CachedScalars).
        var x = CachedScalars.Add(CachedScalars.Add(words,
                token_type_embeddings.forward(tokenTypeIds ?? zeroTypes!)),                // [B, T, H]
                position_embeddings.forward(positions));                                   // [T, H], broadcast over B
        return dropout.forward(layer_norm.forward(x));
    }
}
