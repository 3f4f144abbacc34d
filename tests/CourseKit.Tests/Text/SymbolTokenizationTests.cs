using System.Globalization;
using System.Text;
using CourseKit.Text;

namespace CourseKit.Tests.Text;

/// <summary>
/// Symbols as Hugging Face's BERT tokenizer treats them: ASCII punctuation ($ + &lt; = &gt; ^ ` | ~ among it) is a
/// word of its own; other symbols (£ € ° ©, Unicode S*) stay in their word and go through WordPiece.
/// Expected ids come from the vocab files' lines.
/// </summary>
[KeepTensorsAlive]
public class SymbolTokenizationTests
{
    static readonly string CasedPath = TestPaths.InRepo("datasets", "bert-vocab", "bert-base-cased-vocab.txt");
    static readonly string UncasedPath = TestPaths.InRepo("datasets", "bert-vocab", "bert-base-uncased-vocab.txt");
    static readonly Lazy<BertTextTokenizer> CasedTok = new(() => BertTextTokenizer.Cased(CasedPath));
    static readonly Lazy<BertTextTokenizer> UncasedTok = new(() => BertTextTokenizer.Uncased(UncasedPath));
    static readonly Lazy<Dictionary<string, int>> CasedVocab = new(() => ReadVocab(CasedPath));
    static readonly Lazy<Dictionary<string, int>> UncasedVocab = new(() => ReadVocab(UncasedPath));

    static Dictionary<string, int> ReadVocab(string path) =>
        File.ReadLines(path).Select((line, i) => (line, i)).GroupBy(x => x.line).ToDictionary(g => g.Key, g => g.First().i);

    public static TheoryData<bool> BothVocabs => new() { false, true };

    static (BertTextTokenizer Tok, Dictionary<string, int> Vocab) Get(bool uncased) =>
        uncased ? (UncasedTok.Value, UncasedVocab.Value) : (CasedTok.Value, CasedVocab.Value);

    /// <summary>
    /// WordPiece as the BERT paper's reference code states it, for expectations: longest vocab prefix first, then
    /// the longest "##" continuation, and so on; a word with an unmatchable rest is a single [UNK].
    /// </summary>
    static string[] WordPiece(string word, Dictionary<string, int> vocab)
    {
        var pieces = new List<string>();
        for (int start = 0; start < word.Length;)
        {
            string? piece = null;
            for (int end = word.Length; end > start && piece is null; end--)
            {
                var candidate = (start > 0 ? "##" : "") + word[start..end];
                if (vocab.ContainsKey(candidate)) { piece = candidate; start = end; }
            }
            if (piece is null) return ["[UNK]"];
            pieces.Add(piece);
        }
        return pieces.ToArray();
    }

    /// <summary>Uncased BERT's text: lower case, NFD, non-spacing marks removed ("≠" is "=" + U+0338, so it becomes "=").</summary>
    static string Uncase(string s) =>
        new(s.ToLowerInvariant().Normalize(NormalizationForm.FormD).Where(c => CharUnicodeInfo.GetUnicodeCategory(c) != UnicodeCategory.NonSpacingMark).ToArray());

    static int[] Ids(Dictionary<string, int> vocab, params string[] tokens) =>
        new[] { "[CLS]" }.Concat(tokens).Append("[SEP]").Select(t => vocab[t]).ToArray();

    [Theory, MemberData(nameof(BothVocabs))]
    public void Dollar_is_a_token_of_its_own(bool uncased)
    {
        var (tok, vocab) = Get(uncased);
        var e = tok.Encode("$ 5");
        Assert.Equal(Ids(vocab, "$", "5"), e.InputIds);
        Assert.Equal(new CharSpan(0, 1), e.Offsets[1]);
        Assert.Equal(Ids(vocab, "$", "5"), tok.Encode("$5").InputIds); // ASCII punctuation splits a word
    }

    [Theory, MemberData(nameof(BothVocabs))]
    public void Plus_and_equals_split_a_formula(bool uncased)
    {
        var (tok, vocab) = Get(uncased);
        var e = tok.Encode("a+b=c");
        Assert.Equal(Ids(vocab, "a", "+", "b", "=", "c"), e.InputIds);
        Assert.Equal(new[] { 0, 1, 2, 3, 4 }.Select(i => new CharSpan(i, 1)), e.Offsets.Skip(1).Take(5));
        Assert.Equal(new int?[] { null, 0, 1, 2, 3, 4, null }, e.WordIds);
    }

    [Fact]
    public void Pound_stays_in_its_word_and_goes_through_wordpiece()
    {
        // "£" (Sc) is no punctuation for BERT, so "£5" is one word. The cased vocab has no "£5": the longest prefix
        // is "£", the rest "5" continues as "##5". Hugging Face gives [CLS] cost £ ##5 [SEP].
        var vocab = CasedVocab.Value;
        Assert.False(vocab.ContainsKey("£5"));
        Assert.True(vocab.ContainsKey("£") && vocab.ContainsKey("##5"));
        var e = CasedTok.Value.Encode("cost £5");
        Assert.Equal(Ids(vocab, "cost", "£", "##5"), e.InputIds);
        Assert.Equal(new[] { new CharSpan(0, 4), new CharSpan(5, 1), new CharSpan(6, 1) }, e.Offsets.Skip(1).Take(3));
        Assert.Equal(new int?[] { null, 0, 1, 1, null }, e.WordIds);
    }

    [Theory]
    [InlineData("cost £5", false)]
    [InlineData("cost £5", true)]
    [InlineData("100°C", false)]
    [InlineData("100°C", true)]
    [InlineData("©2003", false)]
    [InlineData("©2003", true)]
    [InlineData("€10 ¥500", false)]
    [InlineData("€10 ¥500", true)]
    [InlineData("x² ½", false)]
    [InlineData("3×4 ≠ 11", true)]
    [InlineData("★ 😀", false)]
    public void Other_symbols_are_wordpieced_with_their_word(string text, bool uncased)
    {
        var (tok, vocab) = Get(uncased);
        var words = (uncased ? Uncase(text) : text).Split(' ');
        var expected = words.SelectMany(w => WordPiece(w, vocab)).ToArray();
        var e = tok.Encode(text);
        Assert.Equal(Ids(vocab, expected), e.InputIds);
        Assert.Equal(expected, e.Tokens.Skip(1).SkipLast(1));
        Assert.All(e.WordIds.Skip(1).SkipLast(1), w => Assert.InRange(w!.Value, 0, words.Length - 1));
    }

    [Fact]
    public void The_wordpiece_oracle_splits_as_hugging_face_does_on_hand_checked_words()
    {
        // Hugging Face tokenizers 0.23.2 on bert-base-cased: 100°C -> 100 ##° ##C, ©2003 -> © ##20 ##0 ##3.
        Assert.Equal(new[] { "100", "##°", "##C" }, WordPiece("100°C", CasedVocab.Value));
        Assert.Equal(new[] { "©", "##20", "##0", "##3" }, WordPiece("©2003", CasedVocab.Value));
        Assert.Equal(new[] { "[UNK]" }, WordPiece("😀", CasedVocab.Value));
    }

    [Theory]
    [InlineData("~")]
    [InlineData("^")]
    [InlineData("|")]
    [InlineData("`")]
    [InlineData("<")]
    [InlineData(">")]
    [InlineData("\\")]
    [InlineData("_")]
    public void Lone_ascii_punctuation_is_its_vocab_token(string symbol)
    {
        foreach (var uncased in new[] { false, true })
        {
            var (tok, vocab) = Get(uncased);
            var e = tok.Encode($"a{symbol}b");
            Assert.Equal(Ids(vocab, "a", symbol, "b"), e.InputIds);
            Assert.Equal(new CharSpan(1, 1), e.Offsets[2]);
            Assert.Equal(Ids(vocab, symbol), tok.Encode(symbol).InputIds);
        }
    }

    [Fact]
    public void Offsets_point_at_the_symbols_in_the_original_text()
    {
        const string text = "Shares\tfell 5% to $32.75 (−£3) on ©Reuters ~ 10:00";
        foreach (var tok in new[] { CasedTok.Value, UncasedTok.Value })
        {
            var e = tok.Encode(text);
            for (int i = 1; i < e.Length - 1; i++)
            {
                var piece = e.Tokens[i].StartsWith("##") ? e.Tokens[i][2..] : e.Tokens[i];
                if (e.InputIds[i] != tok.UnkId)
                    Assert.Equal(piece, text.Substring(e.Offsets[i].Start, e.Offsets[i].Length), ignoreCase: true);
            }
            foreach (var symbol in new[] { "%", "$", "£", "©", "~", "−" })
                Assert.Contains(new CharSpan(text.IndexOf(symbol, StringComparison.Ordinal), 1), e.Offsets);
        }
    }

    [Theory, MemberData(nameof(BothVocabs))]
    public void Encode_words_gives_a_standalone_symbol_its_own_word_id(bool uncased)
    {
        var (tok, vocab) = Get(uncased);
        var e = tok.EncodeWords(["$", "10", "million"]);
        Assert.Equal(Ids(vocab, "$", "10", "million"), e.InputIds);
        Assert.Equal(new int?[] { null, 0, 1, 2, null }, e.WordIds);
        Assert.Equal(new[] { default, new CharSpan(0, 1), new CharSpan(2, 2), new CharSpan(5, 7), default }, e.Offsets);

        var f = tok.EncodeWords(["£", "=", "©"]);
        Assert.Equal(new int?[] { null, 0, 1, 2, null }, f.WordIds);
        Assert.Equal(Ids(vocab, WordPiece("£", vocab).Concat(["="]).Concat(WordPiece("©", vocab)).ToArray()), f.InputIds);
    }

    [Fact]
    public void Invisible_format_characters_are_removed_as_hugging_face_cleans_text()
    {
        // Soft hyphen and zero-width space (Unicode Cf) vanish, joining their word: "softhyphen" is WordPieced whole.
        var vocab = CasedVocab.Value;
        var e = CasedTok.Value.Encode("soft\u00adhyphen zero\u200bwidth");
        Assert.Equal(Ids(vocab, WordPiece("softhyphen", vocab).Concat(WordPiece("zerowidth", vocab)).ToArray()), e.InputIds);
        Assert.Equal(new CharSpan(0, 4), e.Offsets[1]); // "soft", the removed U+00AD belongs to no piece
    }
}
