using CourseKit.Tasks.Monitoring;

namespace CourseKit.Tests.Tasks.Monitoring;

[KeepTensorsAlive]
public class DetectorCalibrationTests
{
    static double[][] NormalStreams(int streams, int days, double sigma, int seed)
    {
        var random = new Random(seed);
        double Normal() => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        return Enumerable.Range(0, streams).Select(_ => Enumerable.Range(0, days).Select(_ => sigma * Normal()).ToArray()).ToArray();
    }

    [Fact]
    public void Cusum_threshold_for_one_false_alarm_per_100_days_matches_siegmunds_approximation()
    {
        // For N(0, 1) and k = 0.5, Siegmund's approximation of the in-control run length is ARL0 = 2(e^b − b − 1) with
        // b = h + 1.166; ARL0 = 100 days gives b ≈ 4.0, h ≈ 2.85. The calibration does not know this formula.
        var validation = NormalStreams(400, 100, 1, seed: 1);
        var family = DetectorFamily.Cusum(0.5);
        var picked = DetectorCalibration.Calibrate(family, validation, budgetPer100Days: 1.0);
        Assert.InRange(picked.Threshold, 2.25, 3.5);
        Assert.True(picked.ValidationFalseAlarmsPer100Days <= 1.0);
        // The smallest one within budget: one grid step lower rings too often on the same streams.
        double lower = DetectorCalibration.FalseAlarmsPer100Days(validation, () => family.Make(picked.Threshold - 0.25));
        Assert.True(lower > 1.0, $"threshold {picked.Threshold - 0.25} already met the budget ({lower:F2} per 100 days)");
        // Held out (other seeds): the rate stays near the budget.
        double heldOut = DetectorCalibration.FalseAlarmsPer100Days(NormalStreams(400, 100, 1, seed: 2), () => family.Make(picked.Threshold));
        Assert.InRange(heldOut, 0.5, 1.4);
    }

    [Fact]
    public void Calibration_adapts_to_noisier_streams_where_a_hand_fixed_threshold_fails()
    {
        // The daily statistic is more variable than the binomial model says (σ = 2, e.g. syndicated duplicates):
        // the threshold that suits N(0, 1) rings far too often, the one calibrated on such streams does not.
        var family = DetectorFamily.Cusum(0.5);
        double unitThreshold = DetectorCalibration.Calibrate(family, NormalStreams(300, 100, 1, seed: 3), 1.0).Threshold;
        var noisy = DetectorCalibration.Calibrate(family, NormalStreams(300, 100, 2, seed: 4), 1.0);
        Assert.True(noisy.Threshold > unitThreshold + 2, $"noisy {noisy.Threshold} vs unit {unitThreshold}");
        var heldOut = NormalStreams(300, 100, 2, seed: 5);
        Assert.True(DetectorCalibration.FalseAlarmsPer100Days(heldOut, () => family.Make(unitThreshold)) > 3);
        Assert.True(DetectorCalibration.FalseAlarmsPer100Days(heldOut, () => family.Make(noisy.Threshold)) <= 1.5);
    }

    [Fact]
    public void Calibration_fails_loudly_when_no_threshold_in_the_grid_meets_the_budget()
    {
        // Streams that sit 3σ above the reference all along (a reference taken from other data): a CUSUM climbs 2.5
        // a day and rings every few days whatever the threshold in [1, 3]. (Page–Hinkley would not: its running
        // mean absorbs a constant level, it only sees changes.)
        var streams = Enumerable.Range(0, 10).Select(_ => Enumerable.Repeat(3.0, 50).ToArray()).ToArray();
        var error = Assert.Throws<InvalidOperationException>(() =>
            DetectorCalibration.Calibrate(DetectorFamily.Cusum(0.5), streams, 1.0, grid: [1, 2, 3]));
        Assert.Contains("cusum(k=0.5)", error.Message);
        Assert.Equal(0.0, DetectorCalibration.FalseAlarmsPer100Days(streams, () => DetectorFamily.PageHinkley(0.5).Make(1)));
    }

    [Fact]
    public void Calibrated_detectors_keep_the_false_alarm_budget_on_held_out_streams_and_find_large_shifts()
    {
        // A perfect classifier, 10 % negative; validation and test pools are different sentences.
        SimulationSentence[] Pool(int n) => Enumerable.Range(0, n).Select(i => new SimulationSentence(i % 10 == 0 ? 0 : 1, i % 10 == 0)).ToArray();
        var options = new SimulationOptions { Seeds = 100, PerDay = 40, MoreVolumes = [100], Days = 40, ShiftDay = 20, NullDays = 100, Shifts = [0.05, 0.30] };
        var families = new[] { DetectorFamily.Cusum(0.5), DetectorFamily.PageHinkley(0.5) };
        var (thresholds, rows) = DetectorCalibration.CalibrateAndEvaluate(Pool(200), Pool(300), 0.10, families, options);
        Assert.Equal(4, thresholds.Count);
        Assert.Equal(8, rows.Count);
        Assert.All(thresholds, t => Assert.True(t.ValidationFalseAlarmsPer100Days <= options.CalibrationFalseAlarmsPer100Days));
        Assert.All(rows, r => Assert.True(r.FalseAlarmsPer100Days <= 1.0, $"{r.Detector} {r.PerDay}/day: {r.FalseAlarmsPer100Days} per 100 days"));
        var cusumLarge = rows.Where(r => r.Detector.StartsWith("cusum") && r.Shift == 0.30).ToArray();
        Assert.All(cusumLarge, r => Assert.True(r.MedianDelayDays <= 2, $"{r.PerDay}/day: median delay {r.MedianDelayDays}"));
        // The row names carry the calibrated threshold, not a hand-set one.
        Assert.Contains($"h={thresholds[0].Threshold:G3}", rows[0].Detector);
    }
}
