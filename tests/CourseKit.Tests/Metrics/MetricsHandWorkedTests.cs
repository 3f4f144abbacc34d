using CourseKit.Data;
using CourseKit.Metrics;

namespace CourseKit.Tests.Metrics;

/// <summary>Small cases worked out by hand (the expected numbers are derived in the comments).</summary>
[KeepTensorsAlive]
public class MetricsHandWorkedTests
{
    static IReadOnlyList<IReadOnlyList<string>> S(params string[][] sentences) => sentences;

    [Fact]
    public void Token_scores_of_a_small_case_by_hand()
    {
        // gold: B-PER I-PER O O B-LOC | pred: B-PER O O B-LOC B-LOC
        // B-PER: tp 1, pred 1, gold 1 -> 1, 1, 1.  I-PER: tp 0, pred 0, gold 1 -> P 0 (never predicted), R 0, F 0.
        // O: tp 1, pred 2, gold 2 -> 0.5, 0.5, 0.5. B-LOC: tp 1, pred 2, gold 1 -> 0.5, 1, 2/3.
        string[] gold = ["B-PER", "I-PER", "O", "O", "B-LOC"], pred = ["B-PER", "O", "O", "B-LOC", "B-LOC"];
        var r = TokenClassificationReport.Compute(gold, pred);
        Assert.Equal(new[] { "B-LOC", "B-PER", "I-PER", "O" }, r.Labels);
        Assert.Equal(new[] { "B-LOC", "B-PER", "I-PER", "O" }, r.GroupedLabels);
        Assert.Equal(new ClassScores(0.5, 1.0, 2.0 / 3.0, 1), r.PerLabel["B-LOC"]);
        Assert.Equal(new ClassScores(0.0, 0.0, 0.0, 1), r.PerLabel["I-PER"]);
        Assert.Equal(new ClassScores(0.5, 0.5, 0.5, 2), r.PerLabel["O"]);
        Assert.Equal(0.6, r.Accuracy, 15);
        Assert.Equal(0.6, r.MicroAverage.Precision, 15);
        Assert.Equal(0.6, r.MicroAverage.Recall, 15);
        Assert.Equal((0.5 + 1 + 0 + 0.5) / 4, r.MacroAverage.Precision, 15);
        Assert.Equal((1.0 + 1 + 0 + 0.5) / 4, r.MacroAverage.Recall, 15);
        Assert.Equal((0.5 * 1 + 1 * 1 + 0 * 1 + 0.5 * 2) / 5, r.WeightedAverage.Precision, 15);
        Assert.Equal((2.0 / 3 + 1 + 0 + 0.5 * 2) / 5, r.WeightedAverage.F1, 15);
        Assert.Equal(5, r.WeightedAverage.Support);
    }

    [Fact]
    public void Article_layout_groups_rows_by_type_with_O_last_and_a_micro_avg_row()
    {
        // The hand_mixed case of the fixtures: rows are scikit-learn's printed lines reordered; micro = accuracy 8/12.
        var gold = S(["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "I-ORG", "I-ORG", "O", "B-MISC"], ["O", "B-LOC", "I-LOC"]);
        var pred = S(["B-PER", "I-PER", "O", "B-ORG"], ["B-ORG", "I-ORG", "O", "O", "I-MISC"], ["O", "B-LOC", "B-LOC"]);
        var expected = string.Join("\n",
            "              precision    recall  f1-score   support",
            "",
            "       B-LOC      0.500     0.500     0.500         2",
            "       I-LOC      0.000     0.000     0.000         1",
            "      B-MISC      0.000     0.000     0.000         1",
            "      I-MISC      0.000     0.000     0.000         0",
            "       B-ORG      0.500     1.000     0.667         1",
            "       I-ORG      1.000     0.500     0.667         2",
            "       B-PER      1.000     1.000     1.000         1",
            "       I-PER      1.000     1.000     1.000         1",
            "           O      0.750     1.000     0.857         3",
            "",
            "   micro avg      0.667     0.667     0.667        12",
            "   macro avg      0.528     0.556     0.521        12",
            "weighted avg      0.646     0.667     0.631        12",
            "");
        Assert.Equal(expected, TokenClassificationReport.Compute(gold, pred).Format());
    }

    [Fact]
    public void Article_table_header_and_rows_have_the_same_columns_as_ours()
    {
        // Lines of the article's table; our rows for the same labels must put every column at the same place.
        const string header = "              precision    recall  f1-score   support";
        const string row = "       B-LOC      0.926     0.906     0.916      1668";
        const string avg = "weighted avg      0.973     0.973     0.973     46435";
        var text = TokenClassificationReport.Compute(NerLabels.All.ToArray(), NerLabels.All.ToArray()).Format();
        var lines = text.Split('\n');
        Assert.Equal(header, lines[0]);
        Assert.Equal(row.Length, lines[2].Length);
        Assert.StartsWith("       B-LOC      1.000", lines[2]);
        Assert.Equal(avg.Length, lines.Single(l => l.StartsWith("weighted avg")).Length); // support right-aligned: same right edge
        Assert.Equal(new[] { "B-LOC", "I-LOC", "B-MISC", "I-MISC", "B-ORG", "I-ORG", "B-PER", "I-PER", "O" },
            lines.Skip(2).Take(9).Select(l => l.Trim().Split(' ')[0]));
    }

    [Fact]
    public void Conlleval_chunks_by_hand()
    {
        // gold chunks: PER[0,2) LOC[3,4) | ORG[0,1) MISC[2,4)
        // pred: PER[0,2) correct; I-LOC after O starts LOC[3,4) correct (conlleval accepts IOB1 starts);
        //       B-ORG I-PER -> ORG[0,1) correct, PER[1,2) wrong type; MISC[2,3) + MISC[3,4) (B- splits it): both wrong.
        var gold = S(["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "O", "B-MISC", "I-MISC"]);
        var pred = S(["B-PER", "I-PER", "O", "I-LOC"], ["B-ORG", "I-PER", "B-MISC", "B-MISC"]);
        var r = ConllEvalReport.Compute(gold, pred);
        Assert.Equal(8, r.Tokens);
        Assert.Equal(5, r.CorrectTags); // B-PER I-PER O ; B-ORG B-MISC
        Assert.Equal(new ChunkCounts(4, 6, 3), r.Overall);
        Assert.Equal(new ChunkCounts(1, 1, 1), r.PerType["LOC"]);
        Assert.Equal(new ChunkCounts(1, 2, 1), r.PerType["PER"]);
        Assert.Equal(new ChunkCounts(1, 2, 0), r.PerType["MISC"]);
        Assert.Equal(new[] { "LOC", "MISC", "ORG", "PER" }, r.Types);
        Assert.Equal(0.5, r.Overall.Scores.Precision, 15);
        Assert.Equal(0.75, r.Overall.Scores.Recall, 15);
        Assert.Equal(0.6, r.Overall.Scores.F1, 15);
        Assert.StartsWith("processed 8 tokens with 4 phrases; found: 6 phrases; correct: 3.\naccuracy:  62.50%; precision:  50.00%; recall:  75.00%; FB1:  60.00\n", r.Format());
        Assert.Contains("             MISC: precision:   0.00%; recall:   0.00%; FB1:   0.00  2\n", r.Format());
    }

    [Fact]
    public void A_chunk_is_not_correct_when_the_prediction_runs_past_its_end()
    {
        var r = ConllEvalReport.Compute(S(["B-PER", "I-PER", "O"]), S(["B-PER", "I-PER", "I-PER"]));
        Assert.Equal(new ChunkCounts(1, 1, 0), r.Overall);
        // and a sentence boundary ends chunks: the same tags split over two sentences give two chunks each.
        var split = ConllEvalReport.Compute(S(["B-PER"], ["I-PER"]), S(["B-PER"], ["I-PER"]));
        Assert.Equal(new ChunkCounts(2, 2, 2), split.Overall);
    }

    [Fact]
    public void Empty_entity_sets_give_zero_not_NaN()
    {
        var r = ConllEvalReport.Compute(S(["O", "O"]), S(["O", "O"]));
        Assert.Equal(new ClassScores(0, 0, 0, 0), r.Overall.Scores);
        Assert.Empty(r.Types);
        Assert.Equal(1.0, r.Accuracy);
        var t = TokenClassificationReport.Compute(["O", "O"], ["O", "O"]);
        Assert.Equal(new ClassScores(1, 1, 1, 2), t.PerLabel["O"]);
    }

    [Fact]
    public void Misaligned_inputs_are_refused()
    {
        Assert.Throws<ArgumentException>(() => TokenClassificationReport.Compute(["O"], ["O", "O"]));
        Assert.Throws<ArgumentException>(() => ConllEvalReport.Compute(S(["O"]), S(["O", "O"])));
        Assert.Throws<ArgumentException>(() => TokenClassificationReport.Compute(Array.Empty<string>(), Array.Empty<string>()));
    }

    [Theory]
    [InlineData(0.0625, 3, "0.062")] // exact binary tie: half to even (Python/C), where .NET's F3 gives 0.063
    [InlineData(0.1875, 3, "0.188")]
    [InlineData(2.675, 2, "2.67")]   // 2.675 is 2.67499999... in binary
    [InlineData(0.0005, 3, "0.001")] // 0.000500000000000000010...
    [InlineData(2.5, 0, "2")]
    [InlineData(100.0, 2, "100.00")]
    [InlineData(2.0 / 3.0, 3, "0.667")]
    [InlineData(0.0, 3, "0.000")]
    public void Fixed_formatting_rounds_like_python(double value, int digits, string expected) =>
        Assert.Equal(expected, PythonFormat.Fixed(value, digits));

    [Fact]
    public void Confusion_matrix_rows_are_gold_columns_predicted()
    {
        string[] gold = ["O", "B-PER", "B-PER", "B-LOC"], pred = ["O", "B-PER", "B-LOC", "O"];
        var m = ConfusionMatrix.Compute(gold, pred);
        Assert.Equal(new[] { "B-LOC", "B-PER", "O" }, m.Labels);
        Assert.Equal(new long[,] { { 0, 0, 1 }, { 1, 1, 0 }, { 0, 0, 1 } }, m.Counts);
        var normalized = m.ToDoubles(normalizeRows: true);
        Assert.Equal(0.5, normalized[1, 0]);
        Assert.Equal(1.0, normalized[0, 2]);
        Assert.Equal(new long[,] { { 1, 0 }, { 0, 1 } }, ConfusionMatrix.Compute(gold, pred, ["B-PER", "O"]).Counts);
    }

    [Fact]
    public void Accuracy_interval_is_the_bootstrap_over_examples_and_as_wide_as_the_binomial_says()
    {
        // 219 of 227 right (PhraseBank's test size): p = 0.9648, binomial sd = sqrt(p(1-p)/n) = 0.0122, so a 95 %
        // interval about ±1.96 sd = ±0.024 wide, clipped nowhere. Labels are spread over three classes.
        var gold = Enumerable.Range(0, 227).Select(i => i % 3).ToArray();
        var predicted = gold.Select((g, i) => i < 8 ? (g + 1) % 3 : g).ToArray();
        var r = ClassificationReport.Compute(gold, predicted, ["negative", "neutral", "positive"]);
        var interval = r.AccuracyInterval(resamples: 4000, seed: 1);
        Assert.Equal(219 / 227.0, interval.Mean, 12);
        Assert.InRange(interval.Low, 0.9648 - 0.030, 0.9648 - 0.019);
        Assert.InRange(interval.High, 0.9648 + 0.019, 0.9648 + 0.030);
        Assert.Equal(interval, r.AccuracyInterval(resamples: 4000, seed: 1));   // deterministic for a seed

        var perfect = ClassificationReport.Compute(gold, gold, ["negative", "neutral", "positive"]).AccuracyInterval();
        Assert.Equal((1.0, 1.0), (perfect.Low, perfect.High));                  // no resample can miss
    }
}
