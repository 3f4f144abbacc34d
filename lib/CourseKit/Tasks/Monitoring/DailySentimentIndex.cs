namespace CourseKit.Tasks.Monitoring;

/// <summary>A sentence shown as evidence: what it said, where it came from, how negative the model found it.</summary>
public sealed record EvidenceSentence(DateTimeOffset Time, string Source, string Text, double NegativeProbability, string File, int Line);

/// <summary>One day of the index. Polarity = P(positive) − P(negative) per sentence; its interval is the mean ± 1.96
/// standard errors; the negative share's interval is Wilson's (good for small days and shares near 0).</summary>
public sealed record DailySentiment(DateOnly Day, int Count, int Negatives, int Positives, double MeanPolarity,
    double PolarityLow, double PolarityHigh, double NegativeShare, double NegativeLow, double NegativeHigh,
    double MeanMaxSoftmax, double OutOfDomainShare, IReadOnlyList<EvidenceSentence> Evidence);

/// <summary>
/// Accumulates scored texts into days without keeping them: per day only sums and the few most negative sentences
/// (the evidence an alert shows), so memory grows with the number of days, not of texts.
/// </summary>
public sealed class DailySentimentIndex(int evidencePerDay = 5)
{
    sealed class Day
    {
        public int Count, Negatives, Positives, OutOfDomain;
        public double PolaritySum, PolaritySquares, MaxSoftmaxSum;
        public readonly List<EvidenceSentence> Evidence = [];
    }

    readonly SortedDictionary<DateOnly, Day> _days = [];

    public void Add(StreamRecord record, SentimentScore score, bool outOfDomain = false)
    {
        if (!_days.TryGetValue(record.Day, out var day)) _days[record.Day] = day = new Day();
        day.Count++;
        if (score.IsNegative) day.Negatives++;
        if (score.Predicted == SentimentLabels.Positive) day.Positives++;
        if (outOfDomain) day.OutOfDomain++;
        day.PolaritySum += score.Polarity;
        day.PolaritySquares += score.Polarity * (double)score.Polarity;
        day.MaxSoftmaxSum += score.MaxSoftmax;
        if (!score.IsNegative) return;
        // Keep the evidencePerDay most negative sentences of the day (a bounded insertion, not a full sort).
        if (day.Evidence.Exists(e => e.Text == record.Text)) return; // a repeated headline is one piece of evidence
        var evidence = new EvidenceSentence(record.Time, record.Source, record.Text, score.Negative, record.File, record.Line);
        int at = day.Evidence.FindIndex(e => e.NegativeProbability < evidence.NegativeProbability);
        if (at < 0 && day.Evidence.Count >= evidencePerDay) return;
        day.Evidence.Insert(at < 0 ? day.Evidence.Count : at, evidence);
        if (day.Evidence.Count > evidencePerDay) day.Evidence.RemoveAt(evidencePerDay);
    }

    public int DayCount => _days.Count;

    /// <summary>The days in calendar order (days with no text are absent).</summary>
    public IReadOnlyList<DailySentiment> Days() => _days.Select(kv => Summarize(kv.Key, kv.Value)).ToArray();

    static DailySentiment Summarize(DateOnly date, Day d)
    {
        double mean = d.PolaritySum / d.Count;
        var (polarityLow, polarityHigh) = PolarityInterval(d.Count, mean, d.PolaritySquares);
        var (low, high) = Wilson(d.Negatives, d.Count);
        return new DailySentiment(date, d.Count, d.Negatives, d.Positives, mean, polarityLow, polarityHigh,
            d.Negatives / (double)d.Count, low, high, d.MaxSoftmaxSum / d.Count, d.OutOfDomain / (double)d.Count, d.Evidence.ToArray());
    }

    /// <summary>Normal 95 % interval of the mean polarity; one text says nothing about its spread, so its interval is the
    /// whole range [−1, 1] (as the entity summary does), not a falsely exact point.</summary>
    static (double Low, double High) PolarityInterval(int count, double mean, double sumOfSquares)
    {
        if (count < 2) return (-1, 1);
        double variance = Math.Max(0, (sumOfSquares - count * mean * mean) / (count - 1));
        double half = 1.96 * Math.Sqrt(variance / count);
        return (mean - half, mean + half);
    }

    /// <summary>Wilson score interval of a binomial share (z = 1.96).</summary>
    public static (double Low, double High) Wilson(int successes, int n, double z = 1.96)
    {
        if (n == 0) return (0, 1);
        double p = successes / (double)n, z2 = z * z;
        double centre = (p + z2 / (2 * n)) / (1 + z2 / n);
        double half = z * Math.Sqrt(p * (1 - p) / n + z2 / (4.0 * n * n)) / (1 + z2 / n);
        return (Math.Max(0, centre - half), Math.Min(1, centre + half));
    }

    /// <summary>The index as CSV (day, count, shares and polarity with their intervals).</summary>
    public static string ToCsv(IEnumerable<DailySentiment> days)
    {
        var ci = System.Globalization.CultureInfo.InvariantCulture;
        var sb = new System.Text.StringBuilder("day,count,negatives,positives,negative_share,negative_low,negative_high,mean_polarity,polarity_low,polarity_high,mean_max_softmax,out_of_domain_share\n");
        foreach (var d in days)
            sb.Append(string.Create(ci, $"{d.Day:yyyy-MM-dd},{d.Count},{d.Negatives},{d.Positives},{d.NegativeShare:F4},{d.NegativeLow:F4},{d.NegativeHigh:F4},{d.MeanPolarity:F4},{d.PolarityLow:F4},{d.PolarityHigh:F4},{d.MeanMaxSoftmax:F4},{d.OutOfDomainShare:F4}\n"));
        return sb.ToString();
    }
}
