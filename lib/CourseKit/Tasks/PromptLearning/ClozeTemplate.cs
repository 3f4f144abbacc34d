using CourseKit.Text;

namespace CourseKit.Tasks.PromptLearning;

/// <summary>The template string has no [MASK] (or more than one): nothing for the masked LM to fill.</summary>
public sealed class ClozeTemplateException(string message) : ArgumentException(message);

/// <summary>
/// A cloze template (PET, Schick and Schütze 2021; LM-BFF, Gao et al. 2021): the sentence placed into a text with one
/// [MASK], e.g. "{sentence} It was [MASK]."; without {sentence} the sentence goes first. Classifying then asks the
/// masked LM the question it was pretrained on (which word fills the blank?), so even zero examples give a classifier.
/// The sentence is truncated so the template always fits: the [MASK] is never cut off.
/// </summary>
public sealed record ClozeTemplate
{
    public const string MaskMarker = "[MASK]", SentenceMarker = "{sentence}";

    public string Text { get; }
    /// <summary>The template in order: literal text, <see cref="SentenceMarker"/> and <see cref="MaskMarker"/>.</summary>
    readonly string[] _parts;

    public ClozeTemplate(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int mask = text.IndexOf(MaskMarker, StringComparison.Ordinal);
        if (mask < 0)
            throw new ClozeTemplateException($"template \"{text}\" has no {MaskMarker}: a cloze template needs exactly one {MaskMarker} for the masked LM to fill (e.g. \"{SentenceMarker} It was {MaskMarker}.\")");
        if (text.IndexOf(MaskMarker, mask + MaskMarker.Length, StringComparison.Ordinal) >= 0)
            throw new ClozeTemplateException($"template \"{text}\" has more than one {MaskMarker}; exactly one is read");
        int sentence = text.IndexOf(SentenceMarker, StringComparison.Ordinal);
        if (sentence >= 0 && text.IndexOf(SentenceMarker, sentence + SentenceMarker.Length, StringComparison.Ordinal) >= 0)
            throw new ClozeTemplateException($"template \"{text}\" has more than one {SentenceMarker}; the sentence goes in once (its room is counted for one copy)");
        Text = sentence >= 0 ? text : SentenceMarker + " " + text;
        _parts = System.Text.RegularExpressions.Regex.Split(Text, @"(\{sentence\}|\[MASK\])").Where(p => p.Length > 0).ToArray();
    }

    public static readonly ClozeTemplate ItWas = new("{sentence} It was [MASK].");

    /// <summary>[CLS] … [MASK] … [SEP] ids of one sentence (at most <paramref name="maxLength"/>) and the [MASK]'s position.</summary>
    public (int[] Ids, int MaskPosition) Encode(BertTextTokenizer tokenizer, string sentence, int maxLength)
    {
        var bare = new EncodeOptions { AddSpecialTokens = false, Truncation = false };
        int[] Tokens(string s) => s.Trim().Length == 0 ? [] : tokenizer.Encode(s, bare).InputIds.ToArray();
        var literal = _parts.Select(p => p is SentenceMarker or MaskMarker ? null : Tokens(p)).ToArray();
        int fixedCount = 3 + literal.Sum(t => t?.Length ?? 0);                          // [CLS], [MASK], [SEP] and the template's words
        int room = maxLength - fixedCount;
        if (room <= 0) throw new ArgumentException($"template \"{Text}\" needs {fixedCount} tokens, more than the maximum length {maxLength}");
        var sentenceTokens = Tokens(sentence);
        if (sentenceTokens.Length > room) sentenceTokens = sentenceTokens[..room];     // only the sentence is cut
        var ids = new List<int> { tokenizer.ClsId };
        int maskPosition = -1;
        for (int i = 0; i < _parts.Length; i++)
        {
            if (_parts[i] == MaskMarker) { maskPosition = ids.Count; ids.Add(tokenizer.MaskId); }
            else ids.AddRange(_parts[i] == SentenceMarker ? sentenceTokens : literal[i]!);
        }
        ids.Add(tokenizer.SepId);
        return (ids.ToArray(), maskPosition);
    }

    /// <summary>The template with the sentence in it, as a reader sees it.</summary>
    public string Fill(string sentence) => Text.Replace(SentenceMarker, sentence, StringComparison.Ordinal);

    public override string ToString() => Text;
}

/// <summary>
/// A verbalizer: one vocabulary word per label ("terrible" → negative, "great" → positive). Each must be a single
/// token of the model's vocabulary, so the label's score is one logit of the masked-LM head.
/// </summary>
public sealed record Verbalizer(IReadOnlyList<string> Words, IReadOnlyList<int> TokenIds)
{
    public static Verbalizer Create(BertTextTokenizer tokenizer, IReadOnlyList<string> words)
    {
        var ids = words.Select(w =>
        {
            var token = tokenizer.LowerCase ? w.ToLowerInvariant() : w;
            return tokenizer.TokenToId(token) ?? throw new ArgumentException(
                $"verbalizer word '{w}' is not a single token of the vocabulary ({tokenizer.VocabPath}); choose a word the tokenizer keeps whole");
        }).ToArray();
        if (ids.Distinct().Count() != ids.Length) throw new ArgumentException($"verbalizer words must differ: {string.Join(", ", words)}");
        return new Verbalizer(words.ToArray(), ids);
    }

    /// <summary>LM-BFF's manual verbalizers: SST-2 terrible/great; PhraseBank bad/okay/good (in label order).</summary>
    public static IReadOnlyList<string> DefaultWords(PromptTask task) =>
        task == PromptTask.Sst2 ? ["terrible", "great"] : ["bad", "okay", "good"];
}
