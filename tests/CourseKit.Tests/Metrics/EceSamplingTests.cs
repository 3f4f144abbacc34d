using CourseKit.Metrics;

namespace CourseKit.Tests.Metrics;

[KeepTensorsAlive]
public class EceSamplingTests
{
    [Fact]
    public void Floor_is_zero_for_certain_predictions_and_the_binomial_mean_deviation_for_coin_flips()
    {
        var certain = Enumerable.Range(0, 50).Select(i => new[] { 0f, 1f }).ToArray();
        Assert.Equal(0, EceSampling.PerfectCalibrationFloor(certain).Mean);

        // 100 predictions at [0.5, 0.5]: one bin at confidence 0.5, argmax class 0; ECE = |k/100 − 0.5| with
        // k ~ Binomial(100, 0.5), whose mean is Σ_k C(100,k) 2^-100 |k/100 − 0.5| = 0.039795.
        const int n = 100;
        double exact = 0, logHalfN = n * Math.Log(0.5);
        for (int k = 0; k <= n; k++) exact += Math.Exp(LogChoose(n, k) + logHalfN) * Math.Abs(k / (double)n - 0.5);
        Assert.Equal(0.039795, exact, 5);
        var coins = Enumerable.Range(0, n).Select(i => new[] { 0.5f, 0.5f }).ToArray();
        var floor = EceSampling.PerfectCalibrationFloor(coins, draws: 4000, seed: 3);
        Assert.Equal(exact, floor.Mean, 2);
        Assert.InRange(floor.Upper95, exact, 0.1);
        Assert.Equal(floor, EceSampling.PerfectCalibrationFloor(coins, draws: 4000, seed: 3));
    }

    [Fact]
    public void Interval_brackets_the_measured_ece_and_is_seeded()
    {
        var random = new Random(1);
        var probabilities = Enumerable.Range(0, 300).Select(_ => { float p = 0.5f + 0.5f * (float)random.NextDouble(); return new[] { p, 1 - p }; }).ToArray();
        var labels = probabilities.Select(p => random.NextDouble() < 0.8 ? 0 : 1).ToArray();
        double ece = Calibration.ExpectedCalibrationError(probabilities, labels);
        var interval = EceSampling.Interval(probabilities, labels, resamples: 500, seed: 4);
        Assert.Equal(ece, interval.Mean, 12);
        Assert.True(interval.Low < ece && ece < interval.High, $"{interval} should bracket {ece}");
        Assert.Equal(interval, EceSampling.Interval(probabilities, labels, resamples: 500, seed: 4));
        Assert.NotEqual(interval, EceSampling.Interval(probabilities, labels, resamples: 500, seed: 5));
    }

    static double LogChoose(int n, int k)
    {
        double s = 0;
        for (int i = 1; i <= k; i++) s += Math.Log(n - k + i) - Math.Log(i);
        return s;
    }
}
