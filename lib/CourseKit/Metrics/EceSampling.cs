namespace CourseKit.Metrics;

/// <summary>The ECE a perfectly calibrated model would show on a set of this size: its mean and 95th percentile.</summary>
public sealed record EceFloor(double Mean, double Upper95);

/// <summary>
/// How much of a measured ECE is sampling. ECE is biased upward on a finite set: in a bin of n predictions at confidence
/// c the accuracy is a binomial proportion, off c by about √(c(1−c)/n) even when the model is exactly calibrated. On a
/// few hundred test sentences that floor is of the order of the targets people set (0.03), so a figure near it says
/// "calibrated as far as this set can tell", not "miscalibrated by that much".
/// </summary>
public static class EceSampling
{
    /// <summary>Bootstrap interval of the ECE over examples (resampled with replacement, ECE recomputed).</summary>
    public static Interval Interval(IReadOnlyList<float[]> probabilities, IReadOnlyList<int> labels, int bins = Calibration.DefaultBins,
        int resamples = 1000, int seed = 0) =>
        Bootstrap.StatisticInterval(probabilities.Count,
            idx => Calibration.ExpectedCalibrationError(idx.Select(i => probabilities[i]).ToArray(), idx.Select(i => labels[i]).ToArray(), bins),
            resamples, seed);

    /// <summary>The ECE of a model that is calibrated by construction: the same probabilities, with each label drawn
    /// from the model's own distribution, over <paramref name="draws"/> draws.</summary>
    public static EceFloor PerfectCalibrationFloor(IReadOnlyList<float[]> probabilities, int bins = Calibration.DefaultBins,
        int draws = 1000, int seed = 0)
    {
        if (probabilities.Count == 0) return new EceFloor(double.NaN, double.NaN);
        var random = new Random(seed);
        var labels = new int[probabilities.Count];
        var eces = new double[draws];
        for (int d = 0; d < draws; d++)
        {
            for (int i = 0; i < labels.Length; i++) labels[i] = Draw(probabilities[i], random.NextDouble());
            eces[d] = Calibration.ExpectedCalibrationError(probabilities, labels, bins);
        }
        Array.Sort(eces);
        return new EceFloor(eces.Average(), eces[(int)Math.Floor(0.95 * (draws - 1) + 0.5)]);
    }

    /// <summary>The class whose cumulative probability first exceeds <paramref name="u"/> (the last one if rounding
    /// leaves the sum below 1).</summary>
    static int Draw(float[] p, double u)
    {
        double cumulative = 0;
        for (int c = 0; c < p.Length; c++)
            if ((cumulative += p[c]) > u) return c;
        return p.Length - 1;
    }
}
