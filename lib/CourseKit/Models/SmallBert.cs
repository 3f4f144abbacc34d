using CourseKit.Text;
using TorchSharp;

namespace CourseKit.Models;

/// <summary>
/// The kit's small BERT, built in one place: the shape pretraining trains (4 layers, hidden 256, 4 heads, FFN 1024,
/// ≈ BERT-mini, Turc et al. 2019), and randomly initialised folders of any smaller shape for fine-tuning without a
/// pretrained checkpoint (their scores only show the mechanics: such a model knows no language).
/// </summary>
public static class SmallBert
{
    /// <summary>bert-base-cased's WordPiece vocabulary size.</summary>
    public const int CasedVocabSize = 28996;

    /// <summary>The config. 512 position embeddings as in BERT by default, so the same model also runs at sequence 512
    /// (benchmarks).</summary>
    public static BertConfig Config(int vocabSize = CasedVocabSize, int layers = 4, int hidden = 256, int heads = 4,
        int intermediate = 1024, int maxPositions = 512, int padTokenId = 0) => new()
    {
        VocabSize = vocabSize, HiddenSize = hidden, NumHiddenLayers = layers, NumAttentionHeads = heads,
        IntermediateSize = intermediate, MaxPositionEmbeddings = maxPositions, PadTokenId = padTokenId,
        Architectures = ["BertForMaskedLM"],
    };

    /// <summary>
    /// Writes a randomly initialised BertForMaskedLM (like a pretraining checkpoint) in the Hugging Face layout:
    /// config.json, model.safetensors, and <paramref name="tokenizer"/>'s vocab.txt and tokenizer_config.json
    /// (model_max_length = <paramref name="modelMaxLength"/>, 512 when null). The weights depend only on the config's
    /// shape and <paramref name="seed"/> (torch's global generator is seeded here).
    /// </summary>
    public static BertConfig WriteRandom(string dir, BertTextTokenizer tokenizer, BertConfig? config = null, int seed = 0, int? modelMaxLength = null)
    {
        config ??= Config();
        if (tokenizer.VocabularySize != config.VocabSize)
            throw new ArgumentException($"{tokenizer.VocabPath} has {tokenizer.VocabularySize} tokens but the config's vocab_size is {config.VocabSize}.", nameof(config));
        if (tokenizer.PadId != config.PadTokenId)
            throw new ArgumentException($"{tokenizer.VocabPath}'s [PAD] is id {tokenizer.PadId} but the config's pad_token_id is {config.PadTokenId}.", nameof(config));
        torch.manual_seed(seed);
        using var model = new BertForMaskedLM(config);
        model.SavePretrained(dir, tokenizer, modelMaxLength);
        return config;
    }
}
