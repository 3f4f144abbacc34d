using CourseKit.Metrics;
using CourseKit.Viz;
using Plotly.NET;

namespace CourseKit.Tasks.Monitoring;

/// <summary>The chapter's charts (Plotly.NET through <see cref="Charts"/>), shared by the notebook and the dashboard.</summary>
public static class MonitorCharts
{
    /// <summary>Daily negative share with its Wilson interval, the reference each day was compared with, and the change
    /// detector's statistic; alert days marked. x is calendar days since the first day (days without text leave gaps).</summary>
    public static GenericChart DailyIndex(MonitorRun run, string title = "Daily sentiment index")
    {
        var start = run.Days.FirstOrDefault()?.Day ?? default;
        double DaysIn(DateOnly day) => day.DayNumber - start.DayNumber;
        var x = run.Days.Select(d => DaysIn(d.Day)).ToArray();
        var alertDays = run.Alerts.Where(a => a.Kind == MonitorAlert.SentimentShift).Select(a => DaysIn(a.Day)).ToArray();
        return Charts.Lines($"{title} (day 0 = {run.Days.FirstOrDefault()?.Day:yyyy-MM-dd})", "calendar day", "share / statistic",
            ("negative share", x, run.Days.Select(d => d.NegativeShare).ToArray()),
            ("negative share, 95 % low", x, run.Days.Select(d => d.NegativeLow).ToArray()),
            ("negative share, 95 % high", x, run.Days.Select(d => d.NegativeHigh).ToArray()),
            ("mean polarity (P+ − P−)", x, run.Days.Select(d => d.MeanPolarity).ToArray()),
            ("reference", x, run.ReferenceByDay.ToArray()),
            ("detector statistic / 10", x, run.DetectorStatistic.Select(s => s / 10).ToArray()),
            ("alert", alertDays, alertDays.Select(_ => 1.0).ToArray()));
    }

    /// <summary>Reliability diagram: accuracy against mean confidence per bin, before and after temperature scaling.</summary>
    public static GenericChart Reliability(CalibrationSummary c) =>
        Charts.Lines($"Reliability on test (ECE {c.EceBefore:F3} → {c.EceAfter:F3}, T = {c.Temperature:F2})", "confidence", "accuracy",
            ("perfect calibration", [0.0, 1.0], [0.0, 1.0]),
            Bins("before", c.ReliabilityBefore), Bins("after temperature scaling", c.ReliabilityAfter));

    static (string, double[], double[]) Bins(string name, IReadOnlyList<ReliabilityBin> bins)
    {
        var used = bins.Where(b => b.Count > 0).ToArray();
        return (name, used.Select(b => b.MeanConfidence).ToArray(), used.Select(b => b.Accuracy).ToArray());
    }

    /// <summary>Coverage–accuracy: abstain below a confidence threshold, answer the rest.</summary>
    public static GenericChart CoverageAccuracy(IReadOnlyList<CoveragePoint> curve)
    {
        var answered = curve.Where(p => p.Answered > 0).ToArray();
        return Charts.Points("Abstaining: coverage against accuracy (labels: confidence threshold)", "coverage", "accuracy", false,
            ("calibrated model", answered.Select(p => p.Coverage).ToArray(), answered.Select(p => p.Accuracy).ToArray(),
                answered.Select(p => p.Threshold.ToString("F2", System.Globalization.CultureInfo.InvariantCulture)).ToArray()));
    }

    /// <summary>Mean polarity per entity with its interval (low and high as separate bars would mislead: shown as three series).</summary>
    public static GenericChart Entities(IReadOnlyList<EntitySentiment> entities, int top = 12)
    {
        var shown = entities.Take(top).ToArray();
        return Charts.Bars("Sentiment per organisation (mean P+ − P−, 95 % interval)", "organisation (mentions)", "polarity",
            shown.Select(e => $"{e.Entity} ({e.Count})").ToArray(),
            ("mean", shown.Select(e => e.MeanPolarity).ToArray()), ("low", shown.Select(e => e.Low).ToArray()), ("high", shown.Select(e => e.High).ToArray()));
    }
}
