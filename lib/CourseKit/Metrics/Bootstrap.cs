namespace CourseKit.Metrics;

/// <summary>A mean with its percentile bootstrap interval.</summary>
public sealed record Interval(double Mean, double Low, double High)
{
    public override string ToString() => $"{Mean:F4} [{Low:F4}, {High:F4}]";
}

/// <summary>Two systems scored on the same users: the mean difference A − B, its interval, and the share of resamples
/// in which A is not better (a one-sided bootstrap p-value).</summary>
public sealed record PairedComparison(string A, string B, Interval Difference, double ShareNotBetter);

/// <summary>
/// Bootstrap over users (Efron): resample the users with replacement, recompute the mean. With 610 users one hit is
/// 0.0016 of HR, so figures without an interval are hard to compare. Deterministic for a seed.
/// </summary>
public static class Bootstrap
{
    public static Interval MeanInterval(IReadOnlyList<double> values, int resamples = 1000, int seed = 0, double level = 0.95)
    {
        if (values.Count == 0) return new Interval(double.NaN, double.NaN, double.NaN);
        var means = Resample(values.Count, resamples, seed, idx => idx.Sum(i => values[i]) / idx.Length);
        return Percentiles(values.Average(), means, level);
    }

    /// <summary>Paired: the same resampled users for both systems, so user difficulty cancels.</summary>
    public static PairedComparison Paired(string nameA, IReadOnlyList<double> a, string nameB, IReadOnlyList<double> b,
        int resamples = 1000, int seed = 0, double level = 0.95)
    {
        if (a.Count != b.Count) throw new ArgumentException($"Paired comparison needs the same users: {a.Count} vs {b.Count} values.");
        var diff = a.Zip(b, (x, y) => x - y).ToArray();
        var means = Resample(diff.Length, resamples, seed, idx => idx.Sum(i => diff[i]) / idx.Length);
        return new PairedComparison(nameA, nameB, Percentiles(diff.Average(), means, level), means.Count(m => m <= 0) / (double)means.Length);
    }

    /// <summary>Any statistic of <paramref name="n"/> items (ECE, F1: not a mean of per-item values): recomputed on
    /// resampled item indices; <paramref name="statistic"/> gets the indices of one resample.</summary>
    public static Interval StatisticInterval(int n, Func<int[], double> statistic, int resamples = 1000, int seed = 0, double level = 0.95)
    {
        if (n == 0) return new Interval(double.NaN, double.NaN, double.NaN);
        return Percentiles(statistic(Enumerable.Range(0, n).ToArray()), Resample(n, resamples, seed, statistic), level);
    }

    static double[] Resample(int n, int resamples, int seed, Func<int[], double> statistic)
    {
        var random = new Random(seed);
        var idx = new int[n];
        var stats = new double[resamples];
        for (int r = 0; r < resamples; r++)
        {
            for (int i = 0; i < n; i++) idx[i] = random.Next(n);
            stats[r] = statistic(idx);
        }
        return stats;
    }

    static Interval Percentiles(double mean, double[] stats, double level)
    {
        Array.Sort(stats);
        double tail = (1 - level) / 2;
        double At(double q) => stats[Math.Clamp((int)Math.Floor(q * (stats.Length - 1) + 0.5), 0, stats.Length - 1)];
        return new Interval(mean, At(tail), At(1 - tail));
    }
}
