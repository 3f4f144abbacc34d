using Microsoft.ML.Tokenizers;

namespace CourseKit.Text;

/// <summary>
/// BERT WordPiece tokenization for the course, a thin layer over Microsoft.ML.Tokenizers' BertTokenizer: ids,
/// attention mask, token types, offsets into the original text, word ids, truncation, padding, (question, context)
/// pairs and sliding windows over long contexts.
/// </summary>
public sealed class BertTextTokenizer
{
    BertTextTokenizer(BertTokenizer inner, string vocabPath, int vocabularySize)
    {
        Inner = inner;
        VocabPath = vocabPath;
        VocabularySize = vocabularySize; // vocab.txt: one token per line, the id is the line index
    }

    /// <summary>The Microsoft.ML.Tokenizers tokenizer underneath.</summary>
    public BertTokenizer Inner { get; }
    public string VocabPath { get; }
    /// <summary>Number of tokens in vocab.txt (28,996 for bert-base-cased): the model's vocab_size.</summary>
    public int VocabularySize { get; }
    public bool LowerCase => Inner.LowerCaseBeforeTokenization;

    public int ClsId => Inner.ClassificationTokenId;
    public int SepId => Inner.SeparatorTokenId;
    public int PadId => Inner.PaddingTokenId;
    public int MaskId => Inner.MaskingTokenId;
    public int UnkId => Inner.UnknownTokenId;
    public string ClsToken => Inner.ClassificationToken;
    public string SepToken => Inner.SeparatorToken;
    public string PadToken => Inner.PaddingToken;
    public string MaskToken => Inner.MaskingToken;
    public string UnkToken => Inner.UnknownToken;

    /// <summary>
    /// Loads a BERT vocab.txt. <paramref name="lowerCase"/> true: the "uncased" models (lower-case and strip accents,
    /// as Hugging Face's BertTokenizer does for them); false: "cased" (text kept as written).
    /// </summary>
    public static BertTextTokenizer FromVocab(string vocabPath, bool lowerCase)
    {
        if (!File.Exists(vocabPath)) throw new FileNotFoundException($"BERT vocab not found: {vocabPath}", vocabPath);
        var options = new BertOptions
        {
            LowerCaseBeforeTokenization = lowerCase, // BertOptions defaults to true: set it for cased vocabs too
            RemoveNonSpacingMarks = lowerCase,
            ApplyBasicTokenization = true,
            IndividuallyTokenizeCjk = true,
            SplitOnSpecialTokens = true,
        };
        try
        {
            // Hugging Face's split and cleaning instead of BertTokenizer's, which drops symbols such as $ + = £ (see BertPreTokenization).
            var lines = File.ReadAllLines(vocabPath);
            var specials = new[] { options.UnknownToken, options.SeparatorToken, options.PaddingToken, options.ClassificationToken, options.MaskingToken }
                .ToDictionary(t => lowerCase ? t.ToLowerInvariant() : t, t => Array.IndexOf(lines, t));
            options.PreTokenizer = BertPreTokenization.Create(specials);
            options.Normalizer = BertPreTokenization.CleaningNormalizer(options);
            return new BertTextTokenizer(BertTokenizer.Create(vocabPath, options), vocabPath, lines.Length);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException or KeyNotFoundException)
        {
            throw new InvalidDataException($"{vocabPath}: not a usable BERT vocab ({e.Message})", e);
        }
    }

    public static BertTextTokenizer Cased(string vocabPath) => FromVocab(vocabPath, lowerCase: false);
    public static BertTextTokenizer Uncased(string vocabPath) => FromVocab(vocabPath, lowerCase: true);

    /// <summary>The id of a vocabulary token (e.g. "hello", "##ing"), or null.</summary>
    public int? TokenToId(string token)
    {
        var ids = Inner.EncodeToIds(token, addSpecialTokens: false, considerPreTokenization: false, considerNormalization: false);
        return ids.Count == 1 && ids[0] != UnkId || token == UnkToken ? ids[0] : null;
    }

    /// <summary>Text for ids; special tokens left out unless <paramref name="skipSpecialTokens"/> is false.</summary>
    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = true) => Inner.Decode(ids, skipSpecialTokens);

    // ---- single texts ----

    public TokenizedText Encode(string text, EncodeOptions? options = null)
    {
        options ??= EncodeOptions.Default;
        var pieces = Tokenize(text);
        return Assemble(pieces, null, options);
    }

    /// <summary>Encodes pre-split words (NER): <see cref="TokenizedText.WordIds"/> give each token's word index. Offsets index the words joined by single spaces.</summary>
    public TokenizedText EncodeWords(IReadOnlyList<string> words, EncodeOptions? options = null)
    {
        options ??= EncodeOptions.Default;
        var starts = new int[words.Count];
        int pos = 0;
        for (int i = 0; i < words.Count; i++) { starts[i] = pos; pos += words[i].Length + 1; }
        var joined = string.Join(' ', words);
        var pieces = Tokenize(joined).Select(p =>
        {
            int w = Array.BinarySearch(starts, p.Span.Start);
            if (w < 0) w = ~w - 1;
            return p with { Word = w };
        }).ToList();
        return Assemble(pieces, null, options);
    }

    public TokenizedBatch EncodeBatch(IReadOnlyList<string> texts, EncodeOptions? options = null)
    {
        options ??= EncodeOptions.Default;
        return Batch(texts.Select(t => Encode(t, options)).ToArray(), options);
    }

    // ---- pairs ----

    /// <summary>[CLS] first [SEP] second [SEP] with token types 0 / 1; truncation cuts the second text only ("only_second").</summary>
    public TokenizedText EncodePair(string first, string second, EncodeOptions? options = null)
    {
        options ??= EncodeOptions.Default;
        return Assemble(Tokenize(first), Tokenize(second), options);
    }

    /// <summary>
    /// Splits a long context into windows of at most <paramref name="maxLength"/> tokens, each
    /// [CLS] question [SEP] context-part [SEP], consecutive context parts overlapping by <paramref name="stride"/>
    /// tokens (Hugging Face's return_overflowing_tokens + stride). Offsets of context tokens index the context.
    /// </summary>
    public IReadOnlyList<TokenizedText> EncodeWindows(string question, string context, int maxLength, int stride, bool padToMaxLength = true)
    {
        var q = Tokenize(question);
        var c = Tokenize(context);
        int budget = maxLength - q.Count - 3;
        if (budget <= 0)
            throw new ArgumentException($"the question alone takes {q.Count} tokens + 3 special tokens: no room for context within max length {maxLength}", nameof(question));
        if (stride < 0 || stride >= budget)
            throw new ArgumentOutOfRangeException(nameof(stride), stride, $"stride must be in [0, {budget}) (the context room per window)");
        var noTruncation = new EncodeOptions { Truncation = false, Padding = padToMaxLength ? PaddingStrategy.MaxLength : PaddingStrategy.None, MaxLength = maxLength };
        var windows = new List<TokenizedText>();
        for (int start = 0; ; start += budget - stride)
        {
            int count = Math.Min(budget, c.Count - start);
            windows.Add(Assemble(q, c.GetRange(start, count), noTruncation) with { TruncatedTokenCount = c.Count - count });
            if (start + count >= c.Count) break;
        }
        return windows;
    }

    // ---- internals ----

    internal sealed record Piece(int Id, string Token, CharSpan Span, int Word);

    /// <summary>WordPiece tokens of <paramref name="text"/>, without special tokens, with offsets into <paramref name="text"/> and word indices.</summary>
    List<Piece> Tokenize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        // BertTokenizer drops \t \r \n as control characters; BERT's basic tokenizer treats them as spaces.
        // Replacing them keeps every position, so offsets stay valid for the original string.
        var input = text.AsSpan().IndexOfAny('\t', '\n', '\r') >= 0
            ? text.Replace('\t', ' ').Replace('\n', ' ').Replace('\r', ' ') : text;
        var tokens = Inner.EncodeToTokens(input, out string? normalized);
        var map = NormalizedOffsets.Build(input, normalized, Inner.Normalizer);
        var pieces = new List<Piece>(tokens.Count);
        int word = -1, previousEnd = -1;
        foreach (var t in tokens)
        {
            var (s, l) = t.Offset.GetOffsetAndLength((normalized ?? input).Length);
            var span = map.ToOriginal(s, l);
            bool continues = t.Value.StartsWith(Inner.ContinuingSubwordPrefix, StringComparison.Ordinal) && span.Start == previousEnd && word >= 0;
            if (!continues) word++;
            previousEnd = span.End;
            pieces.Add(new Piece(t.Id, t.Value, span, word));
        }
        return pieces;
    }

    TokenizedText Assemble(List<Piece> first, List<Piece>? second, EncodeOptions o)
    {
        int specials = !o.AddSpecialTokens ? 0 : second is null ? 2 : 3;
        int truncated = 0;
        if (o.MaxLength is int max && o.Truncation)
        {
            if (max < specials) throw new ArgumentOutOfRangeException(nameof(o), max, $"MaxLength {max} leaves no room for the {specials} special tokens");
            int room = max - specials;
            if (second is null)
            {
                if (first.Count > room) { truncated = first.Count - room; first = first.GetRange(0, room); }
            }
            else
            {
                int secondRoom = room - first.Count;
                if (secondRoom < 0)
                    throw new ArgumentException($"the first text alone takes {first.Count} tokens: with only-second truncation nothing fits in MaxLength {max}");
                if (second.Count > secondRoom) { truncated = second.Count - secondRoom; second = second.GetRange(0, secondRoom); }
            }
        }

        var ids = new List<int>(); var types = new List<int>(); var offsets = new List<CharSpan>();
        var words = new List<int?>(); var seqs = new List<int?>(); var toks = new List<string>();
        void Special(int id, string tok, int type) { ids.Add(id); types.Add(type); offsets.Add(default); words.Add(null); seqs.Add(null); toks.Add(tok); }
        void Add(List<Piece> ps, int seq)
        {
            foreach (var p in ps) { ids.Add(p.Id); types.Add(seq); offsets.Add(p.Span); words.Add(p.Word); seqs.Add(seq); toks.Add(p.Token); }
        }

        if (o.AddSpecialTokens) Special(ClsId, ClsToken, 0);
        Add(first, 0);
        if (o.AddSpecialTokens) Special(SepId, SepToken, 0);
        if (second is not null)
        {
            Add(second, 1);
            if (o.AddSpecialTokens) Special(SepId, SepToken, 1);
        }
        var result = new TokenizedText(ids, Enumerable.Repeat(1, ids.Count).ToArray(), types, offsets, words, seqs, toks)
        {
            TruncatedTokenCount = truncated,
        };
        if (o.Padding == PaddingStrategy.MaxLength)
        {
            if (o.MaxLength is not int padTo) throw new ArgumentException("PaddingStrategy.MaxLength needs MaxLength", nameof(o));
            result = result.PadTo(padTo, PadId, PadToken);
        }
        return result;
    }

    TokenizedBatch Batch(IReadOnlyList<TokenizedText> items, EncodeOptions o) =>
        TokenizedBatch.Pad(items, PadId, PadToken, o.Padding == PaddingStrategy.MaxLength ? o.MaxLength : null);
}
