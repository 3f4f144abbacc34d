namespace CourseKit.Tasks.Monitoring;

/// <summary>A held-out sentence for the simulation: its gold class and whether the monitor's classifier called it negative.</summary>
public readonly record struct SimulationSentence(int Gold, bool PredictedNegative);

/// <summary>The simulation's design. A stream has <see cref="PerDay"/> sentences a day (each volume of
/// <see cref="Volumes"/> in turn) drawn from held-out sentences with the data's own class mix; on <see cref="ShiftDay"/>
/// the share of truly negative sentences rises by the shift (points of share) and stays there.</summary>
public sealed record SimulationOptions
{
    public int Seeds { get; init; } = 200;
    /// <summary>Texts per day of the first volume (what the notebook's stream uses).</summary>
    public int PerDay { get; init; } = 40;
    /// <summary>Further daily volumes to simulate: detection speed depends on how many texts a day says something.</summary>
    public int[] MoreVolumes { get; init; } = [100];
    public IEnumerable<int> Volumes => new[] { PerDay }.Concat(MoreVolumes.Where(v => v != PerDay)).Distinct();
    public int ShiftDay { get; init; } = 30;
    /// <summary>Days of a shifted stream (the shift day included).</summary>
    public int Days { get; init; } = 60;
    /// <summary>Days of each stream without a shift, on which every alarm is false.</summary>
    public int NullDays { get; init; } = 100;
    public double[] Shifts { get; init; } = [0.05, 0.10, 0.20, 0.30];
    /// <summary>False alarms per 100 no-change days the thresholds are calibrated to on validation streams: half the
    /// chapter's limit of 1, because validation streams are centred on the reference by construction and held-out
    /// ones (another sample, another predicted-negative share) only nearly.</summary>
    public double CalibrationFalseAlarmsPer100Days { get; init; } = 0.5;
}

/// <summary>One detector at one shift size over all seeds. Delay = days of shifted data seen when the alarm rang
/// (an alarm on the shift day itself is 1); streams without an alarm by the end count as missed.</summary>
public sealed record SimulationRow(string Detector, int PerDay, double Shift, double MedianDelayDays, double MeanDelayDays, double DetectedShare,
    double FalseAlarmsPer100Days, int Seeds);

/// <summary>
/// Evaluates change detectors by simulation, since no public time-stamped financial news set is at hand: streams
/// built from held-out PhraseBank sentences with a known shift on a known day, and streams without one. Each
/// sentence's classifier verdict is computed once, so thousands of simulated days cost no model calls; the
/// classifier's errors are in the simulation (a negative sentence it misses does not move the index).
/// </summary>
public static class DetectorSimulation
{
    public static IReadOnlyList<SimulationRow> Run(IReadOnlyList<SimulationSentence> pool, double referenceNegativeShare,
        IReadOnlyList<Func<IChangeDetector>> detectors, SimulationOptions options)
    {
        Split(pool); // fails early on a pool without both kinds
        var rows = new List<SimulationRow>();
        foreach (var perDay in options.Volumes)
            foreach (var make in detectors)
                rows.AddRange(Evaluate(pool, referenceNegativeShare, make, options with { PerDay = perDay }));
        return rows;
    }

    /// <summary>The pool's truly negative and other sentences, and the negative share among them.</summary>
    public static (SimulationSentence[] Negatives, SimulationSentence[] Others, double BaseShare) Split(IReadOnlyList<SimulationSentence> pool)
    {
        var negatives = pool.Where(s => s.Gold == SentimentLabels.Negative).ToArray();
        var others = pool.Where(s => s.Gold != SentimentLabels.Negative).ToArray();
        if (negatives.Length == 0 || others.Length == 0)
            throw new ArgumentException($"the simulation needs held-out negative and non-negative sentences ({negatives.Length} and {others.Length})");
        return (negatives, others, negatives.Length / (double)pool.Count);
    }

    /// <summary>One detector at <paramref name="options"/>' PerDay, one row per shift size: false alarms on no-change
    /// streams (seeds 0..), delays on shifted ones (seeds 1,000,003..).</summary>
    public static IEnumerable<SimulationRow> Evaluate(IReadOnlyList<SimulationSentence> pool, double reference, Func<IChangeDetector> make,
        SimulationOptions options)
    {
        var (negatives, others, baseShare) = Split(pool);
        string name = make().Name;
        // False alarms: streams without a shift, every alarm is false (the same seeds for every detector).
        int falseAlarms = 0;
        for (int seed = 0; seed < options.Seeds; seed++)
            falseAlarms += Alarms(DailyNegatives(negatives, others, baseShare, 0, options.NullDays, int.MaxValue, options.PerDay, seed),
                options.PerDay, reference, make()).Count;
        double falsePer100 = 100.0 * falseAlarms / (options.Seeds * (double)options.NullDays);
        foreach (var shift in options.Shifts)
        {
            var delays = new List<double>();
            for (int seed = 0; seed < options.Seeds; seed++)
            {
                var counts = DailyNegatives(negatives, others, baseShare, shift, options.Days, options.ShiftDay, options.PerDay, 1_000_003 + seed);
                var first = Alarms(counts, options.PerDay, reference, make()).FirstOrDefault(d => d >= options.ShiftDay, -1);
                if (first >= 0) delays.Add(first - options.ShiftDay + 1);
            }
            yield return new SimulationRow(name, options.PerDay, shift, delays.Count == 0 ? double.NaN : Median(delays),
                delays.Count == 0 ? double.NaN : delays.Average(), delays.Count / (double)options.Seeds, falsePer100, options.Seeds);
        }
    }

    /// <summary>Predicted-negative counts per day: each sentence is truly negative with the day's share, then drawn
    /// (with replacement) from the held-out sentences of its kind.</summary>
    public static int[] DailyNegatives(SimulationSentence[] negatives, SimulationSentence[] others, double baseShare, double shift,
        int days, int shiftDay, int perDay, int seed)
    {
        var random = new Random(seed);
        var counts = new int[days];
        for (int day = 0; day < days; day++)
        {
            double share = Math.Min(1, baseShare + (day >= shiftDay ? shift : 0));
            for (int i = 0; i < perDay; i++)
            {
                var pool = random.NextDouble() < share ? negatives : others;
                if (pool[random.Next(pool.Length)].PredictedNegative) counts[day]++;
            }
        }
        return counts;
    }

    /// <summary>The days a detector rings on a series of daily predicted-negative counts.</summary>
    public static List<int> Alarms(int[] negativesPerDay, int perDay, double reference, IChangeDetector detector)
    {
        var alarms = new List<int>();
        for (int day = 0; day < negativesPerDay.Length; day++)
            if (detector.Update(NegativeShareStatistic.Standardize(negativesPerDay[day], perDay, reference), day)) alarms.Add(day);
        return alarms;
    }

    static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        int n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    /// <summary>A time-stamped stream for demonstrations: <paramref name="perDay"/> texts a day from
    /// <paramref name="sentences"/> (text, gold class), truly negative with the base share, raised by
    /// <paramref name="shift"/> from <paramref name="shiftDay"/> on; times spread over the day.</summary>
    public static IEnumerable<StreamRecord> SimulatedStream(IReadOnlyList<(string Text, int Gold)> sentences, DateOnly start, int days,
        int perDay, int shiftDay, double shift, int seed, string source = "simulated-wire")
    {
        var negatives = sentences.Where(s => s.Gold == SentimentLabels.Negative).ToArray();
        var others = sentences.Where(s => s.Gold != SentimentLabels.Negative).ToArray();
        double baseShare = negatives.Length / (double)sentences.Count;
        var random = new Random(seed);
        for (int day = 0; day < days; day++)
        {
            double share = Math.Min(1, baseShare + (day >= shiftDay ? shift : 0));
            var midnight = new DateTimeOffset(start.AddDays(day).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            var times = Enumerable.Range(0, perDay).Select(_ => random.Next(86_400)).Order().ToArray();
            foreach (var second in times)
            {
                var pool = random.NextDouble() < share ? negatives : others;
                yield return new StreamRecord(midnight.AddSeconds(second), source, pool[random.Next(pool.Length)].Text);
            }
        }
    }
}
