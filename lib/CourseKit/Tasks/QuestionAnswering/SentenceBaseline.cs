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

    /// <summary>Question id → the most similar sentence of its paragraph.</summary>
    public static IReadOnlyDictionary<string, string> Answer(SentenceEncoder encoder, SquadDataset data, IReadOnlyList<SquadQuestion> questions)
    {
        var answers = new Dictionary<string, string>();
        using var scope = NewDisposeScope();
        using var questionVectors = encoder.Encode(questions.Select(q => q.Question).ToArray());
        var sentenceCache = new Dictionary<int, (IReadOnlyList<string> Sentences, Tensor Vectors)>();
        for (int i = 0; i < questions.Count; i++)
        {
            var paragraph = data.ParagraphOf(questions[i]);
            if (!sentenceCache.TryGetValue(paragraph.Index, out var entry))
            {
                var sentences = Sentences(paragraph.Context);
                sentenceCache[paragraph.Index] = entry = (sentences, encoder.Encode(sentences));
            }
            var best = SentenceEncoder.TopK(questionVectors[i], entry.Vectors, 1)[0];
            answers[questions[i].Id] = entry.Sentences[best.Index];
        }
        return answers;
    }
}
