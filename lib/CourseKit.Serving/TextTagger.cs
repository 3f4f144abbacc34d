using System.Text.RegularExpressions;
using CourseKit.Data;
using CourseKit.Models;
using CourseKit.Tasks.TokenClassification;
using CourseKit.Text;

namespace CourseKit.Serving;

/// <summary>
/// NER over raw text, whatever runs the model: the text is split into words with their character offsets (BERT's
/// split: runs of non-space, non-punctuation characters, each punctuation character alone, and each CJK ideograph
/// alone, as BERT's basic tokenizer spaces them), the words are
/// aligned to windows, a backend scores the windows' tokens (<see cref="WordLogProbs"/>: TorchSharp or ONNX Runtime,
/// both through <see cref="TokenClassificationPredictor.WordLogProbs"/>), each word takes its argmax tag, and IOB2
/// runs (B-X I-X ...) become entities whose offsets index the original text. One implementation, so the two
/// backends can only differ in the logits.
/// </summary>
abstract partial class TextTagger : IServingBackend
{
    protected TextTagger(BertTextTokenizer tokenizer, string[] labels, BertConfig config, ServingOptions options)
    {
        (Tokenizer, Labels) = (tokenizer, labels);
        int maxLength = options.MaxSequenceLength ?? Math.Min(512, config.MaxPositionEmbeddings);
        Options = new TokenClassificationOptions { MaxLength = maxLength, Stride = maxLength / 4, EvalBatchSize = 16 };   // windows sorted by length
    }

    protected BertTextTokenizer Tokenizer { get; }
    protected string[] Labels { get; }
    protected TokenClassificationOptions Options { get; }

    public ServingTask Task => ServingTask.Ner;
    public abstract string Description { get; }

    /// <summary>Each word's label log-probabilities, per input ([input][word][label]).</summary>
    protected abstract float[][][] WordLogProbs(IReadOnlyList<WordWindow> windows);

    [GeneratedRegex(@"[\p{P}$+<=>^`|~]|[\p{IsCJKUnifiedIdeographs}\p{IsCJKUnifiedIdeographsExtensionA}\p{IsCJKCompatibilityIdeographs}]|[^\s\p{P}$+<=>^`|~\p{IsCJKUnifiedIdeographs}\p{IsCJKUnifiedIdeographsExtensionA}\p{IsCJKCompatibilityIdeographs}]+")]
    private static partial Regex Word();

    public virtual IReadOnlyList<object> Run(IReadOnlyList<ServingInput> inputs)
    {
        var words = inputs.Select(i => Word().Matches(i.Text).ToArray()).ToArray();
        var windows = Align(words);
        var logProbs = WordLogProbs(windows);
        var tags = TokenClassificationPredictor.Decode(logProbs, TagDecoding.Argmax);
        return inputs.Select((input, s) => (object)new NerResult(Entities(input.Text, words[s], tags[s], logProbs[s]))).ToArray();   // one row per text, an empty one included
    }

    /// <summary>The texts' words in windows; a word longer than a window (a run of characters each its own token) is
    /// the client's error (413), not a failed inference.</summary>
    IReadOnlyList<WordWindow> Align(Match[][] words)
    {
        try { return WordAlignment.AlignAll(Tokenizer, words.Select(w => (IReadOnlyList<string>)w.Select(m => m.Value).ToArray()).ToArray(), null, Options.Alignment(Labels)); }
        catch (ArgumentException e) { throw new ServingRequestException(413, $"the text cannot be tagged in windows of {Options.MaxLength} tokens: {e.Message}"); }
    }

    /// <summary>IOB2 runs as entities; an I-X that does not continue an X starts one (as seqeval reads IOB2 leniently).</summary>
    List<NerEntity> Entities(string text, Match[] words, int[] tags, float[][] logProbs)
    {
        var entities = new List<NerEntity>();
        int start = -1;
        string? type = null;
        double probabilitySum = 0;
        void Close(int endWord)
        {
            if (type is null) return;
            int from = words[start].Index, to = words[endWord].Index + words[endWord].Length;
            entities.Add(new NerEntity(type, text[from..to], from, to, probabilitySum / (endWord - start + 1)));
            type = null;
        }
        for (int w = 0; w < words.Length; w++)
        {
            var label = Labels[tags[w]];
            // Labels that are not IOB (LABEL_3 of a fresh head) are types of their own; runs of one label merge.
            var (prefix, wordType) = TagSchemes.IsIobTag(label) ? TagSchemes.Split(label) : ("I", label);
            bool continues = prefix == "I" && wordType == type;
            if (!continues) Close(w - 1);
            if (wordType is not null && !continues) { start = w; type = wordType; probabilitySum = 0; }
            if (type is not null) probabilitySum += Math.Exp(logProbs[w][tags[w]]);
        }
        Close(words.Length - 1);
        return entities;
    }

    public abstract void Dispose();
}
