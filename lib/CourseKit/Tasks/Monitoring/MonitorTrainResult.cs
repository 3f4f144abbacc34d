using System.Text.Json;
using System.Text.Json.Nodes;
using CourseKit.Metrics;

namespace CourseKit.Tasks.Monitoring;

/// <summary>Accuracy and macro-F1 on the test sentences of one annotator-agreement level (50 % = the whole test part).</summary>
public sealed record AgreementScore(string Level, int Count, double Accuracy, double MacroF1);

/// <summary>Calibration of the test probabilities before and after temperature scaling (fitted on validation).</summary>
public sealed record CalibrationSummary(double Temperature, double EceBefore, double EceAfter, double NllBefore, double NllAfter,
    IReadOnlyList<ReliabilityBin> ReliabilityBefore, IReadOnlyList<ReliabilityBin> ReliabilityAfter, IReadOnlyList<CoveragePoint> CoverageAccuracy)
{
    /// <summary>ECE on the validation part T was fitted on, before and after (NaN when not measured).</summary>
    public double ValidationEceBefore { get; init; } = double.NaN;
    public double ValidationEceAfter { get; init; } = double.NaN;
    /// <summary>Accuracy of the validation and test parts: confidence that suits one suits the other only when they agree.</summary>
    public double ValidationAccuracy { get; init; } = double.NaN;
    public double TestAccuracy { get; init; } = double.NaN;
    /// <summary>Bootstrap interval of <see cref="EceAfter"/> over test sentences (null when not measured).</summary>
    public Interval? EceAfterInterval { get; init; }
    /// <summary>The test ECE a perfectly calibrated model with the scaled probabilities would show (sampling alone).</summary>
    public EceFloor? EceFloorAfter { get; init; }
}

/// <summary>Everything <c>monitor train</c> measured; <see cref="ToJson"/> is metrics.json.</summary>
public sealed record MonitorTrainResult
{
    public required string Profile { get; init; }
    public required string ModelDir { get; init; }
    public required IReadOnlyList<AgreementScore> Agreement { get; init; }
    public required CalibrationSummary Calibration { get; init; }
    public required double ReferenceNegativeShare { get; init; }
    /// <summary>The alarm thresholds calibrated on validation no-change streams (per detector family and volume).</summary>
    public IReadOnlyList<CalibratedThreshold> Thresholds { get; init; } = [];
    public required IReadOnlyList<SimulationRow> Detectors { get; init; }
    public required SimulationOptions Simulation { get; init; }
    public required IReadOnlyList<DriftScoreAuroc> Drift { get; init; }
    public required double OutOfDomainThreshold { get; init; }
    /// <summary>Which embeddings the out-of-domain scores use: "pretrained all-MiniLM-L6-v2" or "fine-tuned classifier".</summary>
    public string DriftEmbeddings { get; init; } = "";
    public string? NerSource { get; init; }
    public double? NerEntityF1 { get; init; }
    public required IReadOnlyList<EntitySentiment> Entities { get; init; }
    public required IReadOnlyDictionary<string, double> StageSeconds { get; init; }
    public required double WallSeconds { get; init; }
    /// <summary>Held-out sentences (text, gold class) the notebook draws a simulated stream from; not serialised.</summary>
    public IReadOnlyList<(string Text, int Gold)> HeldOut { get; init; } = [];
    /// <summary>The trained monitor, in memory (not serialised).</summary>
    public MonitorModel? Model { get; init; }

    public JsonObject ToJson()
    {
        static JsonArray Array<T>(IEnumerable<T> items, Func<T, JsonObject> row) => new(items.Select(i => (JsonNode)row(i)).ToArray());
        static JsonArray Bins(IEnumerable<ReliabilityBin> bins) => Array(bins, b => new JsonObject
        {
            ["low"] = b.Low, ["high"] = b.High, ["count"] = b.Count, ["confidence"] = Round(b.MeanConfidence), ["accuracy"] = Round(b.Accuracy),
        });
        return new JsonObject
        {
            ["profile"] = Profile, ["model_dir"] = ModelDir,
            ["agreement"] = Array(Agreement, a => new JsonObject { ["level"] = a.Level, ["count"] = a.Count, ["accuracy"] = Round(a.Accuracy), ["macro_f1"] = Round(a.MacroF1) }),
            ["reference"] = new JsonObject { ["finbert_50agree"] = "accuracy 0.86, F1 0.84", ["finbert_allagree"] = "accuracy 0.97, F1 0.95" },
            ["calibration"] = new JsonObject
            {
                ["temperature"] = Round(Calibration.Temperature), ["ece_before"] = Round(Calibration.EceBefore), ["ece_after"] = Round(Calibration.EceAfter),
                ["nll_before"] = Round(Calibration.NllBefore), ["nll_after"] = Round(Calibration.NllAfter), ["bins"] = Metrics.Calibration.DefaultBins,
                ["validation_ece_before"] = Round(Calibration.ValidationEceBefore), ["validation_ece_after"] = Round(Calibration.ValidationEceAfter),
                ["validation_accuracy"] = Round(Calibration.ValidationAccuracy), ["test_accuracy"] = Round(Calibration.TestAccuracy),
                ["ece_after_interval"] = Calibration.EceAfterInterval is { } i ? new JsonArray(Round(i.Low), Round(i.High)) : null,
                ["ece_floor_after"] = Calibration.EceFloorAfter is { } floor ? new JsonObject { ["mean"] = Round(floor.Mean), ["p95"] = Round(floor.Upper95) } : null,
                ["reliability_before"] = Bins(Calibration.ReliabilityBefore), ["reliability_after"] = Bins(Calibration.ReliabilityAfter),
                ["coverage_accuracy"] = Array(Calibration.CoverageAccuracy, p => new JsonObject
                    { ["threshold"] = Round(p.Threshold), ["coverage"] = Round(p.Coverage), ["accuracy"] = Round(p.Accuracy) }),
            },
            ["reference_negative_share"] = Round(ReferenceNegativeShare),
            ["simulation"] = new JsonObject
            {
                ["seeds"] = Simulation.Seeds, ["per_day"] = new JsonArray(Simulation.Volumes.Select(v => (JsonNode)v).ToArray()), ["shift_day"] = Simulation.ShiftDay, ["days"] = Simulation.Days, ["null_days"] = Simulation.NullDays,
            },
            ["detector_thresholds"] = Array(Thresholds, t => new JsonObject
            {
                ["family"] = t.Family, ["per_day"] = t.PerDay, ["threshold"] = t.Threshold, ["validation_false_alarms_per_100_days"] = Round(t.ValidationFalseAlarmsPer100Days),
                ["budget_per_100_days"] = t.BudgetPer100Days, ["validation_streams"] = t.Streams, ["days_per_stream"] = t.DaysPerStream,
            }),
            ["detectors"] = Array(Detectors, d => new JsonObject
            {
                ["detector"] = d.Detector, ["per_day"] = d.PerDay, ["shift"] = d.Shift, ["median_delay_days"] = Round(d.MedianDelayDays), ["mean_delay_days"] = Round(d.MeanDelayDays),
                ["detected_share"] = Round(d.DetectedShare), ["false_alarms_per_100_days"] = Round(d.FalseAlarmsPer100Days),
            }),
            ["drift"] = Array(Drift, d => new JsonObject
            {
                ["foreign"] = d.Foreign, ["in_domain_count"] = d.InDomainCount, ["foreign_count"] = d.ForeignCount,
                ["auroc_nearest_neighbour"] = Round(d.NearestNeighbour), ["auroc_max_softmax"] = Round(d.MaxSoftmax), ["auroc_energy"] = Round(d.Energy),
                ["auroc_batch_mmd"] = Round(d.BatchMmd), ["mmd_batch_size"] = d.BatchSize,
            }),
            ["out_of_domain_threshold"] = Round(OutOfDomainThreshold), ["drift_embeddings"] = DriftEmbeddings,
            ["ner"] = new JsonObject { ["source"] = NerSource, ["entity_f1"] = NerEntityF1 is { } f ? Round(f) : null },
            ["entities"] = Array(Entities, e => new JsonObject
            {
                ["entity"] = e.Entity, ["count"] = e.Count, ["mean_polarity"] = Round(e.MeanPolarity), ["low"] = Round(e.Low), ["high"] = Round(e.High),
                ["negative_share"] = Round(e.NegativeShare),
            }),
            ["stage_seconds"] = new JsonObject(StageSeconds.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)Math.Round(kv.Value, 1)))),
            ["wall_seconds"] = Math.Round(WallSeconds, 1),
        };
    }

    public string ToJsonString() => ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true });

    /// <summary>A short text summary: the figures the issue's targets are about.</summary>
    public string Summary()
    {
        var lines = new List<string>();
        lines.AddRange(Agreement.Select(a => $"test {a.Level}: accuracy {a.Accuracy:F3}, macro-F1 {a.MacroF1:F3} ({a.Count} sentences)"));
        lines.Add($"calibration: temperature {Calibration.Temperature:F3}, ECE (15 bins) {Calibration.EceBefore:F4} -> {Calibration.EceAfter:F4}"
            + $" (validation, where T was fitted: {Calibration.ValidationEceBefore:F4} -> {Calibration.ValidationEceAfter:F4}; accuracy validation {Calibration.ValidationAccuracy:F3}, test {Calibration.TestAccuracy:F3})");
        if (Calibration.EceAfterInterval is { } interval && Calibration.EceFloorAfter is { } floor)
            lines.Add($"test ECE after scaling, 95 % bootstrap interval [{interval.Low:F4}, {interval.High:F4}]; a perfectly calibrated model would show {floor.Mean:F4} (95th percentile {floor.Upper95:F4}) on this many sentences");
        lines.Add($"reference negative share (validation, predicted): {ReferenceNegativeShare:P1}");
        lines.AddRange(Thresholds.Select(t => $"threshold {t.Family}, {t.PerDay}/day: {t.Threshold:G4} ({t.ValidationFalseAlarmsPer100Days:F2} false alarms per 100 validation days, budget {t.BudgetPer100Days:G3})"));
        lines.AddRange(Detectors.Select(d => $"{d.Detector}, {d.PerDay}/day, shift +{d.Shift * 100:F0} pts: median delay {d.MedianDelayDays:F1} days, detected {d.DetectedShare:P0}, false alarms {d.FalseAlarmsPer100Days:F2} per 100 days"));
        lines.AddRange(Drift.Select(d => $"drift ({DriftEmbeddings} embeddings) PhraseBank vs {d.Foreign}: AUROC nearest-neighbour {d.NearestNeighbour:F3}, max-softmax {d.MaxSoftmax:F3}, energy {d.Energy:F3}, batch MMD {d.BatchMmd:F3}"));
        if (NerEntityF1 is { } f) lines.Add($"NER ({NerSource}): entity F1 {f:F3}");
        lines.Add($"entities: {string.Join("; ", Entities.Take(5).Select(e => $"{e.Entity} x{e.Count} {e.MeanPolarity:+0.00;-0.00}"))}");
        return string.Join("\n", lines);
    }

    /// <summary>4 decimals; NaN (no alarm ever, nothing answered) as JSON null.</summary>
    static JsonNode? Round(double v) => double.IsFinite(v) ? JsonValue.Create(Math.Round(v, 4)) : null;
}
