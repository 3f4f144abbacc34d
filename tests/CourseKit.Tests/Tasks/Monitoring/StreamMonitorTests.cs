using System.Text.Json.Nodes;
using CourseKit.Tasks.Monitoring;

namespace CourseKit.Tests.Tasks.Monitoring;

[KeepTensorsAlive]
public class StreamMonitorTests : IDisposable
{
    readonly string _dir = TestPaths.NewTempDir("coursekit-monitor");
    public void Dispose() { try { Directory.Delete(_dir, true); } catch (IOException) { } }

    /// <summary>Calls a text negative when it says "loss", neutral otherwise; its embedding says whether it is about films.</summary>
    sealed class KeywordScorer : ISentimentScorer
    {
        public IReadOnlyList<string> Labels { get; } = ["negative", "neutral", "positive"];
        public int Calls { get; private set; }
        /// <summary>Live managed bytes after a full collection, sampled every <see cref="ProbeEvery"/> calls (0 = never).</summary>
        public List<long> LiveBytes { get; } = [];
        public int ProbeEvery { get; init; }
        public ScoredTexts Score(IReadOnlyList<string> texts)
        {
            Calls++;
            if (ProbeEvery > 0 && Calls % ProbeEvery == 0) LiveBytes.Add(GC.GetTotalMemory(forceFullCollection: true));
            return new ScoredTexts(
                texts.Select(t => t.Contains("loss") ? new float[] { 4, 0, 0 } : [0, 4, 0]).ToArray(),
                texts.Select(t => t.Contains("film") ? new float[] { 0, 1 } : [1, 0]).ToArray());
        }
    }

    static IEnumerable<StreamRecord> Stream(int days, int perDay, Func<int, int, string> text)
    {
        var start = new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);
        for (int d = 0; d < days; d++)
            for (int i = 0; i < perDay; i++)
                yield return new StreamRecord(start.AddDays(d).AddSeconds(86_400.0 * i / perDay), "wire", text(d, i), "stream.csv", 2 + d * perDay + i);
    }

    [Fact]
    public void A_shift_in_the_negative_share_raises_one_alert_with_its_evidence()
    {
        // 10 % "loss" sentences for 20 days, then 40 % from day 20 on.
        var records = Stream(30, 20, (d, i) => i < (d >= 20 ? 8 : 2) ? $"Operating loss on day {d}, item {i}" : $"Sales were flat on day {d}");
        var scorer = new KeywordScorer();
        var run = StreamMonitor.Run(records, scorer, new MonitorSettings { ReferenceNegativeShare = 0.10, ScoringWindow = 32, Detector = ChangeDetectorKind.Cusum });
        Assert.Equal(600, run.Rows);
        Assert.Equal(19, scorer.Calls); // 600 rows in batches of 32
        Assert.Equal(30, run.Days.Count);
        Assert.Equal(0.10, run.Days[0].NegativeShare, 6);
        var alert = Assert.Single(run.Alerts);
        Assert.Equal(MonitorAlert.SentimentShift, alert.Kind);
        Assert.Equal(new DateOnly(2024, 1, 22), alert.Day); // day 20 (Jan 21): z = 4.47, S = 3.97; day 21: S = 7.94 > 5
        Assert.StartsWith("cusum(k=0.5,h=5)", alert.Detector);
        Assert.Contains("cusum(k=0.5,h=5) reached 7.94 (threshold 5)", alert.Message);
        Assert.Equal(7.944, alert.Statistic, 3);                                // what crossed h, not h
        Assert.Equal(new DateOnly(2024, 1, 21), alert.Since);                  // the rise starts on day 20
        // After the alert the days are compared with the new level (the last three days of the run-up: 40 %).
        Assert.All(run.ReferenceByDay.Take(22), r => Assert.Equal(0.10, r));
        Assert.All(run.ReferenceByDay.Skip(22), r => Assert.Equal(0.40, r, 9));
        Assert.Equal(0.10, run.Reference);
        Assert.Equal(0.40, run.FinalReference, 9);
        var json = MonitorDashboard.AlertsJson(run);
        Assert.Equal((0.1, 0.4), ((double)json["reference_negative_share"]!, (double)json["final_reference_negative_share"]!));
        Assert.Equal(5, alert.Evidence.Count);
        Assert.Equal(5, alert.Evidence.Select(e => e.Text).Distinct().Count());
        Assert.All(alert.Evidence, e => Assert.Contains("loss", e.Text));
        Assert.All(alert.Evidence, e => Assert.Equal("stream.csv", e.File));

        MonitorDashboard.Write(_dir, run);
        var alerts = JsonNode.Parse(File.ReadAllText(Path.Combine(_dir, MonitorDashboard.AlertsFile)))!;
        Assert.Equal("2024-01-22", (string?)alerts["alerts"]![0]!["day"]);
        Assert.Equal(31, File.ReadAllLines(Path.Combine(_dir, MonitorDashboard.IndexFile)).Length);
        var html = File.ReadAllText(Path.Combine(_dir, MonitorDashboard.DashboardFile));
        Assert.Contains("Plotly.newPlot", html);
        Assert.DoesNotContain("<script src=", html); // offline: plotly.js is in the page, not loaded
        Assert.True(html.Length > 1_000_000, "plotly.js should be embedded");
    }

    sealed class RecordingSink : CourseKit.Reporting.IReportSink, CourseKit.Reporting.IProgressHandle
    {
        public readonly List<string?> Statuses = [];
        public CourseKit.Reporting.IProgressHandle StartProgress(string title, long? total) => this;
        public void Show(object value) { }
        public void Report(long done, string? status = null) => Statuses.Add(status);
        public void Dispose() { }
    }

    [Fact]
    public void A_stream_of_100000_rows_is_scored_in_flat_memory_with_a_rows_per_second_progress()
    {
        var path = Path.Combine(_dir, "big.csv");
        StreamFile.WriteCsv(path, Stream(100, 1000, (d, i) => i % 9 == 0 ? $"Operating loss widened, day {d} item {i}" : $"Net sales were flat, day {d} item {i}"));
        var scorer = new KeywordScorer { ProbeEvery = 9 };   // 98 windows of up to 1,024 rows: 10 samples
        var sink = new RecordingSink();
        var previous = CourseKit.Reporting.Reporter.Current;
        CourseKit.Reporting.Reporter.Current = sink;
        MonitorRun run;
        try { run = StreamMonitor.Run(StreamFile.Read(path), scorer, new MonitorSettings { ReferenceNegativeShare = 0.11 }); }
        finally { CourseKit.Reporting.Reporter.Current = previous; }
        Assert.Equal(100_000, run.Rows);
        Assert.Equal(100, run.Days.Count);
        Assert.Equal((100_000 + 1023) / 1024, scorer.Calls);   // scored a window (MonitorSettings.ScoringWindow) at a time
        Assert.Matches(@"^\d+ rows/s$", sink.Statuses[^1]);
        // Live heap after ~10k rows against after ~96k rows: the rows are not kept (a list of 100k records with their
        // texts would add well over 10 MB).
        Assert.True(scorer.LiveBytes.Count >= 10, $"{scorer.LiveBytes.Count} memory samples");
        long growth = scorer.LiveBytes[^1] - scorer.LiveBytes[0];
        Assert.True(growth < 4 << 20, $"live heap grew by {growth / 1048576.0:F1} MiB while streaming");
    }

    [Fact]
    public void A_day_of_foreign_text_raises_an_out_of_domain_alert()
    {
        var records = Stream(5, 10, (d, i) => d == 3 ? $"A fine film, review {i}" : $"Sales were flat {i}");
        var reference = new OutOfDomainReference([[1f, 0f], [0.99f, 0.141f]], threshold: 0.5);
        var run = StreamMonitor.Run(records, new KeywordScorer(), new MonitorSettings { ReferenceNegativeShare = 0.10 }, reference);
        var alert = Assert.Single(run.Alerts);
        Assert.Equal((MonitorAlert.OutOfDomain, new DateOnly(2024, 1, 4)), (alert.Kind, alert.Day));
        Assert.Equal(1.0, run.Days[3].OutOfDomainShare);
    }

    [Fact]
    public void Warm_up_days_set_the_reference_from_the_stream()
    {
        var records = Stream(10, 20, (d, i) => i < 6 ? "loss" : "flat");
        var run = StreamMonitor.Run(records, new KeywordScorer(), new MonitorSettings { ReferenceNegativeShare = 0.01, WarmupDays = 3 });
        Assert.Equal(0.30, run.Reference, 6);
        Assert.Empty(run.Alerts); // against the stated 1 % every day would be a shift
    }

    [Fact]
    public void Page_hinkley_is_the_default_detector_and_follows_the_hand_worked_sums()
    {
        // The stream of the CUSUM test: z = 0 for 20 days, then z = 0.3 / √(0.1·0.9/20) = 4.472 a day. Page–Hinkley
        // (δ 0.5, λ 5): m falls by δ a day to −10, its minimum M. Day 20: running mean 4.472/21 = 0.213, m − M =
        // 4.472 − 0.213 − 0.5 = 3.759. Day 21: mean 0.407, m − M = 3.759 + 3.566 = 7.325 > 5: the alarm.
        var records = Stream(30, 20, (d, i) => i < (d >= 20 ? 8 : 2) ? $"Operating loss on day {d}, item {i}" : $"Sales were flat on day {d}");
        var settings = new MonitorSettings { ReferenceNegativeShare = 0.10 };
        Assert.Equal(ChangeDetectorKind.PageHinkley, settings.Detector);
        var run = StreamMonitor.Run(records, new KeywordScorer(), settings);
        var alert = Assert.Single(run.Alerts);
        Assert.Equal(new DateOnly(2024, 1, 22), alert.Day);
        Assert.StartsWith("page-hinkley(δ=0.5,λ=5)", alert.Detector);
        Assert.Equal(0.0, run.DetectorStatistic[19], 9);
        Assert.Equal(3.759, run.DetectorStatistic[20], 3);
        Assert.Equal(7.325, run.DetectorStatistic[21], 3);        // the alarm day shows the value that crossed, not λ
        Assert.Equal(7.325, alert.Statistic, 3);
        Assert.Equal(new DateOnly(2024, 1, 21), alert.Since);      // day 20, the first day of the rise (day 19 was the floor)
    }

    [Fact]
    public void Saved_settings_read_back_and_an_older_monitor_keeps_its_cusum()
    {
        // Through text, as the file is read.
        static JsonObject Written(MonitorSettings s) => JsonNode.Parse(MonitorModel.SettingsJson(s).ToJsonString())!.AsObject();
        var saved = new MonitorSettings { Temperature = 1.7, ReferenceNegativeShare = 0.12, DetectorThreshold = 3.25 };
        Assert.Equal(saved, MonitorModel.ReadSettings(Written(saved), "monitor.json"));

        var older = Written(saved);
        foreach (var key in new[] { "detector", "detector_slack", "detector_threshold" }) older.Remove(key);
        older["cusum_k"] = 0.5;
        older["cusum_h"] = 3.5;
        var read = MonitorModel.ReadSettings(older, "monitor.json");
        Assert.Equal((ChangeDetectorKind.Cusum, 0.5, 3.5), (read.Detector, read.DetectorSlack, read.DetectorThreshold));

        var unknown = Written(saved);
        unknown["detector"] = "ewma";
        var e = Assert.Throws<InvalidDataException>(() => MonitorModel.ReadSettings(unknown, "model/monitor.json"));
        Assert.Contains("model/monitor.json", e.Message);
        Assert.Contains("'ewma'", e.Message);

        var missing = Written(saved);
        missing.Remove("warmup_days");
        Assert.Contains("missing \"warmup_days\"", Assert.Throws<InvalidDataException>(() => MonitorModel.ReadSettings(missing, "m.json")).Message);
        var text = Written(saved);
        text["temperature"] = "hot";
        var notNumber = Assert.Throws<InvalidDataException>(() => MonitorModel.ReadSettings(text, "m.json")).Message;
        Assert.Contains("m.json: \"temperature\" is \"hot\", not a number", notNumber);
    }
}
