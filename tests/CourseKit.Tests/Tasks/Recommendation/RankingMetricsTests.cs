using CourseKit.Metrics;

namespace CourseKit.Tests.Tasks.Recommendation;

/// <summary>HR@K and NDCG@K worked by hand on rankings small enough to check on paper.</summary>
[KeepTensorsAlive]
public class RankingMetricsTests
{
    [Fact]
    public void Rank_counts_the_candidates_scoring_above_the_target()
    {
        // scores: item 2 (0.9) > item 0 (0.5) > target 3 (0.4) > item 1 (0.1) → rank 2 (0-based)
        float[] scores = [0.5f, 0.1f, 0.9f, 0.4f];
        int rank = RankingMetrics.RankOf(scores, target: 3);
        Assert.Equal(2, rank);
        Assert.Equal(0.0, RankingMetrics.HitRate(rank, 2));
        Assert.Equal(1.0, RankingMetrics.HitRate(rank, 3));
        Assert.Equal(1.0 / 2.0, RankingMetrics.Ndcg(rank, 3), 12);  // 1 / log2(2 + 2)
        Assert.Equal(0.0, RankingMetrics.Ndcg(rank, 2));
    }

    [Fact]
    public void Excluded_history_items_do_not_compete()
    {
        float[] scores = [0.5f, 0.1f, 0.9f, 0.4f];
        int rank = RankingMetrics.RankOf(scores, 3, i => i == 2);  // the user already watched item 2
        Assert.Equal(1, rank);
        Assert.Equal(1.0 / Math.Log2(3), RankingMetrics.Ndcg(rank, 5), 12);
        Assert.Equal(1.0, RankingMetrics.Ndcg(RankingMetrics.RankOf(scores, 3, i => i != 3), 1));
    }

    [Fact]
    public void Ties_count_against_the_target()
    {
        // Three items tie with the target: all three count above it, so constant scores never hit at K ≤ 3.
        float[] scores = [0.7f, 0.7f, 0.7f, 0.7f];
        Assert.Equal(3, RankingMetrics.RankOf(scores, 0));
        Assert.Equal(3, RankingMetrics.RankOf(scores, 3));
        Assert.Equal(0.0, RankingMetrics.HitRate(3, 3));
        Assert.Equal(1.0 / Math.Log2(5), RankingMetrics.Ndcg(3, 4), 12);
        float[] partly = [0.9f, 0.5f, 0.5f, 0.1f];
        Assert.Equal(2, RankingMetrics.RankOf(partly, 1));
    }

    [Fact]
    public void A_target_outside_the_catalogue_or_with_a_NaN_score_is_never_found()
    {
        float[] scores = [0.5f, 0.1f, float.NaN];
        Assert.Equal(RankingMetrics.NotFound, RankingMetrics.RankOf(scores, 7));
        Assert.Equal(RankingMetrics.NotFound, RankingMetrics.RankOf(scores, -1));
        Assert.Equal(RankingMetrics.NotFound, RankingMetrics.RankOf(scores, 2));
        Assert.Equal(0.0, RankingMetrics.HitRate(RankingMetrics.NotFound, int.MaxValue - 1));
        Assert.Equal(0.0, RankingMetrics.Ndcg(RankingMetrics.NotFound, 1000));
        Assert.Equal(0, RankingMetrics.RankOf(scores, 0));  // NaN (item 2) never outranks the target
    }

    [Fact]
    public void K_larger_than_the_catalogue_is_always_a_hit_for_a_present_target()
    {
        float[] scores = [0.3f, 0.2f, 0.1f];
        int rank = RankingMetrics.RankOf(scores, 2);
        Assert.Equal(2, rank);
        Assert.Equal(1.0, RankingMetrics.HitRate(rank, 20));
        Assert.Equal(0.5, RankingMetrics.Ndcg(rank, 20), 12);
        Assert.Equal([1.0, 0.0], RankingMetrics.HitRates([0, 25], 20));
    }

    [Fact]
    public void Bootstrap_interval_contains_the_mean_and_narrows_with_more_users()
    {
        var few = Enumerable.Range(0, 20).Select(i => i % 4 == 0 ? 1.0 : 0.0).ToArray();
        var many = Enumerable.Range(0, 2000).Select(i => i % 4 == 0 ? 1.0 : 0.0).ToArray();
        var a = Bootstrap.MeanInterval(few, seed: 1);
        var b = Bootstrap.MeanInterval(many, seed: 1);
        Assert.Equal(0.25, a.Mean, 12);
        Assert.InRange(a.Mean, a.Low, a.High);
        Assert.InRange(b.Mean, b.Low, b.High);
        Assert.True(b.High - b.Low < (a.High - a.Low) / 4, $"{a} vs {b}");
        Assert.Equal(a, Bootstrap.MeanInterval(few, seed: 1));
    }

    [Fact]
    public void Paired_comparison_sees_a_consistent_small_gain_that_unpaired_intervals_miss()
    {
        var random = new Random(3);
        var b = Enumerable.Range(0, 600).Select(_ => random.NextDouble()).ToArray();
        var a = b.Select(x => x + 0.01).ToArray();
        var paired = Bootstrap.Paired("a", a, "b", b);
        Assert.Equal(0.01, paired.Difference.Mean, 9);
        Assert.True(paired.Difference.Low > 0);
        Assert.Equal(0.0, paired.ShareNotBetter);
        var (ia, ib) = (Bootstrap.MeanInterval(a), Bootstrap.MeanInterval(b));
        Assert.True(ia.Low < ib.High, "unpaired intervals overlap");
    }
}
