namespace CourseKit.Tasks.Monitoring;

/// <summary>A sequential change detector fed one standardised observation per day (z = (x − reference) / σ, so "no
/// change" means mean 0 and variance 1). <see cref="Update"/> returns true on the day it raises an alarm; the detector
/// then starts afresh, so false alarms on a long unchanged stream can be counted.</summary>
public interface IChangeDetector
{
    string Name { get; }
    /// <summary>The statistic after the last update (what crosses the threshold; 0 again after an alarm).</summary>
    double Statistic { get; }
    /// <summary>The value that crossed the threshold at the last alarm (the statistic is reset right after it).</summary>
    double AlarmStatistic { get; }
    /// <summary>The first day of the current run-up: the day after the statistic was last at its floor (for the
    /// evidence; it may be a day not yet seen when the floor is today).</summary>
    int RunStart { get; }
    bool Update(double z, int day);
    void Reset();
}

/// <summary>
/// One-sided CUSUM (Page 1954) for an upward shift: S_t = max(0, S_{t−1} + z_t − k), alarm when S_t &gt; h. k is half
/// the shift (in σ) it is tuned to find fastest; h sets the false-alarm rate (for normal z, k = 0.5 and h = 5 give an
/// in-control average run length of about 930 days, Montgomery's table).
/// </summary>
public sealed class CusumDetector(double k = 0.5, double h = 5) : IChangeDetector
{
    public string Name => $"cusum(k={K:G3},h={H:G3})";
    public double K { get; } = k;
    public double H { get; } = h;
    public double Statistic { get; private set; }
    public double AlarmStatistic { get; private set; }
    public int RunStart { get; private set; }

    public bool Update(double z, int day)
    {
        if (Statistic <= 0) RunStart = day;                 // at the floor: a rise starts with this day's update
        Statistic = Math.Max(0, Statistic + z - K);
        if (Statistic <= H) return false;
        AlarmStatistic = Statistic;
        Statistic = 0;
        return true;
    }

    public void Reset() { Statistic = 0; AlarmStatistic = 0; RunStart = 0; }
}

/// <summary>
/// Page–Hinkley test for an increase: m_t = Σ (z_i − z̄_t − δ) with z̄_t the running mean since the last reset,
/// M_t = min m; alarm when m_t − M_t &gt; λ. Unlike CUSUM it needs no reference mean beyond the standardisation, at
/// the price of slower reaction (the running mean absorbs part of the shift).
/// </summary>
public sealed class PageHinkleyDetector(double delta = 0.5, double lambda = 5) : IChangeDetector
{
    double _sum, _mean, _minimum;
    int _count;

    public string Name => $"page-hinkley(δ={delta:G3},λ={lambda:G3})";
    public double Statistic => _sum - _minimum;
    public double AlarmStatistic { get; private set; }
    public int RunStart { get; private set; }

    public bool Update(double z, int day)
    {
        _count++;
        _mean += (z - _mean) / _count;
        _sum += z - _mean - delta;
        if (_sum < _minimum || _count == 1) { _minimum = Math.Min(_minimum, _sum); RunStart = day + 1; }   // today is the floor
        if (Statistic <= lambda) return false;
        AlarmStatistic = Statistic;
        Reset();
        return true;
    }

    public void Reset() { _sum = 0; _mean = 0; _minimum = 0; _count = 0; }
}

/// <summary>How far a day's negative share is from the reference, in binomial standard errors.</summary>
public static class NegativeShareStatistic
{
    /// <summary>(share − p₀) / √(p₀(1−p₀)/n); p₀ is clamped to [0.01, 0.99] so a reference of 0 does not divide by 0.</summary>
    public static double Standardize(int negatives, int count, double reference)
    {
        if (count <= 0) return 0;
        double p0 = Math.Clamp(reference, 0.01, 0.99);
        return (negatives / (double)count - p0) / Math.Sqrt(p0 * (1 - p0) / count);
    }
}
