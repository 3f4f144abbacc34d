using System.Text.Json.Nodes;

namespace CourseKit.Benchmarks;

/// <summary>
/// What a benchmark prints for one timed figure over its repeats: min / median / max (and the count), the way
/// hyperfine and BenchmarkDotNet do. A single number hides how much the machine moved during the run; the spread says
/// whether a difference between two variants is real.
/// </summary>
public sealed record SampleSummary(int Count, double Min, double Median, double Max, double Mean)
{
    public static SampleSummary Of(IEnumerable<double> samples)
    {
        var s = samples.ToArray();
        if (s.Length == 0) throw new ArgumentException("no samples to summarise", nameof(samples));
        if (s.Any(x => !double.IsFinite(x))) throw new ArgumentException($"a sample is not finite: {string.Join(", ", s)}", nameof(samples));
        return new SampleSummary(s.Length, s.Min(), Percentile(s, 0.5), s.Max(), s.Average());
    }

    /// <summary>(max − min) ÷ median: 0.1 means the repeats spread over 10 % of the typical value.</summary>
    public double RelativeSpread => Median == 0 ? 0 : (Max - Min) / Median;

    /// <summary>The same summary of a derived figure that falls as this one rises (e.g. tokens/s from seconds/step):
    /// min and max swap places.</summary>
    public SampleSummary Inverse(double numerator) =>
        new(Count, numerator / Max, numerator / Median, numerator / Min, numerator / Mean);

    public SampleSummary Scale(double factor) => factor >= 0
        ? new(Count, Min * factor, Median * factor, Max * factor, Mean * factor)
        : throw new ArgumentOutOfRangeException(nameof(factor), "a negative factor would swap min and max");

    /// <summary>"12.3 / 12.9 / 14.0" (min / median / max) in the given number format.</summary>
    public string Format(string format = "F1") => $"{Min.ToString(format)} / {Median.ToString(format)} / {Max.ToString(format)}";

    public JsonObject ToJson(int digits = 6) => new()
    {
        ["count"] = Count, ["min"] = Math.Round(Min, digits), ["median"] = Math.Round(Median, digits),
        ["max"] = Math.Round(Max, digits), ["mean"] = Math.Round(Mean, digits),
    };

    /// <summary>Linear interpolation between closest ranks (numpy's default).</summary>
    public static double Percentile(IReadOnlyList<double> xs, double q)
    {
        if (xs.Count == 0) throw new ArgumentException("no samples", nameof(xs));
        var s = xs.Order().ToArray();
        double pos = q * (s.Length - 1);
        int lo = (int)Math.Floor(pos), hi = (int)Math.Ceiling(pos);
        return s[lo] + (s[hi] - s[lo]) * (pos - lo);
    }
}
