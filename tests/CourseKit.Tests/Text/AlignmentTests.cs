using CourseKit.Data;
using CourseKit.Native;
using CourseKit.Text;
using TorchSharp;

namespace CourseKit.Tests.Text;

[KeepTensorsAlive]
public class AlignmentTests
{
    static readonly string CasedPath = TestPaths.InRepo("datasets", "bert-vocab", "bert-base-cased-vocab.txt");
    static readonly Lazy<BertTextTokenizer> CasedTok = new(() => BertTextTokenizer.Cased(CasedPath));
    static readonly Lazy<HashSet<string>> Vocab = new(() => File.ReadLines(CasedPath).ToHashSet());
    static BertTextTokenizer Cased => CasedTok.Value;

    public AlignmentTests() => TorchRuntime.Initialize();

    // The first sentence of the CoNLL-2003 test split (eng.testb), written out to keep this test off the data mirror.
    static readonly string[] Words = ["SOCCER", "-", "JAPAN", "GET", "LUCKY", "WIN", ",", "CHINA", "IN", "SURPRISE", "DEFEAT", "."];
    static readonly string[] Tags = ["O", "O", "B-LOC", "O", "O", "O", "O", "B-PER", "O", "O", "O", "O"];

    [Fact]
    public void Real_sentence_with_out_of_vocabulary_words_labels_the_first_piece_of_each_word()
    {
        var labels = NerLabels.ToIds(Tags);
        Assert.Contains(Words, w => !Vocab.Value.Contains(w)); // e.g. SOCCER is split into pieces
        var windows = WordAlignment.Align(Cased, Words, labels);
        var window = Assert.Single(windows);
        var tokens = window.Encoding.Tokens;
        Assert.Equal("[CLS]", tokens[0]);
        Assert.Equal("[SEP]", tokens[^1]);
        Assert.Equal(-100, window.Labels![0]);
        Assert.Equal(-100, window.Labels[^1]);

        // The pieces of each word spell it (## marks continuations), only the first carries the word's label.
        for (int w = 0; w < Words.Length; w++)
        {
            var positions = Enumerable.Range(0, tokens.Count).Where(t => window.SentenceWordIds[t] == w).ToArray();
            Assert.NotEmpty(positions);
            Assert.Equal(Enumerable.Range(positions[0], positions.Length), positions); // contiguous
            Assert.Equal(Words[w], string.Concat(positions.Select(t => tokens[t].StartsWith("##") ? tokens[t][2..] : tokens[t])));
            Assert.All(positions, t => Assert.Contains(tokens[t], Vocab.Value));
            Assert.Equal(labels[w], window.Labels[positions[0]]);
            Assert.All(positions.Skip(1), t => Assert.Equal(-100, window.Labels[t]));
        }
        Assert.Equal(Words.Length, window.Labels.Count(l => l != -100));
        Assert.True(tokens.Count > Words.Length + 2, "some word is split into several pieces");
        Assert.Equal(Enumerable.Range(0, Words.Length), window.ScoredWords);
    }

    [Fact]
    public void All_subword_labelling_gives_continuation_pieces_the_inside_label()
    {
        // A B-PER word split into pieces: the continuation pieces get I-PER.
        string[] words = ["Tymoshenko", "visited", "SOCCER"];
        int[] labels = [NerLabels.Id("B-PER"), NerLabels.Id("O"), NerLabels.Id("B-LOC")];
        var options = new WordAlignmentOptions { Labeling = SubwordLabeling.AllSubwords, ContinuationLabel = NerLabels.InsideOf };
        var window = Assert.Single(WordAlignment.Align(Cased, words, labels, options));
        for (int t = 0; t < window.Length; t++)
        {
            if (window.SentenceWordIds[t] is not int w) { Assert.Equal(-100, window.Labels![t]); continue; }
            bool first = window.SentenceWordIds[t - 1] != w;
            Assert.Equal(first ? labels[w] : NerLabels.InsideOf(labels[w]), window.Labels![t]);
        }
        var continuation = Enumerable.Range(1, window.Length - 2).Where(t => window.SentenceWordIds[t] == window.SentenceWordIds[t - 1]).ToArray();
        Assert.Contains(continuation, t => window.Labels![t] == NerLabels.Id("I-PER"));
        Assert.Contains(continuation, t => window.Labels![t] == NerLabels.Id("I-LOC"));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(5)]
    public void Sentence_longer_than_max_length_keeps_every_word_whole(int stride)
    {
        // 20 single-piece words, MaxLength 8: 6 words per window.
        var words = Enumerable.Range(0, 20).Select(i => i % 2 == 0 ? "the" : "house").ToArray();
        var labels = Enumerable.Range(0, 20).Select(i => i % NerLabels.Count).ToArray();
        var options = new WordAlignmentOptions { MaxLength = 8, Stride = stride };
        var windows = WordAlignment.Align(Cased, words, labels, options);

        Assert.All(windows, w => Assert.True(w.Length <= 8));
        Assert.Equal(0, windows[0].FirstWord);
        Assert.Equal(20, windows[^1].FirstWord + windows[^1].WordCount);
        for (int k = 1; k < windows.Count; k++)
        {
            int previousEnd = windows[k - 1].FirstWord + windows[k - 1].WordCount;
            Assert.Equal(Math.Min(stride, 6), previousEnd - windows[k].FirstWord); // overlap in words = tokens here
        }
        // Every word scored in exactly one window that contains it.
        var scored = windows.SelectMany(w => w.ScoredWords).ToArray();
        Assert.Equal(Enumerable.Range(0, 20), scored.Order());
        foreach (var w in windows) Assert.All(w.ScoredWords, i => Assert.InRange(i, w.FirstWord, w.FirstWord + w.WordCount - 1));

        var back = WordAlignment.WordPredictions(windows, windows.Select(w => w.Labels!).ToArray());
        Assert.Equal(labels, Assert.Single(back));
    }

    [Fact]
    public void Max_context_rule_picks_the_window_with_the_most_context_on_both_sides()
    {
        // MaxLength 8, stride 4 over 10 one-piece words: windows [0,6) and [2,8) and [4,10).
        // Word 3: window 0 has min(3 left, 2 right) = 2, window 1 min(1, 4) = 1 -> window 0.
        // Word 4: window 0 min(4, 1) = 1, window 1 min(2, 3) = 2, window 2 min(0, 5) = 0 -> window 1.
        var words = Enumerable.Repeat("the", 10).ToArray();
        var windows = WordAlignment.Align(Cased, words, options: new WordAlignmentOptions { MaxLength = 8, Stride = 4 });
        Assert.Equal(new[] { (0, 6), (2, 6), (4, 6) }, windows.Select(w => (w.FirstWord, w.WordCount)));
        Assert.Equal(new[] { 0, 1, 2, 3 }, windows[0].ScoredWords);
        Assert.Equal(new[] { 4, 5 }, windows[1].ScoredWords);
        Assert.Equal(new[] { 6, 7, 8, 9 }, windows[2].ScoredWords);
        Assert.Null(windows[0].Labels);
    }

    [Fact]
    public void Every_window_after_the_first_adds_a_word_even_when_the_overlap_would_leave_no_room()
    {
        // Windows of 10 tokens sharing up to 8: ten 1-piece words, then a 5-piece word. Overlapping by 8 would leave the
        // next window no room for the long word (the windows (2,10), (3,10), (4,10) repeated the same words).
        string[] words = [.. Enumerable.Repeat("the", 10), "中中中中中"];
        Assert.Equal(5, Cased.EncodeWords(["中中中中中"], new EncodeOptions { AddSpecialTokens = false, Truncation = false }).WordIds.Count);
        var windows = WordAlignment.Align(Cased, words, null, new WordAlignmentOptions { MaxLength = 12, Stride = 8 });
        var lastWords = windows.Select(w => w.SentenceWordIds.Where(i => i is not null).Max()!.Value).ToArray();
        Assert.Equal(lastWords.Distinct().Count(), lastWords.Length);                 // each window ends further on
        Assert.Equal(10, lastWords[^1]);
        Assert.Equal(2, windows.Count);
    }

    [Fact]
    public void Round_trip_labels_to_tokens_and_back_equals_the_tags_with_multi_piece_words_and_windows()
    {
        // The real sentence repeated to need windows; continuation and special tokens get junk that must be ignored.
        var words = Words.Concat(Words).Concat(Words).ToArray();
        var tags = Tags.Concat(Tags).Concat(Tags).ToArray();
        foreach (var labeling in new[] { SubwordLabeling.FirstSubword, SubwordLabeling.AllSubwords })
        {
            var options = new WordAlignmentOptions { MaxLength = 16, Stride = 5, Labeling = labeling, ContinuationLabel = NerLabels.InsideOf, PadToMaxLength = true };
            var windows = WordAlignment.AlignAll(Cased, [Words, words], [NerLabels.ToIds(Tags), NerLabels.ToIds(tags)], options);
            Assert.True(windows.Count(w => w.SentenceIndex == 1) > 2);
            Assert.All(windows, w => Assert.Equal(16, w.Length));
            var predictions = windows.Select(w => (IReadOnlyList<int>)w.Labels!.Select((l, t) => IsFirstPiece(w, t) ? l : 7).ToArray()).ToArray();
            var back = WordAlignment.WordPredictions(windows, predictions);
            Assert.Equal(Tags, NerLabels.ToNames(back[0]));
            Assert.Equal(tags, NerLabels.ToNames(back[1]));
        }
    }

    [Fact]
    public void Whole_conll_test_split_round_trips_through_windows_of_32_tokens()
    {
        var path = Path.Combine(TestPaths.SharedDatasets, "conll2003", "iob2", "test.txt");
        Assert.True(File.Exists(path), $"the shared data mirror is missing: {path}");
        var sentences = Conll.ReadFile(path);
        var options = new WordAlignmentOptions { MaxLength = 32, Stride = 8 };
        var windows = WordAlignment.AlignAll(Cased, sentences.Select(s => s.Words).ToArray(), sentences.Select(s => (IReadOnlyList<int>)s.TagIds).ToArray(), options);
        Assert.True(windows.Count > sentences.Count, "some sentences need several windows");
        Assert.All(windows, w => Assert.True(w.Length <= 32));
        var back = WordAlignment.WordPredictions(windows, windows.Select(w => w.Labels!).ToArray(), fallback: -1);
        Assert.Equal(sentences.Count, back.Length);
        // Every word has a token (symbol-only words such as "$" and "=" included, as in Hugging Face) and comes back with its tag.
        for (int i = 0; i < sentences.Count; i++)
            Assert.True(sentences[i].TagIds.SequenceEqual(back[i]), $"sentence {i}: {string.Join(' ', sentences[i].Words)}");
        Assert.Contains(sentences, s => s.Words.Contains("$"));
        var wordsWithoutToken = sentences.SelectMany(s =>
        {
            var withToken = Cased.EncodeWords(s.Words).WordIds.ToHashSet();
            return s.Words.Where((_, j) => !withToken.Contains(j));
        });
        Assert.Empty(wordsWithoutToken);
    }

    static bool IsFirstPiece(WordWindow w, int t) =>
        w.SentenceWordIds[t] is int word && (t == 0 || w.SentenceWordIds[t - 1] != word);

    [Fact]
    public void Logits_tensor_and_label_tensor_follow_the_windows()
    {
        var labels = NerLabels.ToIds(Tags);
        var windows = WordAlignment.AlignAll(Cased, [Words, Words[..3]], [labels, labels[..3]]);
        using var labelTensor = WordAlignment.LabelTensor(windows);
        int length = windows.Max(w => w.Length);
        Assert.Equal(new long[] { 2, length }, labelTensor.shape);
        Assert.Equal(-100L, labelTensor[1, length - 1].item<long>()); // padding of the short sentence

        // One-hot logits of the labels (first pieces) give the tags back.
        using var logits = torch.zeros(2, length, NerLabels.Count);
        for (int k = 0; k < 2; k++)
            for (int t = 0; t < windows[k].Length; t++)
                logits[k, t, windows[k].Labels![t] < 0 ? 3 : windows[k].Labels![t]] = torch.tensor(1f);
        var back = WordAlignment.WordPredictions(windows, logits);
        Assert.Equal(labels, back[0]);
        Assert.Equal(labels[..3], back[1]);
    }

    [Fact]
    public void Bad_arguments_are_refused()
    {
        Assert.Throws<ArgumentException>(() => WordAlignment.Align(Cased, Words, [0, 0]));
        Assert.Throws<ArgumentOutOfRangeException>(() => WordAlignment.Align(Cased, Words, options: new WordAlignmentOptions { MaxLength = 8, Stride = 6 }));
        var ex = Assert.Throws<ArgumentException>(() => WordAlignment.Align(Cased, ["Tymoshenko"], options: new WordAlignmentOptions { MaxLength = 3, Stride = 0 }));
        Assert.Contains("Tymoshenko", ex.Message);
    }
}
