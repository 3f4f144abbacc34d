namespace CourseKit.Metrics;

/// <summary>One bin of a reliability diagram: predictions whose confidence fell in [Low, High).</summary>
public sealed record ReliabilityBin(double Low, double High, int Count, double MeanConfidence, double Accuracy)
{
    /// <summary>|accuracy − confidence|: how far the bin is from the diagonal.</summary>
    public double Gap => Count == 0 ? 0 : Math.Abs(Accuracy - MeanConfidence);
}

/// <summary>One point of the coverage–accuracy curve: answer only when confidence ≥ Threshold.</summary>
public sealed record CoveragePoint(double Threshold, double Coverage, double Accuracy, int Answered);

/// <summary>
/// Calibration of a classifier's probabilities (Guo et al. 2017, "On Calibration of Modern Neural Networks"): the
/// confidence of a prediction is its largest class probability; a calibrated model is right 80 % of the times it says
/// 0.8. Expected calibration error (ECE) = Σ_bins (n_b / N) · |accuracy_b − confidence_b| over equal-width bins
/// (15 in the paper), the reliability diagram is the same bins drawn, and abstaining below a confidence threshold
/// trades coverage for accuracy.
/// </summary>
public static class Calibration
{
    public const int DefaultBins = 15;

    /// <summary>Equal-width confidence bins over [0, 1]; a confidence of exactly 1 falls in the last bin.</summary>
    public static IReadOnlyList<ReliabilityBin> ReliabilityBins(IReadOnlyList<float[]> probabilities, IReadOnlyList<int> labels, int bins = DefaultBins)
    {
        Check(probabilities, labels);
        if (bins < 1) throw new ArgumentOutOfRangeException(nameof(bins), bins, "at least one bin");
        var count = new int[bins];
        var confidenceSum = new double[bins];
        var correct = new int[bins];
        for (int i = 0; i < probabilities.Count; i++)
        {
            var (predicted, confidence) = Top(probabilities[i]);
            int b = Math.Min(bins - 1, (int)(confidence * bins));
            count[b]++;
            confidenceSum[b] += confidence;
            if (predicted == labels[i]) correct[b]++;
        }
        return Enumerable.Range(0, bins).Select(b => new ReliabilityBin((double)b / bins, (double)(b + 1) / bins, count[b],
            count[b] == 0 ? 0 : confidenceSum[b] / count[b], count[b] == 0 ? 0 : correct[b] / (double)count[b])).ToArray();
    }

    /// <summary>Expected calibration error over <paramref name="bins"/> equal-width bins (0 = perfectly calibrated).</summary>
    public static double ExpectedCalibrationError(IReadOnlyList<float[]> probabilities, IReadOnlyList<int> labels, int bins = DefaultBins)
    {
        var reliability = ReliabilityBins(probabilities, labels, bins);
        return reliability.Sum(b => b.Count * b.Gap) / probabilities.Count;
    }

    /// <summary>Mean negative log-likelihood of the gold labels (probabilities floored at 1e-12).</summary>
    public static double NegativeLogLikelihood(IReadOnlyList<float[]> probabilities, IReadOnlyList<int> labels)
    {
        Check(probabilities, labels);
        return -probabilities.Select((p, i) => Math.Log(Math.Max(1e-12, p[labels[i]]))).Average();
    }

    /// <summary>Accuracy and coverage when the model abstains below each confidence threshold (one point per
    /// threshold; threshold 0 answers everything). Accuracy is NaN where nothing is answered.</summary>
    public static IReadOnlyList<CoveragePoint> CoverageAccuracy(IReadOnlyList<float[]> probabilities, IReadOnlyList<int> labels,
        IReadOnlyList<double>? thresholds = null)
    {
        Check(probabilities, labels);
        thresholds ??= Enumerable.Range(0, 20).Select(i => i * 0.05).ToArray();
        var top = probabilities.Select(Top).ToArray();
        return thresholds.Select(t =>
        {
            int answered = 0, right = 0;
            for (int i = 0; i < top.Length; i++)
            {
                if (top[i].Confidence < t) continue;
                answered++;
                if (top[i].Predicted == labels[i]) right++;
            }
            return new CoveragePoint(t, answered / (double)top.Length, answered == 0 ? double.NaN : right / (double)answered, answered);
        }).ToArray();
    }

    /// <summary>The lowest threshold whose answered predictions reach <paramref name="targetAccuracy"/> (null when none does).</summary>
    public static CoveragePoint? ThresholdFor(IReadOnlyList<CoveragePoint> curve, double targetAccuracy) =>
        curve.Where(p => p.Answered > 0 && p.Accuracy >= targetAccuracy).OrderBy(p => p.Threshold).FirstOrDefault();

    /// <summary>The predicted class (first of ties) and its probability.</summary>
    public static (int Predicted, double Confidence) Top(float[] p)
    {
        int best = 0;
        for (int i = 1; i < p.Length; i++) if (p[i] > p[best]) best = i;
        return (best, p[best]);
    }

    static void Check(IReadOnlyList<float[]> probabilities, IReadOnlyList<int> labels)
    {
        if (probabilities.Count != labels.Count)
            throw new ArgumentException($"{probabilities.Count} probability rows but {labels.Count} labels");
        if (probabilities.Count == 0) throw new ArgumentException("no predictions to calibrate");
    }
}
