namespace CourseKit.Metrics;

/// <summary>
/// Area under the ROC curve of a score that should be higher for positives: the probability that a random positive
/// scores above a random negative, ties counting one half (the Mann–Whitney U statistic divided by n₊·n₋). 0.5 is
/// chance, 1 a perfect separation. Used for out-of-domain detection (positives = foreign text).
/// </summary>
public static class Auroc
{
    public static double Compute(IReadOnlyList<double> positiveScores, IReadOnlyList<double> negativeScores)
    {
        if (positiveScores.Count == 0 || negativeScores.Count == 0)
            throw new ArgumentException($"AUROC needs both classes: {positiveScores.Count} positive and {negativeScores.Count} negative scores");
        // Rank all scores together (average ranks for ties); U = sum of positive ranks − n₊(n₊+1)/2.
        var all = positiveScores.Select(s => (Score: s, Positive: true)).Concat(negativeScores.Select(s => (Score: s, Positive: false)))
            .OrderBy(x => x.Score).ToArray();
        double positiveRankSum = 0;
        for (int i = 0; i < all.Length;)
        {
            int j = i;
            while (j + 1 < all.Length && all[j + 1].Score == all[i].Score) j++;
            double averageRank = (i + j) / 2.0 + 1;
            for (int k = i; k <= j; k++) if (all[k].Positive) positiveRankSum += averageRank;
            i = j + 1;
        }
        double nPos = positiveScores.Count, nNeg = negativeScores.Count;
        return (positiveRankSum - nPos * (nPos + 1) / 2) / (nPos * nNeg);
    }
}
