namespace CourseKit.Metrics;

/// <summary>
/// Leave-one-out ranking metrics with full ranking: the target is ranked against every candidate item (no sampled
/// negatives, which Krichene &amp; Rendle 2020 show can reorder models). Ties are broken against the target (a candidate
/// scoring exactly as much as the target counts as ranked above it), so a model cannot gain from constant scores.
/// </summary>
public static class RankingMetrics
{
    /// <summary>The rank of a target that is not among the candidates (never a hit).</summary>
    public const int NotFound = int.MaxValue;

    public static readonly IReadOnlyList<int> StandardCutoffs = [5, 10, 20];

    /// <summary>0-based rank of <paramref name="target"/> among indices 0..scores.Length-1 that are not
    /// <paramref name="excluded"/> (the target itself always competes). NaN never outranks anything.</summary>
    public static int RankOf(ReadOnlySpan<float> scores, int target, Func<int, bool>? excluded = null)
    {
        if (target < 0 || target >= scores.Length || float.IsNaN(scores[target])) return NotFound;
        var targetScore = scores[target];
        int above = 0;
        for (int i = 0; i < scores.Length; i++)
        {
            if (i == target || excluded?.Invoke(i) == true) continue;
            if (scores[i] >= targetScore) above++;
        }
        return above;
    }

    /// <summary>HR@K for one query: 1 when the target is in the top K.</summary>
    public static double HitRate(int rank, int k) => rank < k ? 1.0 : 0.0;

    /// <summary>NDCG@K for one query with a single relevant item: 1 / log2(rank + 2) inside the top K (the ideal DCG
    /// is 1), 0 outside.</summary>
    public static double Ndcg(int rank, int k) => rank < k ? 1.0 / Math.Log2(rank + 2.0) : 0.0;

    public static double[] HitRates(IReadOnlyList<int> ranks, int k) => ranks.Select(r => HitRate(r, k)).ToArray();
    public static double[] Ndcgs(IReadOnlyList<int> ranks, int k) => ranks.Select(r => Ndcg(r, k)).ToArray();
}
