using System.Diagnostics;
using CourseKit.Reporting;

namespace CourseKit.Tasks.Monitoring;

/// <summary>What the monitor does with scores. The defaults are those the simulation study measured.</summary>
public sealed record MonitorSettings
{
    /// <summary>Softmax temperature fitted on validation (1 = the raw model).</summary>
    public double Temperature { get; init; } = 1.0;
    /// <summary>The predicted-negative share on in-domain data (validation): the detector's "no change" level.</summary>
    public double ReferenceNegativeShare { get; init; } = 0.125;
    /// <summary>When &gt; 0, the reference is instead the stream's own share over its first N days (a feed whose mix
    /// differs from PhraseBank's); detection starts after them.</summary>
    public int WarmupDays { get; init; }
    /// <summary>Page–Hinkley by default: in the full-profile study its threshold, calibrated on validation streams, kept
    /// held-out false alarms at 0.69–0.74 per 100 days, while the calibrated CUSUM's rose to 1.3–3.4 (the limit is 1).</summary>
    public ChangeDetectorKind Detector { get; init; } = ChangeDetectorKind.PageHinkley;
    /// <summary>The detector's slack: CUSUM's k or Page–Hinkley's δ (half the shift, in σ, it is tuned to).</summary>
    public double DetectorSlack { get; init; } = 0.5;
    /// <summary>The alarm threshold: CUSUM's h or Page–Hinkley's λ (monitor train calibrates it on validation streams).</summary>
    public double DetectorThreshold { get; init; } = 5;

    /// <summary>The detector with its threshold left open, as calibration sees it.</summary>
    public DetectorFamily DetectorFamily => Detector == ChangeDetectorKind.Cusum ? DetectorFamily.Cusum(DetectorSlack) : DetectorFamily.PageHinkley(DetectorSlack);
    public IChangeDetector CreateDetector() => DetectorFamily.Make(DetectorThreshold);
    /// <summary>A day with fewer texts is shown but not fed to the detector (too noisy to standardise).</summary>
    public int MinDayCount { get; init; } = 5;
    /// <summary>An out-of-domain alert when at least this share of a day's texts is over the novelty threshold.</summary>
    public double OutOfDomainDayShare { get; init; } = 0.5;
    /// <summary>Rows read and scored together. The scorers sort a window by length into batches of their own size (64),
    /// so a window of many batches pads little (news sentences run from 10 to 80 tokens); memory holds one window.</summary>
    public int ScoringWindow { get; init; } = 1024;
    public int EvidenceCount { get; init; } = 5;
}

public enum ChangeDetectorKind { PageHinkley, Cusum }

/// <summary>An alert: a sentiment shift found by the change detector, or a day of text the model was not trained on.</summary>
public sealed record MonitorAlert(string Kind, DateOnly Day, DateOnly Since, string Detector, double Statistic, double NegativeShare,
    double Reference, string Message, IReadOnlyList<EvidenceSentence> Evidence)
{
    public const string SentimentShift = "sentiment-shift", OutOfDomain = "out-of-domain";
}

/// <summary>A monitored stream: the daily index, the detector's statistic per day, the alerts, and the throughput.
/// <see cref="Reference"/> is the starting reference negative share (configured, or the warm-up days'); after each
/// sentiment-shift alert the monitor moves it to the new level, so <see cref="ReferenceByDay"/> holds the one each day
/// was compared with.</summary>
public sealed record MonitorRun(IReadOnlyList<DailySentiment> Days, IReadOnlyList<double> DetectorStatistic, IReadOnlyList<MonitorAlert> Alerts,
    double Reference, IReadOnlyList<double> ReferenceByDay, long Rows, double Seconds)
{
    public double RowsPerSecond => Seconds > 0 ? Rows / Seconds : 0;
    /// <summary>The reference in force at the end of the stream.</summary>
    public double FinalReference => ReferenceByDay.Count > 0 ? ReferenceByDay[^1] : Reference;
}

/// <summary>
/// Scores a stream in batches (rows are read lazily and dropped once counted: flat memory for any length), builds
/// the daily index, then runs the change detector on the daily negative share and the out-of-domain check. Progress (rows,
/// rows/s) goes to the <see cref="Reporter"/>.
/// </summary>
public static class StreamMonitor
{
    public static MonitorRun Run(IEnumerable<StreamRecord> records, ISentimentScorer scorer, MonitorSettings settings,
        OutOfDomainReference? outOfDomain = null, CancellationToken cancel = default, IEntityTagger? tagger = null, EntitySentimentAggregator? entities = null)
    {
        SentimentLabels.Require(scorer.Labels, "monitor");
        var clock = Stopwatch.StartNew();
        var index = new DailySentimentIndex(settings.EvidenceCount);
        long rows = 0;
        using (var progress = Reporter.StartProgress("Scoring the stream (rows)"))
            foreach (var batch in StreamFile.Batches(records, settings.ScoringWindow))
            {
                cancel.ThrowIfCancellationRequested();
                var scored = scorer.Score(batch.Select(r => r.Text).ToArray());
                var scores = SentimentLabels.Score(scored.Logits, settings.Temperature);
                var novelty = outOfDomain is not null && scored.Embeddings.Length > 0 && scored.Embeddings[0].Length > 0
                    ? outOfDomain.Novelty(scored.Embeddings) : null;
                for (int i = 0; i < batch.Count; i++)
                    index.Add(batch[i], scores[i], novelty is not null && novelty[i] > outOfDomain!.Threshold);
                if (tagger is not null && entities is not null) entities.Add(batch.Select(r => r.Text).ToArray(), scores, tagger);
                rows += batch.Count;
                progress.Report(rows, $"{rows / Math.Max(1e-9, clock.Elapsed.TotalSeconds):F0} rows/s");
            }
        var days = index.Days();
        var (statistic, alerts, referenceByDay, reference) = Detect(days, settings);
        if (outOfDomain is not null) alerts.AddRange(OutOfDomainAlerts(days, settings));
        return new MonitorRun(days, statistic, alerts.OrderBy(a => a.Day).ToArray(), reference, referenceByDay, rows, clock.Elapsed.TotalSeconds);
    }

    /// <summary>A saved or freshly trained monitor on a stream; ORG entities are attributed into <paramref name="entities"/>
    /// when the model has a NER tagger.</summary>
    public static MonitorRun Run(IEnumerable<StreamRecord> records, MonitorModel model, EntitySentimentAggregator? entities = null, CancellationToken cancel = default) =>
        Run(records, model.Scorer, model.Settings, model.OutOfDomain, cancel, model.Tagger, entities);

    /// <summary>The change detector over the days (in order); an alert carries the most negative sentences of its run-up.
    /// Returns the statistic per day (on an alarm day, the value that crossed), the alerts, the reference each day was
    /// compared with, and the starting reference.</summary>
    public static (double[] Statistic, List<MonitorAlert> Alerts, double[] ReferenceByDay, double StartingReference) Detect(
        IReadOnlyList<DailySentiment> days, MonitorSettings settings)
    {
        double reference = settings.ReferenceNegativeShare;
        int first = 0;
        if (settings.WarmupDays > 0)
        {
            var warmup = days.Take(settings.WarmupDays).ToArray();
            reference = warmup.Sum(d => d.Negatives) / (double)Math.Max(1, warmup.Sum(d => d.Count));
            first = warmup.Length;
        }
        double starting = reference;
        var detector = settings.CreateDetector();
        var statistic = new double[days.Count];
        var referenceByDay = Enumerable.Repeat(reference, days.Count).ToArray();
        var alerts = new List<MonitorAlert>();
        for (int d = first; d < days.Count; d++)
        {
            var day = days[d];
            referenceByDay[d] = reference;
            if (day.Count < settings.MinDayCount) { statistic[d] = detector.Statistic; continue; }
            bool alarm = detector.Update(NegativeShareStatistic.Standardize(day.Negatives, day.Count, reference), d);
            statistic[d] = alarm ? detector.AlarmStatistic : detector.Statistic;
            if (!alarm) continue;
            int since = Math.Min(detector.RunStart, d);
            var runUp = days.Skip(since).Take(d - since + 1).ToArray();
            // The same headline syndicated by several sources is one piece of evidence, not five.
            var evidence = runUp.SelectMany(x => x.Evidence).OrderByDescending(e => e.NegativeProbability)
                .DistinctBy(e => e.Text).Take(settings.EvidenceCount).ToArray();
            // The new normal: the last (up to) three days of the run-up, which lie after the change (the run-up's
            // first days may still be before it).
            var recent = runUp.TakeLast(3).ToArray();
            double newLevel = recent.Sum(x => x.Negatives) / (double)recent.Sum(x => x.Count);
            alerts.Add(new MonitorAlert(MonitorAlert.SentimentShift, day.Day, days[since].Day, detector.Name, detector.AlarmStatistic, day.NegativeShare, reference,
                $"negative share {day.NegativeShare:P0} on {day.Day:yyyy-MM-dd} (reference {reference:P0}); {detector.Name} reached {detector.AlarmStatistic:G3} (threshold {settings.DetectorThreshold:G3}) after rising since {days[since].Day:yyyy-MM-dd}; the reference moves to {newLevel:P0}",
                evidence));
            // Once told, the monitor takes the new level as normal: a lasting shift is one alert, not one every other day.
            reference = newLevel;
        }
        return (statistic, alerts, referenceByDay, starting);
    }

    static IEnumerable<MonitorAlert> OutOfDomainAlerts(IReadOnlyList<DailySentiment> days, MonitorSettings settings) =>
        days.Where(d => d.Count >= settings.MinDayCount && d.OutOfDomainShare >= settings.OutOfDomainDayShare).Select(d =>
            new MonitorAlert(MonitorAlert.OutOfDomain, d.Day, d.Day, "nearest-neighbour novelty", d.OutOfDomainShare, d.NegativeShare,
                settings.ReferenceNegativeShare,
                $"{d.OutOfDomainShare:P0} of the {d.Count} texts on {d.Day:yyyy-MM-dd} are far from anything the model was trained on: the model is out of its depth, its sentiment figures for the day are not to be trusted",
                []));
}
