using CourseKit.Data;
using CourseKit.Models;
using CourseKit.Text;
using TorchSharp;

namespace CourseKit.Tasks.TokenClassification;

/// <summary>
/// A BERT with random weights in the Hugging Face folder layout and the real bert-base-cased vocabulary: a stand-in
/// for a pretrained model when none is at hand. Fine-tuning it exercises every step of the recipe, but its scores say
/// nothing about pretraining; they are the floor a pretrained model must beat.
/// </summary>
public static class NerRandomBert
{
    /// <summary>The kit's small BERT shape: 4 layers, hidden 256, 4 heads, intermediate 1024, cased vocabulary (28,996).</summary>
    public static BertConfig SmallConfig(int layers = 4, int hidden = 256, int heads = 4, int intermediate = 1024, int maxPositions = 512) => new()
    {
        VocabSize = 28_996,
        HiddenSize = hidden,
        NumHiddenLayers = layers,
        NumAttentionHeads = heads,
        IntermediateSize = intermediate,
        MaxPositionEmbeddings = maxPositions,
    };

    /// <summary>Writes <c>config.json</c>, <c>model.safetensors</c>, <c>vocab.txt</c> and <c>tokenizer_config.json</c>
    /// of a randomly initialised BertForMaskedLM into <paramref name="dir"/>.</summary>
    public static string Write(string dir, BertConfig? config = null, int seed = 0, string? vocabPath = null, DataRegistry? registry = null)
    {
        config ??= SmallConfig();
        vocabPath ??= (registry ?? DataRegistry.Default).Require("bert-vocab").File("bert-base-cased-vocab.txt");
        var tokenizer = BertTextTokenizer.Cased(vocabPath);
        if (tokenizer.VocabularySize != config.VocabSize)
            throw new ArgumentException($"{vocabPath} has {tokenizer.VocabularySize} tokens but the config's vocab_size is {config.VocabSize}.", nameof(config));
        torch.manual_seed(seed);
        using var model = new BertForMaskedLM(config);
        model.SavePretrained(dir, tokenizer);
        return dir;
    }
}
