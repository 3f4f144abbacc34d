using CourseKit.Models;
using CourseKit.Tasks.PromptLearning;
using CourseKit.Tasks.SequenceClassification;
using CourseKit.Tests.Tasks.SequenceClassification;

namespace CourseKit.Tests.Tasks.PromptLearning;

[KeepTensorsAlive]
public class VerbalizerSearchTests(TinyBertFixture tiny) : IClassFixture<TinyBertFixture>
{
    // Vocabulary of 6 ids; id 0 is not a candidate. Log-probabilities are written by hand (they need not sum to one
    // for the search, which only compares them).
    static readonly int[] Candidates = [1, 2, 3, 4, 5];

    static LabelledLogProbs Examples(params (int Label, float[] LogProbs)[] rows) => new(rows.Select(r => r.LogProbs).ToArray(), rows.Select(r => r.Label).ToArray());

    [Fact]
    public void Shortlists_come_from_training_sums_and_the_combination_from_the_validation_reading()
    {
        // Training: word 1 is the likeliest everywhere (a generic word, likelihood ratio 0); word 3 gains for label 0
        // (ratio +1.75), word 4 for label 1; word 2 and 5 gain nothing.
        var train = Examples(
            (0, [-9, -1, -6, -2, -5, -8]), (0, [-9, -1, -7, -2, -6, -8]),
            (1, [-9, -1, -6, -5, -2, -8]), (1, [-9, -1, -7, -6, -2, -8]));
        // Shortlists of two: label 0 {3, 1}, label 1 {4, 1} (ties at ratio 0 go to the lower id). Read on validation,
        // only (3, 4) tells the labels apart.
        var validation = Examples((0, [-9, -1, -6, -2, -4, -8]), (1, [-9, -1, -6, -4, -2, -8]));
        var choice = VerbalizerSearch.Choose(train, validation, classes: 2, Candidates, perClass: 2);
        Assert.Equal([3, 4], choice.TokenIds);
        Assert.Equal(1.0, choice.Accuracy);
        Assert.Equal(2.0, choice.MeanMargin, 6);   // (−2 − −4) and (−2 − −4)
    }

    [Fact]
    public void Equal_accuracy_is_decided_by_the_margin_and_a_word_never_serves_two_labels()
    {
        // Likelihood ratios: label 0 word 3 +3.5, word 2 +0.5; label 1 word 5 +4, then words 1 and 4 at 0 (lower id
        // first). Shortlists of two: {3, 2} and {5, 1}.
        var train = Examples((0, [-9, -9, -1, -2, -9, -9]), (1, [-9, -9, -2, -9, -9, -1]));
        // On validation (2, 5) and (3, 5) are both right twice, with mean margins 2 and 2.5; (3, 1) and (2, 1) once.
        var validation = Examples((0, [-9, -9, -2, -1, -9, -4]), (1, [-9, -9, -3, -3, -9, -1]));
        var choice = VerbalizerSearch.Choose(train, validation, 2, Candidates, perClass: 2);
        Assert.Equal([3, 5], choice.TokenIds);
        Assert.Equal((1.0, 2.5), (choice.Accuracy, Math.Round(choice.MeanMargin, 6)));
        // Examples that do not differ give every word ratio 0: both labels' single candidate is word 1, and a word
        // never serves two labels.
        var same = Examples((0, [-9, -9, -1, -2, -9, -9]), (1, [-9, -9, -1, -2, -9, -9]));
        Assert.Contains("more than 1 candidates", Assert.Throws<ArgumentException>(() => VerbalizerSearch.Choose(same, same, 2, Candidates, perClass: 1)).Message);
    }

    [Fact]
    public void A_label_without_training_examples_and_mismatched_rows_are_refused_by_name()
    {
        var onlyLabel0 = Examples((0, [-9, -1, -6, -2, -5, -8]));
        Assert.Contains("label 1 has no training examples", Assert.Throws<ArgumentException>(() => VerbalizerSearch.Choose(onlyLabel0, onlyLabel0, 2, Candidates, perClass: 2)).Message);
        var none = Examples();
        Assert.Contains("no training examples", Assert.Throws<ArgumentException>(() => VerbalizerSearch.Choose(none, none, 2, Candidates, perClass: 2)).Message);
        var mismatched = new LabelledLogProbs([[-1f, -2f, -3f, -4f, -5f, -6f]], [0, 1]);
        Assert.Contains("1 rows of log-probabilities for 2 labels", Assert.Throws<ArgumentException>(() => VerbalizerSearch.Choose(mismatched, onlyLabel0, 2, Candidates, perClass: 2)).Message);
    }

    [Fact]
    public void Candidates_are_whole_words_of_three_letters_or_more()
    {
        var vocab = Path.Combine(Path.GetTempPath(), $"vocab-{Guid.NewGuid():N}.txt");
        File.WriteAllLines(vocab, ["[PAD]", "[unused0]", "the", "##ing", "good", "an", "1990", "bad", "co-op"]);
        try { Assert.Equal([2, 4, 7], VerbalizerSearch.CandidateIds(vocab)); }
        finally { File.Delete(vocab); }
    }

    [Fact]
    public void Vocabulary_log_probabilities_hold_the_label_logits_differences_and_the_search_runs_on_a_model()
    {
        using var model = BertForMaskedLM.FromPretrained(tiny.ModelDir);
        var verbalizer = Verbalizer.Create(tiny.Tokenizer, ["terrible", "great"]);
        using var cloze = new ClozeClassifier(model, tiny.Tokenizer, ClozeTemplate.ItWas, verbalizer, maxLength: 32);
        string[] sentences = ["The plot was thin", "A long and rather wonderful film about a family", "Bad."];
        var logProbs = cloze.VocabularyLogProbs(sentences, batchSize: 2);
        var labelLogits = cloze.Scores(sentences);
        for (int i = 0; i < sentences.Length; i++)
        {
            Assert.Equal(1.0, logProbs[i].Sum(v => Math.Exp(v)), 4);
            Assert.Equal(labelLogits[i][1] - labelLogits[i][0], logProbs[i][verbalizer.TokenIds[1]] - logProbs[i][verbalizer.TokenIds[0]], 3);
        }
        LabeledText[] train = [new(0, "The plot was thin", 0), new(1, "A rather wonderful film", 1)];
        var (searched, choice) = VerbalizerSearch.Search(cloze, train, train, classes: 2, perClass: 3);
        Assert.Equal(2, searched.Words.Distinct().Count());
        Assert.Equal(choice.TokenIds, searched.TokenIds);
        Assert.All(searched.Words, w => Assert.True(w.Length >= 3 && w.All(char.IsAsciiLetter), w));
    }
}
