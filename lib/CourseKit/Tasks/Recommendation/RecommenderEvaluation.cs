using CourseKit.Metrics;

namespace CourseKit.Tasks.Recommendation;

/// <summary>One model's figures on one query set: HR@K and NDCG@K per cutoff with 95 % bootstrap intervals over users,
/// and the per-user values (for paired comparisons and slices).</summary>
public sealed record RankingResult(int[] Ranks, IReadOnlyDictionary<int, Interval> HitRate, IReadOnlyDictionary<int, Interval> Ndcg)
{
    public Interval HitRateAt(int k) => HitRate[k];
    public Interval NdcgAt(int k) => Ndcg[k];
}

/// <summary>The protocol: full ranking over all N items, the user's history excluded, ties against the target.</summary>
public static class RecommenderEvaluation
{
    public const string Protocol = "leave-one-out (last item = test, second-to-last = validation); full ranking over all " +
        "items, the user's history excluded, no sampled negatives; ties count against the target; 95 % bootstrap interval over users";

    /// <summary>The 0-based rank of each query's target; scored in batches of <paramref name="batchSize"/> queries.</summary>
    public static int[] Ranks(IRecommender model, IReadOnlyList<RecommendationQuery> queries, int batchSize = 128)
    {
        var ranks = new int[queries.Count];
        for (int start = 0; start < queries.Count; start += batchSize)
        {
            var batch = queries.Skip(start).Take(batchSize).ToList();
            var scores = model.Score(batch);
            for (int b = 0; b < batch.Count; b++)
            {
                var history = batch[b].History.ToHashSet();
                ranks[start + b] = RankingMetrics.RankOf(scores[b], batch[b].Target, i => i == 0 || history.Contains(i));
            }
        }
        return ranks;
    }

    public static RankingResult Evaluate(IRecommender model, IReadOnlyList<RecommendationQuery> queries, int resamples = 1000, int seed = 0) =>
        Summarise(Ranks(model, queries), resamples, seed);

    public static RankingResult Summarise(int[] ranks, int resamples = 1000, int seed = 0) => new(ranks,
        RankingMetrics.StandardCutoffs.ToDictionary(k => k, k => Bootstrap.MeanInterval(RankingMetrics.HitRates(ranks, k), resamples, seed)),
        RankingMetrics.StandardCutoffs.ToDictionary(k => k, k => Bootstrap.MeanInterval(RankingMetrics.Ndcgs(ranks, k), resamples, seed)));

    /// <summary>NDCG@10 on the validation queries: the figure every model is tuned on.</summary>
    public static double ValidationNdcg10(IRecommender model, LeaveOneOutSplit split) =>
        RankingMetrics.Ndcgs(Ranks(model, split.Validation), 10).Average();
}
