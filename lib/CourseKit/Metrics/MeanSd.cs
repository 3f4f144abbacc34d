namespace CourseKit.Metrics;

/// <summary>Mean and sample standard deviation of a figure over folds, seeds or runs.</summary>
public sealed record MeanSd(double Mean, double Sd)
{
    public static MeanSd Of(IReadOnlyList<double> values) => new(values.Average(), SampleSd(values));

    /// <summary>Sample standard deviation (n − 1); 0 for fewer than two values.</summary>
    public static double SampleSd(IReadOnlyList<double> values)
    {
        if (values.Count < 2) return 0;
        double mean = values.Average();
        return Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
    }

    public override string ToString() => $"{Mean:F1} ± {Sd:F1}";
}
