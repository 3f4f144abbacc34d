using CourseKit.Data;
using CourseKit.Models;
using CourseKit.Text;

namespace CourseKit.Tasks.TokenClassification;

/// <summary>
/// A BERT with random weights in the Hugging Face folder layout and the real bert-base-cased vocabulary: a stand-in
/// for a pretrained model when none is at hand. Fine-tuning it exercises every step of the recipe, but its scores say
/// nothing about pretraining; they are the floor a pretrained model must beat.
/// </summary>
public static class NerRandomBert
{
    /// <summary>Writes <c>config.json</c>, <c>model.safetensors</c>, <c>vocab.txt</c> and <c>tokenizer_config.json</c>
    /// of a randomly initialised BertForMaskedLM (<see cref="SmallBert.Config"/> unless <paramref name="config"/>)
    /// into <paramref name="dir"/>.</summary>
    public static string Write(string dir, BertConfig? config = null, int seed = 0, string? vocabPath = null, DataRegistry? registry = null)
    {
        vocabPath ??= BertVocabFiles.Cased(registry);
        SmallBert.WriteRandom(dir, BertTextTokenizer.Cased(vocabPath), config ?? SmallBert.Config(), seed);
        return dir;
    }
}
