namespace CourseKit.Tasks.Monitoring;

/// <summary>A change detector with its alarm threshold left open (CUSUM's h, Page–Hinkley's λ): what
/// <see cref="DetectorCalibration"/> sets. <see cref="Name"/> names the fixed part (k or δ).</summary>
public sealed record DetectorFamily(string Name, Func<double, IChangeDetector> Make)
{
    public static DetectorFamily Cusum(double k) => new($"cusum(k={k:G3})", h => new CusumDetector(k, h));
    public static DetectorFamily PageHinkley(double delta) => new($"page-hinkley(δ={delta:G3})", lambda => new PageHinkleyDetector(delta, lambda));
}

/// <summary>The threshold calibration picked for one detector family at one daily volume, with the false-alarm rate it
/// had on the validation streams and the budget it was picked for.</summary>
public sealed record CalibratedThreshold(string Family, int PerDay, double Threshold, double ValidationFalseAlarmsPer100Days,
    double BudgetPer100Days, int Streams, int DaysPerStream);

/// <summary>
/// Picks alarm thresholds from data instead of by hand. A threshold trades delay for false alarms, and the false-alarm
/// side is the one that can be measured without knowing what a real shift looks like: simulate no-change streams on
/// validation (validation sentences, their own seeds: nothing the reported delays and false alarms are measured on),
/// count alarms per 100 days for every threshold of a grid, and keep the smallest threshold within the budget. The
/// detection delays are then measured on held-out streams at that threshold, so they are not tuned on themselves.
/// </summary>
public static class DetectorCalibration
{
    /// <summary>Seeds of the validation streams start here (the reported no-change streams use 0.., the shifted ones
    /// 1,000,003..).</summary>
    public const int ValidationSeedOffset = 2_000_003;

    /// <summary>0.25 to 30 in steps of 0.25: the standardised statistics live on a scale of a few units.</summary>
    public static IReadOnlyList<double> DefaultGrid { get; } = Enumerable.Range(1, 120).Select(i => i * 0.25).ToArray();

    /// <summary>Alarms per 100 days of a fresh detector run over each stream (it restarts after every alarm).</summary>
    public static double FalseAlarmsPer100Days(IReadOnlyList<double[]> streams, Func<IChangeDetector> make)
    {
        long alarms = 0, days = 0;
        foreach (var z in streams)
        {
            var detector = make();
            for (int day = 0; day < z.Length; day++) if (detector.Update(z[day], day)) alarms++;
            days += z.Length;
        }
        return days == 0 ? 0 : 100.0 * alarms / days;
    }

    /// <summary>The smallest threshold of the grid from which every larger one stays within
    /// <paramref name="budgetPer100Days"/> false alarms per 100 days on <paramref name="nullStreams"/>. "Every larger
    /// one" because on finite streams the rate falls with the threshold only on the whole (an alarm resets the
    /// statistic, so one early alarm can become two later ones). Throws when even the largest threshold rings too often.</summary>
    public static CalibratedThreshold Calibrate(DetectorFamily family, IReadOnlyList<double[]> nullStreams, double budgetPer100Days,
        int perDay = 0, IReadOnlyList<double>? grid = null)
    {
        if (nullStreams.Count == 0 || nullStreams.All(s => s.Length == 0)) throw new ArgumentException("no validation streams to calibrate on");
        if (!(budgetPer100Days >= 0)) throw new ArgumentOutOfRangeException(nameof(budgetPer100Days), budgetPer100Days, "the false-alarm budget must be ≥ 0");
        var thresholds = (grid ?? DefaultGrid).Order().ToArray();
        if (thresholds.Length == 0) throw new ArgumentException("an empty threshold grid");
        var rates = thresholds.Select(h => FalseAlarmsPer100Days(nullStreams, () => family.Make(h))).ToArray();
        int pick = thresholds.Length;
        for (int i = thresholds.Length - 1; i >= 0 && rates[i] <= budgetPer100Days; i--) pick = i;
        if (pick == thresholds.Length)
            throw new InvalidOperationException($"{family.Name}: even the largest threshold ({thresholds[^1]:G4}) rings {rates[^1]:F2} times per 100 "
                + $"no-change days, above the budget of {budgetPer100Days:G3}; widen the grid");
        return new CalibratedThreshold(family.Name, perDay, thresholds[pick], rates[pick], budgetPer100Days, nullStreams.Count, nullStreams.Max(s => s.Length));
    }

    /// <summary><paramref name="streams"/> no-change streams of <paramref name="days"/> standardised daily
    /// predicted-negative shares, drawn from <paramref name="pool"/> with its own class mix (seeds
    /// <paramref name="firstSeed"/>, <paramref name="firstSeed"/>+1, ...).</summary>
    public static double[][] NullStreams(IReadOnlyList<SimulationSentence> pool, double reference, int perDay, int days, int streams, int firstSeed)
    {
        var (negatives, others, baseShare) = DetectorSimulation.Split(pool);
        return Enumerable.Range(0, streams).Select(s =>
            DetectorSimulation.DailyNegatives(negatives, others, baseShare, 0, days, int.MaxValue, perDay, firstSeed + s)
                .Select(n => NegativeShareStatistic.Standardize(n, perDay, reference)).ToArray()).ToArray();
    }

    /// <summary>For each daily volume and detector family: a threshold calibrated on no-change streams from
    /// <paramref name="validationPool"/>, then delays and false alarms at that threshold on held-out streams from
    /// <paramref name="testPool"/> (<see cref="DetectorSimulation"/>'s seeds).</summary>
    public static (IReadOnlyList<CalibratedThreshold> Thresholds, IReadOnlyList<SimulationRow> Rows) CalibrateAndEvaluate(
        IReadOnlyList<SimulationSentence> validationPool, IReadOnlyList<SimulationSentence> testPool, double reference,
        IReadOnlyList<DetectorFamily> families, SimulationOptions options)
    {
        var thresholds = new List<CalibratedThreshold>();
        var rows = new List<SimulationRow>();
        foreach (var perDay in options.Volumes)
        {
            var streams = NullStreams(validationPool, reference, perDay, options.NullDays, options.Seeds, ValidationSeedOffset);
            foreach (var family in families)
            {
                var calibrated = Calibrate(family, streams, options.CalibrationFalseAlarmsPer100Days, perDay);
                thresholds.Add(calibrated);
                rows.AddRange(DetectorSimulation.Evaluate(testPool, reference, () => family.Make(calibrated.Threshold), options with { PerDay = perDay }));
            }
        }
        return (thresholds, rows);
    }
}
