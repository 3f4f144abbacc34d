using CourseKit.Tasks.QuestionAnswering;

namespace CourseKit.Tests.Tasks.QuestionAnswering;

[KeepTensorsAlive]
public class QaSpansTests
{
    const string Context = "Bonn is on the Rhine river.";

    // [CLS] where is bonn ? [SEP] bonn is on the rhine river . [SEP]
    //   0     1    2   3   4   5    6   7  8   9   10    11  12  13
    static QaFeature Window(string id = "q") => QaFeatures.ForText(QaTestSupport.Tokenizer, id, "Where is Bonn?", Context).Single();

    static (float[] Start, float[] End) Logits(int length, params (bool IsStart, int Index, float Value)[] set)
    {
        var start = new float[length];
        var end = new float[length];
        foreach (var (isStart, index, value) in set) (isStart ? start : end)[index] = value;
        return (start, end);
    }

    [Fact]
    public void Hand_built_logits_give_the_best_valid_span_mapped_through_offsets()
    {
        var w = Window();
        Assert.Equal(new[] { "[CLS]", "where", "is", "bonn", "?", "[SEP]", "bonn", "is", "on", "the", "rhine", "river", ".", "[SEP]" }, w.Encoding.Tokens);
        // Highest start is a question token (3) and the [CLS] (0): both outside the context, skipped.
        // End 2 is in the question; (10, 9) ends before it starts. Valid: (10, 11) = 5 + 4, (6, 9) = 1 + 3, (6, 11) = 1 + 4.
        var (start, end) = Logits(w.Encoding.Length, (true, 3, 10), (true, 0, 9), (true, 10, 5), (true, 6, 1), (false, 11, 4), (false, 2, 8), (false, 9, 3));
        var best = QaSpans.BestInWindow(w, start, end)!;
        Assert.Equal("Rhine river", best.Text);                            // original casing: offsets index the context
        Assert.Equal(Context.IndexOf("Rhine"), best.CharStart);
        Assert.Equal(9.0, best.Score);
        // At most one token: (10, 10) = 5 + 0 beats (11, 11) = 0 + 4.
        Assert.Equal("Rhine", QaSpans.BestInWindow(w, start, end, maxAnswerLength: 1)!.Text);
        // n-best 1: only start 3 and end 2 are considered → no valid span.
        Assert.Null(QaSpans.BestInWindow(w, start, end, nBest: 1));
    }

    [Fact]
    public void The_best_window_wins_and_a_question_without_valid_span_gets_an_empty_answer()
    {
        var a = Window("q1") with { WindowIndex = 0 };
        var b = Window("q1") with { WindowIndex = 1 };
        var c = Window("q2");
        int n = a.Encoding.Length;
        var logits = new[]
        {
            Logits(n, (true, 6, 2), (false, 6, 2)),               // "Bonn" 4
            Logits(n, (true, 10, 3), (false, 11, 3)),             // "Rhine river" 6
            Logits(n, (true, 0, 50), (false, 0, 50)),             // the [CLS] only: no span inside the context
        };
        var answers = QaSpans.BestPerQuestion([a, b, c], logits, nBest: 1);
        Assert.Equal("Rhine river", answers["q1"].Text);
        Assert.Equal(1, answers["q1"].WindowIndex);
        Assert.Equal("", answers["q2"].Text);                    // with n-best 1 only the [CLS] is proposed
    }

    [Fact]
    public void Across_contexts_the_span_that_beats_its_no_answer_score_most_wins_within_one_context_the_highest_logits()
    {
        var gold = Window("q");
        var other = QaFeatures.ForText(QaTestSupport.Tokenizer, "q", "Where is Bonn?", "Paris is on the Seine river.").Single();
        int n = gold.Encoding.Length;
        var confident = Logits(n, (true, 10, 2), (false, 11, 2), (true, 0, -1), (false, 0, -1));   // "Rhine river" 4, [CLS] -2: margin 6
        var unsure = Logits(other.Encoding.Length, (true, 6, 3), (false, 6, 3), (true, 0, 5), (false, 0, 5)); // "Paris" 6, [CLS] 10: margin -4
        var byLogits = QaSpans.BestPerQuestion([gold, other], [confident, unsure], nBest: 3);
        var byMargin = QaSpans.BestPerQuestion([gold, other], [confident, unsure], nBest: 3, comparison: SpanComparison.OverNoAnswer);
        Assert.Equal("Paris", byLogits["q"].Text);
        Assert.Equal("Rhine river", byMargin["q"].Text);
        Assert.Equal(6.0, byMargin["q"].OverNoAnswer);
        // Two windows of one context: the higher logits win even when the other window beats its [CLS] by more.
        var second = gold with { WindowIndex = 1 };
        var within = QaSpans.BestPerQuestion([gold, second], [confident, Logits(n, (true, 6, 3), (false, 6, 3), (true, 0, 5), (false, 0, 5))],
            nBest: 3, comparison: SpanComparison.OverNoAnswer);
        Assert.Equal("Bonn", within["q"].Text);
        Assert.Equal(1, within["q"].WindowIndex);
    }

    [Fact]
    public void Top_indices_are_largest_first()
    {
        Assert.Equal(new[] { 2, 0, 1 }, QaSpans.TopIndices(new float[] { 1, 0, 5, -1 }, 3));
    }
}
