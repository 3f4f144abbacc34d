using CourseKit.Models;
using CourseKit.Text;

namespace CourseKit.Tasks.SequenceClassification;

/// <summary>Small BERTs for exercising fine-tuning without a pretrained checkpoint.</summary>
public static class SequenceClassificationModels
{
    /// <summary>
    /// Writes a randomly initialised BERT (<see cref="SmallBert.WriteRandom"/>, a masked-LM model like a pretraining
    /// checkpoint) with <paramref name="tokenizer"/>'s vocabulary; the tokenizer's model_max_length is
    /// <paramref name="maxPositions"/>. Numbers from such a model only show the mechanics of fine-tuning: it knows no language.
    /// </summary>
    public static BertConfig CreateRandomBert(string dir, BertTextTokenizer tokenizer, int hiddenSize = 64, int layers = 2, int heads = 2,
        int intermediateSize = 256, int maxPositions = 128, int seed = 0) =>
        SmallBert.WriteRandom(dir, tokenizer,
            SmallBert.Config(tokenizer.VocabularySize, layers, hiddenSize, heads, intermediateSize, maxPositions, tokenizer.PadId),
            seed, modelMaxLength: maxPositions);
}
