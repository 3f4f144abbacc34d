using System.Text.Json;
using CourseKit.Data;
using CourseKit.Metrics;
using CourseKit.Models;
using CourseKit.Text;

namespace CourseKit.Tasks.QuestionAnswering;

/// <summary>What reading the retrieved paragraphs gave: the answer chosen across them by logits (the references' rule),
/// and over each window's no-answer score (<see cref="SpanComparison.OverNoAnswer"/>, shown for comparison: on fold 0
/// it did not help, F1 13.6 against 14.1).</summary>
public sealed record RetrievedReading(SquadScores Scores, SquadScores OverNoAnswer, IReadOnlyDictionary<string, string> Answers);

/// <summary>A reader on a SQuAD-format file: with the gold paragraph (oracle) and after retrieval (from the hybrid
/// ranking, the best of the three), plus the retrieval recall of the encoder, BM25 and their fusion.</summary>
public sealed record QaEvaluationResult(int Questions, SquadScores Oracle, RetrievedReading Retrieved, int TopK,
    RetrievalRecall Encoder, RetrievalRecall Bm25, RetrievalRecall Hybrid, IReadOnlyDictionary<string, string> Predictions)
{
    public SquadScores RetrieveThenRead => Retrieved.Scores;

    public string ToJson() => JsonSerializer.Serialize(new
    {
        questions = Questions, top_k = TopK, read_from = Hybrid.Retriever,
        oracle = new { exact_match = Oracle.ExactMatch, f1 = Oracle.F1 },
        retrieve_then_read = new
        {
            exact_match = RetrieveThenRead.ExactMatch, f1 = RetrieveThenRead.F1, answer_chosen_by = "start + end logit",
            over_no_answer = new { exact_match = Retrieved.OverNoAnswer.ExactMatch, f1 = Retrieved.OverNoAnswer.F1 },
        },
        retrieval = new[] { Encoder, Bm25, Hybrid }.Select(r => new { retriever = r.Retriever, recall = r.RecallAt.ToDictionary(kv => $"@{kv.Key}", kv => kv.Value) }),
    }, new JsonSerializerOptions { WriteIndented = true });
}

public static class QaEvaluation
{
    /// <summary>Scores <paramref name="reader"/> on <paramref name="questions"/>: read in the gold paragraph, and read in the
    /// top <paramref name="topK"/> paragraphs that the encoder and BM25, fused, retrieve among all of <paramref name="data"/>
    /// (best span wins).</summary>
    public static QaEvaluationResult Run(BertForQuestionAnswering reader, BertTextTokenizer tokenizer, SentenceEncoder encoder, SquadDataset data,
        IReadOnlyList<SquadQuestion> questions, QuestionAnsweringOptions options, int topK = 3)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(topK, 1);
        var (oracle, oracleAnswers) = QuestionAnsweringTask.Evaluate(reader, tokenizer, data, questions, options);
        var (dense, bm25, rankings) = Rankings(encoder, data, questions, topK);
        var endToEnd = ReadRetrieved(reader, tokenizer, data, questions, rankings, options, topK);
        return new QaEvaluationResult(questions.Count, oracle, endToEnd, topK,
            ParagraphRetrieval.Recall("sentence encoder", data, questions, dense),
            ParagraphRetrieval.Recall("bm25", data, questions, bm25),
            ParagraphRetrieval.Recall("hybrid (reciprocal-rank fusion)", data, questions, rankings),
            oracleAnswers.ToDictionary(a => a.Key, a => a.Value.Text));
    }

    /// <summary>Retrieve, then read: the top <paramref name="topK"/> paragraphs of the fused encoder + BM25 ranking among
    /// all of <paramref name="data"/>, read by <paramref name="reader"/>, the best span across them; scored.</summary>
    public static RetrievedReading RetrieveThenRead(BertForQuestionAnswering reader,
        BertTextTokenizer tokenizer, SentenceEncoder encoder, SquadDataset data, IReadOnlyList<SquadQuestion> questions,
        QuestionAnsweringOptions options, int topK)
    {
        return ReadRetrieved(reader, tokenizer, data, questions, Rankings(encoder, data, questions, topK).Fused, options, topK);
    }

    /// <summary>Every paragraph ranked by the encoder and by BM25, and their reciprocal-rank fusion (top max(10, k)).</summary>
    static (IReadOnlyList<IReadOnlyList<int>> Dense, IReadOnlyList<IReadOnlyList<int>> Bm25, IReadOnlyList<IReadOnlyList<int>> Fused) Rankings(
        SentenceEncoder encoder, SquadDataset data, IReadOnlyList<SquadQuestion> questions, int topK)
    {
        int all = data.Paragraphs.Count;
        var dense = ParagraphRetrieval.RankByEncoder(encoder, data, questions, all);
        var bm25 = ParagraphRetrieval.RankByBm25(data, questions, all);
        return (dense, bm25, ParagraphRetrieval.FuseByReciprocalRank([dense, bm25], Math.Max(10, topK)));
    }

    static RetrievedReading ReadRetrieved(BertForQuestionAnswering reader, BertTextTokenizer tokenizer,
        SquadDataset data, IReadOnlyList<SquadQuestion> questions, IReadOnlyList<IReadOnlyList<int>> rankings, QuestionAnsweringOptions options, int topK)
    {
        var features = new List<QaFeature>();
        for (int i = 0; i < questions.Count; i++)
            foreach (var p in rankings[i].Take(topK))
                features.AddRange(QaFeatures.ForText(tokenizer, questions[i].Id, questions[i].Question, data.Paragraphs[p].Context, options.MaxLength, options.Stride));
        var logits = QuestionAnsweringTask.Logits(reader, tokenizer, features, options.EvalBatchSize, options.Device);
        var answers = QaSpans.BestPerQuestion(features, logits, options.NBest, options.MaxAnswerLength, SpanComparison.Logits);
        var overNoAnswer = QaSpans.BestPerQuestion(features, logits, options.NBest, options.MaxAnswerLength, SpanComparison.OverNoAnswer);
        return new RetrievedReading(QuestionAnsweringTask.Score(data, questions, answers), QuestionAnsweringTask.Score(data, questions, overNoAnswer),
            answers.ToDictionary(a => a.Key, a => a.Value.Text));
    }
}
