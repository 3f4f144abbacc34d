using CourseKit.Data;
using CourseKit.Text;

namespace CourseKit.Tasks.TokenClassification;

/// <summary>
/// Sentences ready for token classification: the words, their gold tags, and the aligned windows (WordPiece tokens with
/// one label per token: the word's label on its first piece, -100 on [CLS], [SEP], padding and, with the default
/// FirstSubword labelling, continuation pieces; AllSubwords gives those the word's inside label instead).
/// </summary>
public sealed class TokenClassificationData
{
    TokenClassificationData(IReadOnlyList<IReadOnlyList<string>> words, IReadOnlyList<IReadOnlyList<string>> tags,
        IReadOnlyList<string> labels, IReadOnlyList<WordWindow> windows)
    {
        Words = words;
        Tags = tags;
        Labels = labels;
        Windows = windows;
    }

    public IReadOnlyList<IReadOnlyList<string>> Words { get; }
    /// <summary>Gold tags, one per word.</summary>
    public IReadOnlyList<IReadOnlyList<string>> Tags { get; }
    /// <summary>The label set; a tag's id is its index here.</summary>
    public IReadOnlyList<string> Labels { get; }
    public IReadOnlyList<WordWindow> Windows { get; }
    public int SentenceCount => Words.Count;
    public long WordCount => Words.Sum(w => (long)w.Count);
    /// <summary>Non-padding tokens over all windows ([CLS] and [SEP] included).</summary>
    public long TokenCount => Windows.Sum(w => (long)w.Encoding.AttentionMask.Count(m => m != 0));

    public static TokenClassificationData Create(BertTextTokenizer tokenizer, IReadOnlyList<IReadOnlyList<string>> words,
        IReadOnlyList<IReadOnlyList<string>> tags, IReadOnlyList<string> labels, TokenClassificationOptions? options = null)
    {
        options ??= new TokenClassificationOptions();
        if (words.Count != tags.Count) throw new ArgumentException($"{words.Count} sentences but {tags.Count} tag lists.", nameof(tags));
        var index = labels.Select((l, i) => (l, i)).ToDictionary(x => x.l, x => x.i, StringComparer.Ordinal);
        var ids = new int[words.Count][];
        for (int s = 0; s < words.Count; s++)
        {
            if (words[s].Count != tags[s].Count)
                throw new ArgumentException($"sentence {s}: {words[s].Count} words but {tags[s].Count} tags.", nameof(tags));
            ids[s] = tags[s].Select((t, i) => index.TryGetValue(t, out var id) ? id
                : throw new ArgumentException($"sentence {s}, word {i} '{words[s][i]}': tag '{t}' is not in the label set ({string.Join(", ", labels)}).", nameof(tags))).ToArray();
        }
        var windows = WordAlignment.AlignAll(tokenizer, words, ids, options.Alignment(labels));
        return new TokenClassificationData(words, tags, labels, windows);
    }

    /// <summary>CoNLL sentences (IOB2 tags) with the CoNLL-2003 label set <see cref="NerLabels.All"/> by default.</summary>
    public static TokenClassificationData FromConll(BertTextTokenizer tokenizer, IReadOnlyList<ConllSentence> sentences,
        TokenClassificationOptions? options = null, IReadOnlyList<string>? labels = null) =>
        Create(tokenizer, sentences.Select(s => s.Words).ToArray(), sentences.Select(s => s.Tags).ToArray(), labels ?? NerLabels.All, options);
}
