using CourseKit.Data;
using CourseKit.Models;
using static TorchSharp.torch;

namespace CourseKit.Tasks.QuestionAnswering;

/// <summary>Recall@k of the gold paragraph: the share of questions whose own paragraph is among the top k retrieved.</summary>
public sealed record RetrievalRecall(string Retriever, int Questions, int Paragraphs, IReadOnlyDictionary<int, double> RecallAt);

/// <summary>Retrieve, then read: rank every paragraph for a question with the sentence encoder (or BM25).</summary>
public static class ParagraphRetrieval
{
    public static readonly IReadOnlyList<int> Ks = [1, 5, 10];

    /// <summary>The top-<paramref name="k"/> paragraph positions (in <see cref="SquadDataset.Paragraphs"/>) for each question, by the encoder.</summary>
    public static IReadOnlyList<IReadOnlyList<int>> RankByEncoder(SentenceEncoder encoder, SquadDataset data, IReadOnlyList<SquadQuestion> questions, int k)
    {
        using var scope = NewDisposeScope();
        var paragraphs = encoder.Encode(data.Paragraphs.Select(p => p.Context).ToArray());
        var queries = encoder.Encode(questions.Select(q => q.Question).ToArray());
        var (_, top) = queries.matmul(paragraphs.t()).topk(Math.Min(k, data.Paragraphs.Count), dim: 1);   // unit vectors: dot = cosine
        var flat = top.data<long>().ToArray();
        int width = (int)top.shape[1];
        return Enumerable.Range(0, questions.Count).Select(i => (IReadOnlyList<int>)flat.Skip(i * width).Take(width).Select(x => (int)x).ToArray()).ToArray();
    }

    public static IReadOnlyList<IReadOnlyList<int>> RankByBm25(SquadDataset data, IReadOnlyList<SquadQuestion> questions, int k)
    {
        var bm25 = new Bm25(data.Paragraphs.Select(p => p.Context).ToArray());
        return questions.Select(q => bm25.Rank(q.Question, k)).ToArray();
    }

    public static RetrievalRecall Recall(string retriever, SquadDataset data, IReadOnlyList<SquadQuestion> questions, IReadOnlyList<IReadOnlyList<int>> rankings)
    {
        var position = data.Paragraphs.Select((p, i) => (p.Index, i)).ToDictionary(x => x.Index, x => x.i);
        var recall = Ks.ToDictionary(k => k, k => questions.Select((q, i) => rankings[i].Take(k).Contains(position[q.ParagraphIndex]) ? 1.0 : 0.0).Average());
        return new RetrievalRecall(retriever, questions.Count, data.Paragraphs.Count, recall);
    }
}
