using System.Diagnostics;
using System.Text.Json;
using CourseKit.Checkpoints;
using CourseKit.Data;
using CourseKit.Models;

namespace CourseKit.Tasks.QuestionAnswering;

/// <summary>One fold: the held-out articles' questions ranked among all paragraphs before and after fine-tuning;
/// with a per-epoch evaluation also the fine-tuned recall after each epoch (<see cref="TunedByEpoch"/>[e - 1]).</summary>
public sealed record RetrieverFoldResult(int Fold, int TrainQuestions, int TestQuestions, RetrievalRecall Base, RetrievalRecall Tuned,
    RetrievalRecall Bm25, RetrievalRecall HybridBase, RetrievalRecall HybridTuned, double FirstLoss, double LastLoss, int Steps, double Seconds,
    IReadOnlyList<RetrievalRecall>? TunedByEpoch = null, IReadOnlyList<RetrievalRecall>? HybridTunedByEpoch = null);

/// <summary>Every fold, and recall@k pooled over all their held-out questions (each question held out once).</summary>
public sealed record RetrieverCvResult(string Encoder, string QueryPrompt, RetrieverTrainingOptions Options, IReadOnlyList<RetrieverFoldResult> Folds)
{
    public int Questions => Folds.Sum(f => f.TestQuestions);
    public IReadOnlyDictionary<int, double> Pooled(Func<RetrieverFoldResult, RetrievalRecall> which) =>
        ParagraphRetrieval.Ks.ToDictionary(k => k, k => Folds.Sum(f => which(f).RecallAt[k] * f.TestQuestions) / Math.Max(1, Questions));

    /// <summary>Pooled recall after each epoch (index e - 1), when every fold was evaluated after every epoch; else empty.</summary>
    public IReadOnlyList<IReadOnlyDictionary<int, double>> PooledByEpoch(Func<RetrieverFoldResult, IReadOnlyList<RetrievalRecall>?> which) =>
        Folds.Count == 0 || Folds.Any(f => which(f) is not { Count: > 0 }) ? []
            : Enumerable.Range(0, Folds.Min(f => which(f)!.Count)).Select(e => Pooled(f => which(f)![e])).ToArray();

    public string ToJson() => JsonSerializer.Serialize(new
    {
        encoder = Encoder, query_prompt = QueryPrompt, options = Options, questions = Questions,
        pooled = new Dictionary<string, IReadOnlyDictionary<int, double>>
        {
            ["base"] = Pooled(f => f.Base), ["tuned"] = Pooled(f => f.Tuned), ["bm25"] = Pooled(f => f.Bm25),
            ["hybrid_base"] = Pooled(f => f.HybridBase), ["hybrid_tuned"] = Pooled(f => f.HybridTuned),
        },
        pooled_by_epoch = new { tuned = PooledByEpoch(f => f.TunedByEpoch), hybrid_tuned = PooledByEpoch(f => f.HybridTunedByEpoch) },
        folds = Folds,
    }, new JsonSerializerOptions { WriteIndented = true });
}

/// <summary>
/// Does fine-tuning the retriever help on articles it never saw? k-fold by article, as the reader is cross-validated:
/// train on the training articles' question–paragraph pairs (<see cref="RetrieverTraining"/>), then rank each held-out
/// question among <b>all</b> paragraphs (the training articles' included, as in use), against the untuned encoder,
/// BM25 and both fused with BM25. A finished fold is kept in OUT/runs/ and not trained again.
/// </summary>
public static class RetrieverCrossValidation
{
    public static RetrieverCvResult Run(string encoderDir, SquadDataset data, IReadOnlyList<int> folds, int foldCount, int splitSeed,
        RetrieverTrainingOptions options, string outputDir, int trainQuestions = 0, int testQuestions = 0, Action<string>? log = null,
        bool evalEachEpoch = false)
    {
        var splits = SquadSplits.KFoldByArticle(data, foldCount, splitSeed);
        var results = new List<RetrieverFoldResult>();
        var prompt = SentencePrompts.Read(encoderDir).GetValueOrDefault(SentencePrompts.Query, "");
        foreach (int k in folds)
            if (k < 0 || k >= splits.Count) throw new ArgumentOutOfRangeException(nameof(folds), k, $"fold {k} does not exist: the folds are 0 to {splits.Count - 1}");
        IReadOnlyList<SquadQuestion> TestOf(SquadFold fold) => testQuestions > 0 ? fold.Test.Questions.Take(testQuestions).ToArray() : fold.Test.Questions;
        // The untuned encoder and BM25 do not depend on the fold: rank every held-out question once, before any training.
        var untuned = new Lazy<UntunedRankings>(() => UntunedRankings.Compute(encoderDir, data, folds.Distinct().SelectMany(k => TestOf(splits[k])).ToArray()));
        foreach (int k in folds)
        {
            var path = Path.Combine(outputDir, "runs", $"retriever-fold-{k}.json");
            var key = $"{Path.GetFullPath(encoderDir)}|{DataKey(data)}|{data.Questions.Count}|{options}|{foldCount}|{splitSeed}|{trainQuestions}|{testQuestions}" + (evalEachEpoch ? "|each-epoch" : "");
            var kept = TryLoad(path, key);
            var result = kept ?? Fold(encoderDir, data, splits[k], TestOf(splits[k]), untuned.Value, options, trainQuestions, evalEachEpoch);
            if (kept is null)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                AtomicFile.WriteAllText(path, JsonSerializer.Serialize(new { key, result }) + "\n");
            }
            log?.Invoke((kept is null ? "" : $"kept from {path}: ") + $"fold {k}: recall@1 {result.Base.RecallAt[1]:F3} → {result.Tuned.RecallAt[1]:F3} tuned (BM25 {result.Bm25.RecallAt[1]:F3}, " +
                        $"hybrid {result.HybridBase.RecallAt[1]:F3} → {result.HybridTuned.RecallAt[1]:F3}); {result.TestQuestions} questions, loss {result.FirstLoss:F3} → {result.LastLoss:F3}, {result.Seconds:F0} s");
            results.Add(result);
        }
        return new RetrieverCvResult(Path.GetFileName(Path.TrimEndingDirectorySeparator(encoderDir)), prompt, options, results);
    }

    /// <summary>Fine-tunes the encoder on every question of <paramref name="data"/> (after cross-validation has said
    /// what to expect) and saves it as a sentence-transformers folder for <c>qa eval/ask --retriever DIR</c>.</summary>
    public static IReadOnlyList<double> TrainAndSave(string encoderDir, SquadDataset data, RetrieverTrainingOptions options, string modelDir)
    {
        using var encoder = SentenceEncoder.Load(encoderDir);
        var losses = RetrieverTraining.Train(encoder, data, data.Questions, options);
        encoder.Save(modelDir);
        AtomicFile.WriteAllText(Path.Combine(modelDir, TrainedOnFile), new System.Text.Json.Nodes.JsonObject
        {
            ["data"] = DataKey(data), ["questions"] = data.Questions.Count,
            ["note"] = "fine-tuned on every question of this file: recall measured on it is not a held-out figure",
        }.ToJsonString() + "\n");
        return losses;
    }

    public const string TrainedOnFile = "retriever_trained_on.json";

    /// <summary>True when <paramref name="retrieverDir"/> was fine-tuned (by <see cref="TrainAndSave"/>) on the questions of
    /// <paramref name="data"/>: scoring retrieval on them would grade the retriever on its own training questions.</summary>
    public static bool WasTrainedOn(string retrieverDir, SquadDataset data)
    {
        var path = Path.Combine(retrieverDir, TrainedOnFile);
        if (!File.Exists(path)) return false;
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path));
        return json?["data"]?.GetValue<string>() == DataKey(data);
    }

    static string DataKey(SquadDataset data) => File.Exists(data.Source) ? Path.GetFullPath(data.Source) : data.Source;

    /// <summary>Every held-out question's ranking of all paragraphs by the untuned encoder and by BM25, keyed by the
    /// question object (the fold's own objects: no id lookups).</summary>
    sealed record UntunedRankings(IReadOnlyDictionary<SquadQuestion, IReadOnlyList<int>> Encoder, IReadOnlyDictionary<SquadQuestion, IReadOnlyList<int>> Bm25)
    {
        public static UntunedRankings Compute(string encoderDir, SquadDataset data, IReadOnlyList<SquadQuestion> questions)
        {
            using var encoder = SentenceEncoder.Load(encoderDir);
            int all = data.Paragraphs.Count;
            return new UntunedRankings(ByQuestion(questions, ParagraphRetrieval.RankByEncoder(encoder, data, questions, all)),
                ByQuestion(questions, ParagraphRetrieval.RankByBm25(data, questions, all)));
        }

        /// <summary>Each question object's ranking (reference equality: two questions with equal fields stay two).</summary>
        static Dictionary<SquadQuestion, IReadOnlyList<int>> ByQuestion(IReadOnlyList<SquadQuestion> questions, IReadOnlyList<IReadOnlyList<int>> rankings)
        {
            var byQuestion = new Dictionary<SquadQuestion, IReadOnlyList<int>>(ReferenceEqualityComparer.Instance);
            for (int i = 0; i < questions.Count; i++) byQuestion[questions[i]] = rankings[i];
            return byQuestion;
        }
    }

    static RetrieverFoldResult Fold(string encoderDir, SquadDataset data, SquadFold fold, IReadOnlyList<SquadQuestion> test, UntunedRankings untuned,
        RetrieverTrainingOptions options, int trainQuestions, bool evalEachEpoch)
    {
        var clock = Stopwatch.StartNew();
        var train = trainQuestions > 0 ? SquadSplits.SampleQuestions(fold.Train, trainQuestions, options.Seed) : fold.Train.Questions;
        using var encoder = SentenceEncoder.Load(encoderDir);
        var before = test.Select(q => untuned.Encoder[q]).ToArray();
        var bm25 = test.Select(q => untuned.Bm25[q]).ToArray();
        RetrievalRecall Recall(string name, IReadOnlyList<IReadOnlyList<int>> ranking) => ParagraphRetrieval.Recall(name, data, test, ranking);
        List<RetrievalRecall>? tunedByEpoch = evalEachEpoch ? [] : null, hybridByEpoch = evalEachEpoch ? [] : null;
        void AfterEpoch(int epoch)
        {
            var ranking = ParagraphRetrieval.RankByEncoder(encoder, data, test, data.Paragraphs.Count);
            tunedByEpoch!.Add(Recall($"encoder, fine-tuned, epoch {epoch}", ranking));
            hybridByEpoch!.Add(Recall($"hybrid, fine-tuned, epoch {epoch}", ParagraphRetrieval.FuseByReciprocalRank([ranking, bm25], 10)));
        }
        var losses = RetrieverTraining.Train(encoder, fold.Train, train, options, evalEachEpoch ? AfterEpoch : null);
        var after = ParagraphRetrieval.RankByEncoder(encoder, data, test, data.Paragraphs.Count);
        return new RetrieverFoldResult(fold.Index, train.Count, test.Count, Recall("encoder", before), Recall("encoder, fine-tuned", after), Recall("bm25", bm25),
            Recall("hybrid", ParagraphRetrieval.FuseByReciprocalRank([before, bm25], 10)), Recall("hybrid, fine-tuned", ParagraphRetrieval.FuseByReciprocalRank([after, bm25], 10)),
            losses.Count > 0 ? losses[0] : double.NaN, losses.Count > 0 ? losses.TakeLast(Math.Min(10, losses.Count)).Average() : double.NaN, losses.Count, clock.Elapsed.TotalSeconds,
            tunedByEpoch, hybridByEpoch);
    }

    static RetrieverFoldResult? TryLoad(string path, string key)
    {
        if (!File.Exists(path)) return null;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            if (doc.RootElement.GetProperty("key").GetString() != key) return null;                // other settings: train again
            return doc.RootElement.GetProperty("result").Deserialize<RetrieverFoldResult>();
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new InvalidDataException($"{path}: not a retriever fold record ({e.Message}); delete it to train the fold again", e);
        }
    }
}
