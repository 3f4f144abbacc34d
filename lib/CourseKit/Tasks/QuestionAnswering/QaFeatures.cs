using CourseKit.Data;
using CourseKit.Text;

namespace CourseKit.Tasks.QuestionAnswering;

/// <summary>
/// One model input: a window [CLS] question [SEP] part-of-context [SEP] of one question, with the answer's start and
/// end token positions in it (both 0, the [CLS] position, when the window does not hold the whole answer; that is how
/// BERT learns "not in this window"). <see cref="Context"/> is the paragraph the offsets of context tokens index.
/// </summary>
public sealed record QaFeature(string QuestionId, string Context, int WindowIndex, TokenizedText Encoding, int StartPosition, int EndPosition)
{
    public bool HasAnswer => StartPosition > 0;
    /// <summary>The context text under the labelled tokens ("" for a [CLS] label).</summary>
    public string LabelledText => HasAnswer ? QaSpans.TextOf(Encoding, Context, StartPosition, EndPosition) : "";
}

/// <summary>Windows over long contexts: question + context pairs, the context alone cut into overlapping windows.</summary>
public static class QaFeatures
{
    /// <summary>
    /// The windows of every question of <paramref name="questions"/> (contexts from <paramref name="data"/>), labelled
    /// with the first gold answer. The tokenizer's sliding windows (Hugging Face's truncation="only_second" with
    /// return_overflowing_tokens and stride) keep the question whole in every window.
    /// </summary>
    public static IReadOnlyList<QaFeature> Build(BertTextTokenizer tokenizer, SquadDataset data, IEnumerable<SquadQuestion> questions,
        int maxLength = 384, int stride = 128)
    {
        var features = new List<QaFeature>();
        foreach (var q in questions)
        {
            var context = data.ParagraphOf(q).Context;
            var windows = tokenizer.EncodeWindows(q.Question, context, maxLength, stride, padToMaxLength: false);
            for (int w = 0; w < windows.Count; w++)
            {
                var (start, end) = Label(windows[w], q.Answers[0]);
                features.Add(new QaFeature(q.Id, context, w, windows[w], start, end));
            }
        }
        return features;
    }

    /// <summary>Windows of a question over any text (inference: no labels).</summary>
    public static IReadOnlyList<QaFeature> ForText(BertTextTokenizer tokenizer, string id, string question, string context, int maxLength = 384, int stride = 128) =>
        tokenizer.EncodeWindows(question, context, maxLength, stride, padToMaxLength: false)
            .Select((window, w) => new QaFeature(id, context, w, window, 0, 0)).ToArray();

    /// <summary>
    /// The token positions of <paramref name="answer"/> in <paramref name="window"/>: the last context token starting at
    /// or before the answer's first character and the first context token ending at or after its last; (0, 0) when the
    /// answer is not wholly inside this window's part of the context.
    /// </summary>
    public static (int Start, int End) Label(TokenizedText window, SquadAnswer answer)
    {
        int first = -1, last = -1;
        for (int i = 0; i < window.Length; i++)
            if (window.SequenceIds[i] == 1) { if (first < 0) first = i; last = i; }
        if (first < 0 || window.Offsets[first].Start > answer.Start || window.Offsets[last].End < answer.End) return (0, 0);
        int start = first;
        while (start + 1 <= last && window.Offsets[start + 1].Start <= answer.Start) start++;
        int end = last;
        while (end - 1 >= start && window.Offsets[end - 1].End >= answer.End) end--;
        return (start, end);
    }
}
