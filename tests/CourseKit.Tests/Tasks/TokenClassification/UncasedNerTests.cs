using CourseKit.Data;
using CourseKit.Metrics;
using CourseKit.Models;
using CourseKit.Tests.Checkpoints;
using CourseKit.Text;
using CourseKit.Tasks.TokenClassification;

namespace CourseKit.Tests.Tasks.TokenClassification;

/// <summary>The NER path with the default encoder's UNCASED vocabulary (all-MiniLM-L6-v2 lower-cases and strips accents):
/// word alignment, first-piece labels and the reading back of one tag per word must not depend on the casing.</summary>
[Collection(Models.TorchGlobalRngCollection.Name)]
[KeepTensorsAlive]
public class UncasedNerTests(NerFixture ner) : IClassFixture<NerFixture>, IDisposable
{
    readonly string _dir = TestPaths.NewTempDir("coursekit-uncased-ner");
    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    BertTextTokenizer MiniLmTokenizer()
    {
        var path = Path.Combine(_dir, "vocab.txt");
        File.WriteAllBytes(path, PackagedEncoders.Vocab("minilm"));
        return BertTextTokenizer.Uncased(path);
    }

    [Fact]
    public void Every_conll_word_gets_exactly_one_labelled_first_piece()
    {
        var tokenizer = MiniLmTokenizer();
        var sentences = ner.Split("valid").Take(400).ToArray();
        int words = 0, unknown = 0;
        foreach (var s in sentences)
        {
            var windows = WordAlignment.Align(tokenizer, s.Words, s.TagIds, new WordAlignmentOptions { MaxLength = 512 });
            var window = Assert.Single(windows);
            var labelled = Enumerable.Range(0, window.Length).Where(t => window.Labels![t] != -100).ToArray();
            Assert.Equal(s.TagIds, labelled.Select(t => window.Labels![t]));                  // one label per word, in order
            Assert.Equal(Enumerable.Range(0, s.Length), labelled.Select(t => window.SentenceWordIds[t]!.Value));
            Assert.All(window.Encoding.Tokens.Where(t => !t.StartsWith('[')), t => Assert.Equal(t, t.ToLowerInvariant())); // uncased pieces
            words += s.Length;
            unknown += window.Encoding.Tokens.Count(t => t == "[UNK]");
        }
        Assert.True(unknown < words / 200, $"{unknown} [UNK] pieces for {words} words");
    }

    [Fact]
    public void Casing_and_accents_do_not_change_the_pieces_or_the_word_ids()
    {
        var tokenizer = MiniLmTokenizer();
        string[] upper = ["EU", "rejects", "German", "call", "to", "boycott", "British", "lamb", "in", "ZÜRICH", "."];
        string[] lower = ["eu", "rejects", "german", "call", "to", "boycott", "british", "lamb", "in", "zurich", "."];
        var a = WordAlignment.Align(tokenizer, upper)[0];
        var b = WordAlignment.Align(tokenizer, lower)[0];
        Assert.Equal(b.Encoding.InputIds, a.Encoding.InputIds);
        Assert.Equal(b.SentenceWordIds, a.SentenceWordIds);
    }

    [Fact]
    public void A_tagger_on_the_uncased_vocab_returns_one_tag_per_typed_word()
    {
        var tokenizer = MiniLmTokenizer();
        var config = SmallBert.Config(vocabSize: tokenizer.VocabularySize, layers: 1, hidden: 32, heads: 2, intermediate: 64, maxPositions: 128)
            .WithLabels(NerLabels.All);
        TorchSharp.torch.manual_seed(1);
        using var model = new BertForTokenClassification(config);
        IReadOnlyList<string>[] typed = [["Angela", "Merkel", "met", "Emmanuel", "Macron", "in", "Paris", "."], ["Zürich", "'s", "FC", "won", "2-1"]];
        var tags = TokenClassificationPredictor.Predict(model, tokenizer, typed, NerLabels.All);
        Assert.Equal(typed.Select(s => s.Count), tags.Select(t => t.Length));
        Assert.All(tags.SelectMany(t => t), t => Assert.Contains(t, NerLabels.All));
    }
}
