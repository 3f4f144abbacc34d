using CourseKit.Text;

namespace CourseKit.Tasks.QuestionAnswering;

/// <summary>One answer read from the logits: its text, the character span in the context, its score (start + end
/// logit) and its window's no-answer score (the [CLS] token's start + end logit).</summary>
public sealed record QaAnswer(string QuestionId, string Text, int CharStart, int CharEnd, double Score, int WindowIndex, double NoAnswerScore = 0)
{
    public static QaAnswer Empty(string id) => new(id, "", 0, 0, double.NegativeInfinity, -1);

    /// <summary>How far the span beats its window's "no answer here" (SQuAD 2.0's null-score difference).</summary>
    public double OverNoAnswer => Score - NoAnswerScore;

    public double ScoreBy(SpanComparison comparison) => comparison == SpanComparison.OverNoAnswer ? OverNoAnswer : Score;
}

/// <summary>How answers from different windows or paragraphs are compared.</summary>
public enum SpanComparison
{
    /// <summary>By start + end logit, as the SQuAD v1.1 references do across the windows of one context.</summary>
    Logits,
    /// <summary>Within one context by logits (as above); across contexts by start + end logit minus the window's [CLS]
    /// start + end logit. The reader was trained to point windows without the answer at [CLS], so this may put spans
    /// from different retrieved paragraphs on a common scale; measured on XQuAD fold 0 with a 3-epoch reader, it did not
    /// help (retrieve top 3, then read: F1 13.6 against 14.1 by logits), so retrieve-then-read reports it beside the default.</summary>
    OverNoAnswer,
}

/// <summary>
/// Post-processing as the reference implementations (BERT's run_squad.py, Hugging Face's postprocess_qa_predictions):
/// the n-best start and end positions of each window, every pair kept that lies inside the context with
/// end ≥ start and at most MaxAnswerLength tokens, scored by start + end logit; the best pair over all windows of a
/// question is mapped back to the text through the tokens' character offsets.
/// </summary>
public static class QaSpans
{
    /// <summary>The context text from token <paramref name="start"/>'s first character to token <paramref name="end"/>'s last.</summary>
    public static string TextOf(TokenizedText window, string context, int start, int end)
    {
        int from = window.Offsets[start].Start, to = window.Offsets[end].End;
        return context[from..to];
    }

    /// <summary>The best span of one window, or null when none is valid.</summary>
    public static QaAnswer? BestInWindow(QaFeature feature, ReadOnlySpan<float> startLogits, ReadOnlySpan<float> endLogits, int nBest = 20, int maxAnswerLength = 30)
    {
        var window = feature.Encoding;
        int length = Math.Min(window.Length, startLogits.Length);
        var starts = TopIndices(startLogits[..length], nBest);
        var ends = TopIndices(endLogits[..length], nBest);
        QaAnswer? best = null;
        double noAnswer = startLogits[0] + endLogits[0];                        // [CLS]: where a window without the answer points
        foreach (var s in starts)
            foreach (var e in ends)
            {
                if (window.SequenceIds[s] != 1 || window.SequenceIds[e] != 1) continue;   // spans inside the context only
                if (e < s || e - s + 1 > maxAnswerLength) continue;
                double score = startLogits[s] + endLogits[e];
                if (best is null || score > best.Score)
                    best = new QaAnswer(feature.QuestionId, TextOf(window, feature.Context, s, e), window.Offsets[s].Start, window.Offsets[e].End, score, feature.WindowIndex, noAnswer);
            }
        return best;
    }

    /// <summary>Indices of the <paramref name="n"/> largest values, largest first (ties: lower index first).</summary>
    public static int[] TopIndices(ReadOnlySpan<float> values, int n)
    {
        var order = new int[values.Length];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        var keys = values.ToArray();
        Array.Sort(order, (a, b) => keys[b] != keys[a] ? keys[b].CompareTo(keys[a]) : a.CompareTo(b));
        return order.Take(Math.Min(n, order.Length)).ToArray();
    }

    /// <summary>One answer per question: the best span across its windows by <paramref name="comparison"/> (an empty
    /// answer when no window has one).</summary>
    public static IReadOnlyDictionary<string, QaAnswer> BestPerQuestion(IReadOnlyList<QaFeature> features, IReadOnlyList<(float[] Start, float[] End)> logits,
        int nBest = 20, int maxAnswerLength = 30, SpanComparison comparison = SpanComparison.Logits)
    {
        if (features.Count != logits.Count) throw new ArgumentException($"{features.Count} features but {logits.Count} logit pairs");
        var perContext = new Dictionary<(string Id, string Context), QaAnswer>();
        var answers = new Dictionary<string, QaAnswer>();
        for (int i = 0; i < features.Count; i++)
        {
            var (id, context) = (features[i].QuestionId, features[i].Context);
            answers.TryAdd(id, QaAnswer.Empty(id));
            var candidate = BestInWindow(features[i], logits[i].Start, logits[i].End, nBest, maxAnswerLength);
            if (candidate is not null && (!perContext.TryGetValue((id, context), out var current) || candidate.Score > current.Score))
                perContext[(id, context)] = candidate;
        }
        foreach (var ((id, _), best) in perContext)
            if (answers[id].WindowIndex < 0 || best.ScoreBy(comparison) > answers[id].ScoreBy(comparison)) answers[id] = best;
        return answers;
    }
}
