using System.Text.RegularExpressions;
using CourseKit.Data;
using CourseKit.Models;
using static TorchSharp.torch;

namespace CourseKit.Tasks.QuestionAnswering;

/// <summary>
/// The zero-training baseline: answer with the sentence of the context most similar to the question (sentence
/// encoder, cosine). It finds where the answer is more often than a reader trained on 16 questions, but its answers
/// are whole sentences, so exact match stays near 0 and F1 low: the gap a trained reader must close.
/// </summary>
public static partial class SentenceBaseline
{
    [GeneratedRegex(@"(?<=[.!?])\s+(?=[""'(\[]?[A-Z0-9])")]
    private static partial Regex SentenceBreak();

    /// <summary>Sentences of a paragraph (split after . ! ? before a capital or digit).</summary>
    public static IReadOnlyList<string> Sentences(string text) =>
        SentenceBreak().Split(text.Trim()).Where(s => s.Length > 0).ToArray();

    /// <summary>Question id → the most similar sentence of its paragraph (all sentences encoded in one pass).</summary>
    public static IReadOnlyDictionary<string, string> Answer(SentenceEncoder encoder, SquadDataset data, IReadOnlyList<SquadQuestion> questions)
    {
        var paragraphs = questions.Select(q => q.ParagraphIndex).Distinct().ToArray();
        var sentences = paragraphs.ToDictionary(p => p, p => Sentences(data.Paragraphs.First(x => x.Index == p).Context));
        var flat = paragraphs.SelectMany(p => sentences[p]).ToArray();
        var first = new Dictionary<int, int>();
        int at = 0;
        foreach (var p in paragraphs) { first[p] = at; at += sentences[p].Count; }
        using var scope = NewDisposeScope();
        var questionVectors = encoder.EncodeQueries(questions.Select(q => q.Question).ToArray());
        var sentenceVectors = encoder.Encode(flat);
        var answers = new Dictionary<string, string>();
        for (int i = 0; i < questions.Count; i++)
        {
            int p = questions[i].ParagraphIndex, count = sentences[p].Count;
            var own = sentenceVectors.narrow(0, first[p], count);
            answers[questions[i].Id] = sentences[p][SentenceEncoder.TopK(questionVectors[i], own, 1)[0].Index];
        }
        return answers;
    }
}
