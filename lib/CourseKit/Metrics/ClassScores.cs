namespace CourseKit.Metrics;

/// <summary>Precision, recall and F1 of one class or average (fractions in [0, 1]) and its support (the number of
/// gold items: tokens for token-level scores, entities for entity-level ones).</summary>
public sealed record ClassScores(double Precision, double Recall, double F1, long Support)
{
    /// <summary>Scores from counts with scikit-learn's zero_division=0 rule: a ratio with a zero denominator is 0, and
    /// F1 = 2PR/(P+R) is 0 when P+R is 0 (never NaN).</summary>
    public static ClassScores FromCounts(long truePositives, long predicted, long gold)
    {
        double precision = predicted == 0 ? 0.0 : (double)truePositives / predicted;
        double recall = gold == 0 ? 0.0 : (double)truePositives / gold;
        return new ClassScores(precision, recall, F1Of(precision, recall), gold);
    }

    public static double F1Of(double precision, double recall) =>
        precision + recall == 0.0 ? 0.0 : 2 * precision * recall / (precision + recall);
}
