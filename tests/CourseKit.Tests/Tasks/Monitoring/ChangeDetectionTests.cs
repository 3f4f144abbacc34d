using CourseKit.Tasks.Monitoring;

namespace CourseKit.Tests.Tasks.Monitoring;

[KeepTensorsAlive]
public class ChangeDetectionTests
{
    [Fact]
    public void Cusum_follows_the_hand_worked_sums_and_restarts_after_an_alarm()
    {
        // k = 0.5, h = 5: S = 0, 0, 2.5, 5.0 (not above h), 7.5 -> alarm on day 4, then S starts again from 0.
        var cusum = new CusumDetector(0.5, 5);
        double[] z = [0, -1, 3, 3, 3, 0.5];
        var alarms = z.Select((v, day) => cusum.Update(v, day)).ToArray();
        Assert.Equal([false, false, false, false, true, false], alarms);
        Assert.Equal(0.0, cusum.Statistic);
        Assert.Equal(7.5, cusum.AlarmStatistic);                    // what crossed h, kept after the reset
    }

    [Fact]
    public void Cusum_finds_a_known_change_in_a_synthetic_series_and_not_before_it()
    {
        // 60 days of N(0, 1), then a 2-sigma rise from day 60 on.
        var random = new Random(7);
        double Normal() => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        var series = Enumerable.Range(0, 80).Select(day => Normal() + (day >= 60 ? 2 : 0)).ToArray();
        var cusum = new CusumDetector(0.5, 5);
        var alarms = series.Select((z, day) => (day, alarm: cusum.Update(z, day))).Where(x => x.alarm).Select(x => x.day).ToArray();
        Assert.NotEmpty(alarms);
        Assert.True(alarms[0] >= 60, $"false alarm on day {alarms[0]}");
        Assert.True(alarms[0] <= 66, $"the 2-sigma shift was found only on day {alarms[0]}");
    }

    [Fact]
    public void Page_hinkley_rings_after_a_rise()
    {
        var detector = new PageHinkleyDetector(0.5, 5);
        var series = Enumerable.Repeat(0.0, 30).Concat(Enumerable.Repeat(4.0, 10)).ToArray();
        var first = series.Select((z, day) => (day, alarm: detector.Update(z, day))).First(x => x.alarm).day;
        Assert.InRange(first, 30, 34);
    }

    [Fact]
    public void Negative_share_is_standardised_with_the_binomial_error_of_the_reference()
    {
        // 5 of 20 against 0.1: (0.25 - 0.1) / sqrt(0.1 * 0.9 / 20) = 2.2361.
        Assert.Equal(2.2361, NegativeShareStatistic.Standardize(5, 20, 0.1), 4);
        Assert.Equal(0.0, NegativeShareStatistic.Standardize(0, 0, 0.1));
    }

    [Fact]
    public void Simulation_finds_large_shifts_quickly_with_a_perfect_classifier()
    {
        // 90 non-negative and 10 negative held-out sentences, all classified right: base share 10 %.
        var pool = Enumerable.Range(0, 100).Select(i => new SimulationSentence(i < 10 ? 0 : 1, i < 10)).ToArray();
        var rows = DetectorSimulation.Run(pool, 0.10, [() => new CusumDetector(0.5, 5)],
            new SimulationOptions { Seeds = 50, PerDay = 40, Days = 40, ShiftDay = 20, NullDays = 100, Shifts = [0.05, 0.30], MoreVolumes = [] });
        Assert.Equal(2, rows.Count);
        Assert.Equal(1.0, rows[1].DetectedShare);
        Assert.True(rows[1].MedianDelayDays <= 2, $"median delay {rows[1].MedianDelayDays}");
        Assert.True(rows[0].MedianDelayDays > rows[1].MedianDelayDays, "a smaller shift must take longer to find");
        Assert.True(rows[0].FalseAlarmsPer100Days < 5, $"{rows[0].FalseAlarmsPer100Days} false alarms per 100 days");
    }
}
