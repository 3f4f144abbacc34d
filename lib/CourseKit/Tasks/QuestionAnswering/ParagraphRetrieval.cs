using CourseKit.Data;
using CourseKit.Models;
using static TorchSharp.torch;

namespace CourseKit.Tasks.QuestionAnswering;

/// <summary>Recall@k of the gold paragraph: the share of questions whose own paragraph is among the top k retrieved.</summary>
public sealed record RetrievalRecall(string Retriever, int Questions, int Paragraphs, IReadOnlyDictionary<int, double> RecallAt);

/// <summary>Retrieve, then read: rank every paragraph for a question with the sentence encoder, BM25, or both fused.</summary>
public static class ParagraphRetrieval
{
    public static readonly IReadOnlyList<int> Ks = [1, 5, 10];

    /// <summary>The top-<paramref name="k"/> paragraph positions (in <see cref="SquadDataset.Paragraphs"/>) for each question, by the encoder.</summary>
    public static IReadOnlyList<IReadOnlyList<int>> RankByEncoder(SentenceEncoder encoder, SquadDataset data, IReadOnlyList<SquadQuestion> questions, int k)
    {
        using var scope = NewDisposeScope();
        var paragraphs = encoder.Encode(data.Paragraphs.Select(p => p.Context).ToArray());
        var queries = encoder.EncodeQueries(questions.Select(q => q.Question).ToArray());   // with the model's query prompt, if any
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

    /// <summary>Hybrid retrieval by reciprocal-rank fusion (Cormack, Clarke &amp; Büttcher 2009): a paragraph scores
    /// Σ 1 / (<paramref name="rankConstant"/> + rank) over the retrievers that rank it (rank from 1). Ranks, not scores,
    /// are fused, so BM25's unbounded scores and the encoder's cosines need no calibration; the constant 60 is the
    /// paper's. Ties keep the first retriever's order. Pass deep rankings (all paragraphs) for an exact fusion.</summary>
    public static IReadOnlyList<IReadOnlyList<int>> FuseByReciprocalRank(IReadOnlyList<IReadOnlyList<IReadOnlyList<int>>> rankingsByRetriever,
        int k, double rankConstant = 60)
    {
        if (rankingsByRetriever.Count == 0) throw new ArgumentException("reciprocal-rank fusion needs at least one ranking");
        int questions = rankingsByRetriever[0].Count;
        if (rankingsByRetriever.Any(r => r.Count != questions))
            throw new ArgumentException($"reciprocal-rank fusion: every retriever must rank the same {questions} questions");
        return Enumerable.Range(0, questions).Select(q =>
        {
            var score = new Dictionary<int, double>();
            var firstSeen = new List<int>();
            foreach (var rankings in rankingsByRetriever)
                for (int rank = 0; rank < rankings[q].Count; rank++)
                {
                    int paragraph = rankings[q][rank];
                    if (!score.ContainsKey(paragraph)) { score[paragraph] = 0; firstSeen.Add(paragraph); }
                    score[paragraph] += 1.0 / (rankConstant + rank + 1);
                }
            return (IReadOnlyList<int>)firstSeen.Select((p, order) => (p, order)).OrderByDescending(x => score[x.p]).ThenBy(x => x.order)
                .Take(k).Select(x => x.p).ToArray();
        }).ToArray();
    }

    public static RetrievalRecall Recall(string retriever, SquadDataset data, IReadOnlyList<SquadQuestion> questions, IReadOnlyList<IReadOnlyList<int>> rankings)
    {
        if (questions.Count == 0) throw new ArgumentException($"{data.Source}: no questions to measure {retriever} recall on (every paragraph's \"qas\" is empty)", nameof(questions));
        var position = data.Paragraphs.Select((p, i) => (p.Index, i)).ToDictionary(x => x.Index, x => x.i);
        var recall = Ks.ToDictionary(k => k, k => questions.Select((q, i) => rankings[i].Take(k).Contains(position[q.ParagraphIndex]) ? 1.0 : 0.0).Average());
        return new RetrievalRecall(retriever, questions.Count, data.Paragraphs.Count, recall);
    }
}
