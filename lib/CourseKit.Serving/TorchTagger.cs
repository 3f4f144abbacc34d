using System.Text.RegularExpressions;
using CourseKit.Data;
using CourseKit.Models;
using CourseKit.Tasks.TokenClassification;
using CourseKit.Text;

namespace CourseKit.Serving;

/// <summary>
/// NER over raw text: the text is split into words with their character offsets (BERT's split: runs of
/// non-space, non-punctuation characters, and each punctuation character alone), the kit's
/// <see cref="TokenClassificationPredictor"/> tags the words, and IOB2 runs (B-X I-X ...) become entities whose
/// offsets index the original text.
/// </summary>
sealed partial class TorchTagger : IServingBackend
{
    readonly BertForTokenClassification _model;
    readonly BertTextTokenizer _tokenizer;
    readonly string[] _labels;
    readonly TokenClassificationOptions _options;

    public TorchTagger(BertForTokenClassification model, BertTextTokenizer tokenizer, ServingOptions options)
    {
        (_model, _tokenizer) = (model, tokenizer);
        _model.eval();
        _labels = TorchBackends.Labels(model.Config);
        int maxLength = options.MaxSequenceLength ?? Math.Min(512, model.Config.MaxPositionEmbeddings);
        _options = new TokenClassificationOptions { MaxLength = maxLength, Stride = maxLength / 4, EvalBatchSize = 16 };   // the predictor sorts windows by length
    }

    public ServingTask Task => ServingTask.Ner;
    public string Description => $"torch token classifier, tags {string.Join(", ", _labels)}";

    [GeneratedRegex(@"[\p{P}$+<=>^`|~]|[^\s\p{P}$+<=>^`|~]+")]
    private static partial Regex Word();

    public IReadOnlyList<object> Run(IReadOnlyList<ServingInput> inputs) => TorchBackends.Scoped(() =>
    {
        var words = inputs.Select(i => Word().Matches(i.Text).ToArray()).ToArray();
        var windows = WordAlignment.AlignAll(_tokenizer, words.Select(w => (IReadOnlyList<string>)w.Select(m => m.Value).ToArray()).ToArray(),
            null, _options.Alignment(_labels));
        var (logProbs, _) = TokenClassificationPredictor.PredictLogProbs(_model, _tokenizer, windows, _options);
        var tags = TokenClassificationPredictor.Decode(logProbs, TagDecoding.Argmax);
        return inputs.Select((input, s) => (object)new NerResult(Entities(input.Text, words[s], tags[s], logProbs[s]))).ToArray();
    });

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
            var label = _labels[tags[w]];
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

    public void Dispose() => _model.Dispose();
}
