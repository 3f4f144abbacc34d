using CourseKit.Data;
using CourseKit.Tasks.QuestionAnswering;

namespace CourseKit.Tests.Tasks.QuestionAnswering;

[KeepTensorsAlive]
public class QaFeaturesTests
{
    [Theory]
    [InlineData(384, 128)]
    [InlineData(96, 32)]     // short windows: most contexts split, answers near the cuts land in two windows
    public void Every_xquad_answer_is_recovered_from_its_labels(int maxLength, int stride)
    {
        var data = QaTestSupport.XquadEn;
        var features = QaFeatures.Build(QaTestSupport.Tokenizer, data, data.Questions, maxLength, stride);
        var byQuestion = features.GroupBy(f => f.QuestionId).ToDictionary(g => g.Key, g => g.ToList());
        var notExact = new List<string>();
        foreach (var q in data.Questions)
        {
            var windows = byQuestion[q.Id];
            Assert.All(windows, w => Assert.True(w.Encoding.Length <= maxLength));
            Assert.All(windows, w => Assert.Equal(w.HasAnswer, w.EndPosition > 0));
            var labelled = windows.Where(w => w.HasAnswer).ToList();
            Assert.NotEmpty(labelled);                                 // the answer is whole in at least one window
            foreach (var w in labelled)
            {
                Assert.Equal(1, w.Encoding.SequenceIds[w.StartPosition]);
                Assert.Equal(1, w.Encoding.SequenceIds[w.EndPosition]);
                // The labelled tokens cover the answer; exactly, unless the answer ends or starts inside a word piece.
                Assert.Contains(q.Answers[0].Text, w.LabelledText);
                if (w.LabelledText == q.Answers[0].Text) continue;
                notExact.Add($"{q.Id}: '{q.Answers[0].Text}' -> '{w.LabelledText}'");
                // Only a gold answer that cuts a word piece may come back longer (XQuAD has one: "(2,70" of "(2,700").
                var spans = ContextSpans(w);
                Assert.False(spans.Any(s => s.Item1 == q.Answers[0].Start) && spans.Any(s => s.Item2 == q.Answers[0].End), $"{q.Id}: token boundaries fit the answer but the labels do not");
            }
        }
        Assert.True(notExact.Distinct().Count() <= 1, $"{notExact.Count} answers not recovered exactly:\n{string.Join("\n", notExact.Take(20))}");
    }

    [Fact]
    public void Short_windows_overlap_by_the_stride_and_keep_the_question_whole()
    {
        var data = QaTestSupport.XquadEn;
        var q = data.Questions.First(x => data.ParagraphOf(x).Context.Length > 1000);
        var windows = QaFeatures.Build(QaTestSupport.Tokenizer, data, [q], maxLength: 96, stride: 32);
        Assert.True(windows.Count >= 3);
        var questionTokens = windows[0].Encoding.Tokens.TakeWhile(t => t != "[SEP]").ToArray();
        foreach (var w in windows) Assert.Equal(questionTokens, w.Encoding.Tokens.Take(questionTokens.Length));
        for (int i = 1; i < windows.Count; i++)
        {
            var previous = ContextSpans(windows[i - 1]);
            var current = ContextSpans(windows[i]);
            Assert.Equal(previous.TakeLast(32), current.Take(32));        // the stride: 32 shared context tokens
        }
        Assert.Contains(windows, w => !w.HasAnswer && w.StartPosition == 0 && w.EndPosition == 0);
    }

    static List<(int, int)> ContextSpans(QaFeature f) =>
        Enumerable.Range(0, f.Encoding.Length).Where(i => f.Encoding.SequenceIds[i] == 1).Select(i => (f.Encoding.Offsets[i].Start, f.Encoding.Offsets[i].End)).ToList();
}
