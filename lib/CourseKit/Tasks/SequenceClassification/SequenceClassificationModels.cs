using CourseKit.Models;
using CourseKit.Text;
using TorchSharp;

namespace CourseKit.Tasks.SequenceClassification;

/// <summary>Small BERTs for exercising fine-tuning without a pretrained checkpoint.</summary>
public static class SequenceClassificationModels
{
    /// <summary>
    /// Writes a randomly initialised BERT (a masked-LM model, like a pretraining checkpoint) in the Hugging Face layout
    /// with <paramref name="tokenizer"/>'s vocabulary. Numbers from such a model only show the mechanics of fine-tuning:
    /// it knows no language.
    /// </summary>
    public static BertConfig CreateRandomBert(string dir, BertTextTokenizer tokenizer, int hiddenSize = 64, int layers = 2, int heads = 2,
        int intermediateSize = 256, int maxPositions = 128, int seed = 0)
    {
        var config = new BertConfig
        {
            VocabSize = tokenizer.VocabularySize, HiddenSize = hiddenSize, NumHiddenLayers = layers, NumAttentionHeads = heads,
            IntermediateSize = intermediateSize, MaxPositionEmbeddings = maxPositions, PadTokenId = tokenizer.PadId,
        };
        torch.manual_seed(seed);
        using var model = new BertForMaskedLM(config);
        model.SavePretrained(dir, tokenizer, maxPositions);
        return config;
    }
}
