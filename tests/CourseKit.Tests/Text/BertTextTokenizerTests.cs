using System.Globalization;
using System.Text;
using CourseKit.Native;
using CourseKit.Text;
using TorchSharp;

namespace CourseKit.Tests.Text;

[KeepTensorsAlive]
public class BertTextTokenizerTests
{
    static readonly string CasedPath = TestPaths.InRepo("datasets", "bert-vocab", "bert-base-cased-vocab.txt");
    static readonly string UncasedPath = TestPaths.InRepo("datasets", "bert-vocab", "bert-base-uncased-vocab.txt");
    static readonly Lazy<BertTextTokenizer> CasedTok = new(() => BertTextTokenizer.Cased(CasedPath));
    static readonly Lazy<BertTextTokenizer> UncasedTok = new(() => BertTextTokenizer.Uncased(UncasedPath));
    static readonly Lazy<Dictionary<string, int>> CasedVocab = new(() => ReadVocab(CasedPath));
    static readonly Lazy<Dictionary<string, int>> UncasedVocab = new(() => ReadVocab(UncasedPath));

    static BertTextTokenizer Cased => CasedTok.Value;
    static BertTextTokenizer Uncased => UncasedTok.Value;

    /// <summary>The vocab read directly: a token's id is its line number. Independent of the tokenizer.</summary>
    static Dictionary<string, int> ReadVocab(string path) =>
        File.ReadLines(path).Select((line, i) => (line, i)).GroupBy(x => x.line).ToDictionary(g => g.Key, g => g.First().i);

    public BertTextTokenizerTests() => TorchRuntime.Initialize();

    [Fact]
    public void Hello_world_encodes_to_the_bert_base_cased_ids()
    {
        var e = Cased.Encode("Hello, world!");
        Assert.Equal(new[] { 101, 8667, 117, 1362, 106, 102 }, e.InputIds);
        Assert.Equal(new[] { "[CLS]", "Hello", ",", "world", "!", "[SEP]" }, e.Tokens);
        Assert.All(e.AttentionMask, m => Assert.Equal(1, m));
        Assert.All(e.TokenTypeIds, t => Assert.Equal(0, t));
        Assert.Equal(new int?[] { null, 0, 1, 2, 3, null }, e.WordIds);
    }

    [Fact]
    public void Vocabulary_sizes_are_the_published_ones()
    {
        Assert.Equal(28_996, CasedTok.Value.VocabularySize);   // bert-base-cased config.json vocab_size
        Assert.Equal(30_522, UncasedTok.Value.VocabularySize); // bert-base-uncased
    }

    [Fact]
    public void Special_token_ids_are_the_vocab_lines()
    {
        foreach (var (tok, vocab) in new[] { (Cased, CasedVocab.Value), (Uncased, UncasedVocab.Value) })
        {
            Assert.Equal(vocab["[CLS]"], tok.ClsId);
            Assert.Equal(vocab["[SEP]"], tok.SepId);
            Assert.Equal(vocab["[PAD]"], tok.PadId);
            Assert.Equal(vocab["[MASK]"], tok.MaskId);
            Assert.Equal(vocab["[UNK]"], tok.UnkId);
        }
    }

    [Fact]
    public void Uncased_lower_cases_and_strips_accents_cased_keeps_them()
    {
        var v = UncasedVocab.Value;
        Assert.Equal(Uncased.Encode("hello").InputIds, Uncased.Encode("Hello").InputIds);
        Assert.Equal(v["hello"], Uncased.Encode("HeLLo").InputIds[1]);
        Assert.Equal(v["cafe"], Uncased.Encode("Café").InputIds[1]);

        var c = CasedVocab.Value;
        Assert.NotEqual(Cased.Encode("hello").InputIds, Cased.Encode("Hello").InputIds);
        Assert.Equal(c["Hello"], Cased.Encode("Hello").InputIds[1]);
        Assert.Equal(c["Café"], Cased.Encode("Café").InputIds[1]); // neither lower-cased nor stripped
        Assert.Equal(c["Zürich"], Cased.Encode("Zürich").InputIds[1]);
    }

    [Fact]
    public void Out_of_vocabulary_word_splits_into_pieces_with_its_word_id_repeated()
    {
        var words = new[] { "The", "unbelievably", "long", "tale" };
        Assert.False(CasedVocab.Value.ContainsKey("unbelievably"));
        var e = Cased.EncodeWords(words);
        var pieces = Enumerable.Range(0, e.Length).Where(i => e.WordIds[i] == 1).Select(i => e.Tokens[i]).ToArray();
        Assert.True(pieces.Length >= 2, string.Join(" ", pieces));
        Assert.False(pieces[0].StartsWith("##"));
        Assert.All(pieces.Skip(1), p => Assert.StartsWith("##", p));
        Assert.Equal("unbelievably", string.Concat(pieces.Select(p => p.Replace("##", ""))));
        for (int i = 0; i < e.Length; i++)
            if (e.WordIds[i] is not null) Assert.Equal(CasedVocab.Value[e.Tokens[i]], e.InputIds[i]);
        Assert.Equal(new int?[] { null, 0 }.Concat(Enumerable.Repeat((int?)1, pieces.Length)).Concat(new int?[] { 2, 3, null }), e.WordIds);
    }

    [Fact]
    public void Words_with_punctuation_keep_the_word_id_of_their_word()
    {
        var e = Cased.EncodeWords(new[] { "Paris,", "France" });
        Assert.Equal(new[] { "[CLS]", "Paris", ",", "France", "[SEP]" }, e.Tokens);
        Assert.Equal(new int?[] { null, 0, 0, 1, null }, e.WordIds);
        Assert.Equal(new CharSpan(7, 6), e.Offsets[3]); // "Paris, France"[7..13]
    }

    static string Fold(string s) =>
        new string(s.ToLowerInvariant().Normalize(NormalizationForm.FormD)
            .Where(ch => CharUnicodeInfo.GetUnicodeCategory(ch) != UnicodeCategory.NonSpacingMark).ToArray());

    [Theory]
    [InlineData("Café naïve, Zürich!")]
    [InlineData("cafe\u0301 and re\u0301sume\u0301s")] // decomposed accents: the normalized text is shorter
    [InlineData("tabs\tand\nnewlines\r\nhere")]
    [InlineData("日本 ok 東京!")]                       // CJK characters get spaces around them
    [InlineData("  leading and trailing  ")]
    public void Offsets_point_back_into_the_original_text(string text)
    {
        foreach (var tok in new[] { Cased, Uncased })
        {
            var e = tok.Encode(text);
            for (int i = 0; i < e.Length; i++)
            {
                if (e.WordIds[i] is null) { Assert.Equal(default, e.Offsets[i]); continue; }
                var span = e.Offsets[i];
                Assert.InRange(span.Start, 0, text.Length);
                Assert.InRange(span.End, span.Start + 1, text.Length);
                if (e.InputIds[i] == tok.UnkId) continue;
                var piece = e.Tokens[i].StartsWith("##") ? e.Tokens[i][2..] : e.Tokens[i];
                Assert.Equal(Fold(piece), Fold(text.Substring(span.Start, span.Length)));
            }
        }
    }

    [Fact]
    public void Offsets_hand_checked()
    {
        var e = Uncased.Encode("Naïve café");
        Assert.Equal(new[] { "[CLS]", "naive", "cafe", "[SEP]" }, e.Tokens);
        Assert.Equal(new[] { default, new CharSpan(0, 5), new CharSpan(6, 4), default }, e.Offsets);
        // 'e' + combining acute: 5 chars for the word, but the stripped accent belongs to no token (as in Hugging Face).
        var d = Uncased.Encode("cafe\u0301 ok");
        Assert.Equal(new[] { "[CLS]", "cafe", "ok", "[SEP]" }, d.Tokens);
        Assert.Equal(new[] { default, new CharSpan(0, 4), new CharSpan(6, 2), default }, d.Offsets);
        var c = Cased.Encode("日本 ok");
        Assert.Equal(new[] { default, new CharSpan(0, 1), new CharSpan(1, 1), new CharSpan(3, 2), default }, c.Offsets);
    }

    [Fact]
    public void Tab_and_newline_separate_words()
    {
        var e = Cased.Encode("Hello\tworld\nagain");
        Assert.Equal(new[] { "[CLS]", "Hello", "world", "again", "[SEP]" }, e.Tokens);
    }

    [Fact]
    public void Truncation_keeps_the_final_sep()
    {
        var text = "one two three four five six seven eight";
        var e = Cased.Encode(text, new EncodeOptions { MaxLength = 5 });
        Assert.Equal(5, e.Length);
        Assert.Equal(Cased.ClsId, e.InputIds[0]);
        Assert.Equal(Cased.SepId, e.InputIds[^1]);
        Assert.Equal(new[] { "one", "two", "three" }, e.Tokens.Skip(1).Take(3));
        Assert.Equal(5, e.TruncatedTokenCount);
        var untouched = Cased.Encode(text, new EncodeOptions { MaxLength = 5, Truncation = false });
        Assert.Equal(10, untouched.Length);
    }

    [Fact]
    public void Without_special_tokens()
    {
        var e = Cased.Encode("Hello, world!", new EncodeOptions { AddSpecialTokens = false });
        Assert.Equal(new[] { 8667, 117, 1362, 106 }, e.InputIds);
    }

    [Fact]
    public void Pair_has_token_types_0_then_1_and_offsets_into_each_text()
    {
        const string q = "Who wrote it?", ctx = "Ada Lovelace wrote it.";
        var e = Cased.EncodePair(q, ctx);
        int firstSep = e.InputIds.ToList().IndexOf(Cased.SepId);
        Assert.Equal(Cased.ClsId, e.InputIds[0]);
        Assert.Equal(Cased.SepId, e.InputIds[^1]);
        for (int i = 0; i < e.Length; i++)
            Assert.Equal(i <= firstSep ? 0 : 1, e.TokenTypeIds[i]);
        for (int i = 0; i < e.Length; i++)
        {
            if (e.SequenceIds[i] is not int s) continue;
            var src = s == 0 ? q : ctx;
            var piece = e.Tokens[i].TrimStart('#');
            Assert.Equal(piece, src.Substring(e.Offsets[i].Start, e.Offsets[i].Length));
        }
        Assert.Equal(new[] { "[CLS]", "Who", "wrote", "it", "?", "[SEP]" }, e.Tokens.Take(6));
        Assert.Equal(5, firstSep);
        Assert.Equal(new int?[] { null, 0, 0, 0, 0, null }, e.SequenceIds.Take(6));
    }

    [Fact]
    public void Pair_truncation_cuts_only_the_second_text()
    {
        const string q = "What is the capital?";
        const string ctx = "Paris is the capital and most populous city of France by far.";
        var full = Cased.EncodePair(q, ctx);
        var e = Cased.EncodePair(q, ctx, new EncodeOptions { MaxLength = 12 });
        Assert.Equal(12, e.Length);
        Assert.Equal(Cased.SepId, e.InputIds[^1]);
        // the question survives whole
        Assert.Equal(full.InputIds.Take(full.TokenTypeIds.Count(t => t == 0)), e.InputIds.Take(e.TokenTypeIds.Count(t => t == 0)));
        Assert.Equal(full.Length - 12, e.TruncatedTokenCount);
    }

    [Fact]
    public void Padding_to_max_length_masks_the_pads()
    {
        var e = Cased.Encode("Hello, world!", new EncodeOptions { MaxLength = 10, Padding = PaddingStrategy.MaxLength });
        Assert.Equal(new[] { 101, 8667, 117, 1362, 106, 102, 0, 0, 0, 0 }, e.InputIds);
        Assert.Equal(new[] { 1, 1, 1, 1, 1, 1, 0, 0, 0, 0 }, e.AttentionMask);
        Assert.Equal(Enumerable.Repeat((int?)null, 4), e.WordIds.Skip(6));
    }

    [Fact]
    public void Batch_pads_to_the_longest_and_becomes_int64_tensors()
    {
        var batch = Cased.EncodeBatch(new[] { "Hello, world!", "Hi" }, new EncodeOptions { Padding = PaddingStrategy.Longest });
        using var t = batch.ToTensors();
        Assert.Equal(new long[] { 2, 6 }, t.InputIds.shape);
        Assert.Equal(torch.ScalarType.Int64, t.InputIds.dtype);
        Assert.Equal(torch.ScalarType.Int64, t.AttentionMask.dtype);
        Assert.Equal(new long[] { 101, 8667, 117, 1362, 106, 102 }, t.InputIds[0].data<long>().ToArray());
        Assert.Equal(new long[] { 1, 1, 1, 0, 0, 0 }, t.AttentionMask[1].data<long>().ToArray());
        Assert.Equal(new long[] { 101, CasedVocab.Value["Hi"], 102, 0, 0, 0 }, t.InputIds[1].data<long>().ToArray());
        Assert.Equal(0L, t.TokenTypeIds.sum().item<long>());
    }

    [Fact]
    public void Sliding_windows_overlap_by_stride_and_cover_the_context()
    {
        const string q = "Where?";
        var ctx = string.Join(" ", Enumerable.Range(0, 40).Select(i => $"word{i % 7}"));
        var ctxPieces = Cased.Encode(ctx, new EncodeOptions { AddSpecialTokens = false });
        const int max = 24, stride = 5;
        var windows = Cased.EncodeWindows(q, ctx, max, stride);
        Assert.True(windows.Count > 1);
        var covered = new List<CharSpan>();
        CharSpan[]? previous = null;
        foreach (var w in windows)
        {
            Assert.Equal(max, w.Length); // padded
            var ctxOffsets = Enumerable.Range(0, w.Length).Where(i => w.SequenceIds[i] == 1).Select(i => w.Offsets[i]).ToArray();
            Assert.Equal(Cased.SepId, w.InputIds[w.AttentionMask.Count(m => m == 1) - 1]);
            if (previous is not null)
                Assert.Equal(previous[^stride..], ctxOffsets[..stride]);
            covered.AddRange(ctxOffsets);
            previous = ctxOffsets;
        }
        Assert.Equal(ctxPieces.Offsets, covered.Distinct());
        Assert.Throws<ArgumentOutOfRangeException>(() => Cased.EncodeWindows(q, ctx, max, stride: 40));
    }

    [Fact]
    public void Decode_round_trips()
    {
        Assert.Equal("Hello, world!", Cased.Decode(Cased.Encode("Hello, world!").InputIds));
        Assert.Equal("[CLS] Hello, world! [SEP]", Cased.Decode(Cased.Encode("Hello, world!").InputIds, skipSpecialTokens: false));
        Assert.Equal("unbelievably long", Cased.Decode(Cased.Encode("unbelievably long").InputIds));
        Assert.Equal("hello world", Uncased.Decode(Uncased.Encode("Hello World").InputIds));
    }

    [Fact]
    public void Missing_vocab_is_a_clear_error()
    {
        var e = Assert.Throws<FileNotFoundException>(() => BertTextTokenizer.Cased("/nope/vocab.txt"));
        Assert.Contains("/nope/vocab.txt", e.Message);
    }
}
