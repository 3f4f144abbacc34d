using System.Text.Json;
using System.Text.Json.Nodes;
using CourseKit.Checkpoints;
using CourseKit.Data;
using CourseKit.Metrics;
using CourseKit.Tasks.SequenceClassification;

namespace CourseKit.Tasks.Monitoring;

/// <summary>
/// One <c>monitor train</c> run's test sentences: row id in the PhraseBank file, gold class, and the class
/// probabilities before and after temperature scaling. Written as test-probabilities.jsonl, so that runs over disjoint
/// test folds can be pooled (<see cref="MonitorFolds"/>).
/// </summary>
public sealed record TestProbabilities(int[] Ids, int[] Gold, float[][] Before, float[][] After)
{
    public const string FileName = "test-probabilities.jsonl";

    public void Save(string path) => AtomicFile.WriteAllText(path, string.Concat(Ids.Select((id, i) =>
        new JsonObject { ["id"] = id, ["gold"] = Gold[i], ["before"] = Row(Before[i]), ["after"] = Row(After[i]) }.ToJsonString() + "\n")));

    static JsonArray Row(float[] p) => new(p.Select(v => (JsonNode)Math.Round(v, 6)).ToArray());

    /// <summary>Reads a file <see cref="Save"/> wrote; a malformed line fails naming the file and the line.</summary>
    public static TestProbabilities Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file (monitor train writes {FileName} in its --out folder)", path);
        var ids = new List<int>(); var gold = new List<int>(); var before = new List<float[]>(); var after = new List<float[]>();
        int line = 0;
        foreach (var text in File.ReadLines(path))
        {
            line++;
            if (text.Trim().Length == 0) continue;
            try
            {
                var row = JsonNode.Parse(text)!.AsObject();
                ids.Add(row["id"]!.GetValue<int>());
                gold.Add(row["gold"]!.GetValue<int>());
                before.Add(row["before"]!.AsArray().Select(v => v!.GetValue<float>()).ToArray());
                after.Add(row["after"]!.AsArray().Select(v => v!.GetValue<float>()).ToArray());
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException or NullReferenceException or FormatException)
            {
                throw new InvalidDataException($"{path}, line {line}: not a row of id, gold, before, after ({e.Message})", e);
            }
        }
        return new TestProbabilities(ids.ToArray(), gold.ToArray(), before.ToArray(), after.ToArray());
    }
}

/// <summary>One run's headline figures, as its metrics.json recorded them.</summary>
public sealed record FoldRun(string Dir, int Count, double Accuracy50, double MacroF1_50, double? AccuracyAll, double Temperature, double EceAfter);

/// <summary>What <see cref="MonitorFolds.Pool"/> found over the runs.</summary>
public sealed record MonitorFoldsSummary(IReadOnlyList<FoldRun> Runs, int Sentences, double PooledAccuracy, double PooledMacroF1,
    double EceBefore, double EceAfter, Interval EceAfterInterval, EceFloor EceFloorAfter)
{
    /// <summary>Pooled accuracy and macro-F1 per agreement level (empty when PhraseBank's files were not given).</summary>
    public IReadOnlyList<AgreementScore> Levels { get; init; } = [];

    /// <summary>50Agree test accuracy over the runs.</summary>
    public MeanSd Accuracy50 => MeanSd.Of(Runs.Select(r => r.Accuracy50).ToArray());
    /// <summary>AllAgree test accuracy over the runs that reported it (null when none did).</summary>
    public MeanSd? AccuracyAll => Runs.Where(r => r.AccuracyAll is not null).Select(r => r.AccuracyAll!.Value).ToArray() is { Length: > 0 } all ? MeanSd.Of(all) : null;

    public JsonObject ToJson()
    {
        static JsonNode R(double v) => Math.Round(v, 4);
        var (acc, all) = (Accuracy50, AccuracyAll);
        return new JsonObject
        {
            ["runs"] = new JsonArray(Runs.Select(r => (JsonNode)new JsonObject
            {
                ["dir"] = r.Dir, ["test_sentences"] = r.Count, ["accuracy_50agree"] = R(r.Accuracy50), ["macro_f1_50agree"] = R(r.MacroF1_50),
                ["accuracy_allagree"] = r.AccuracyAll is { } a ? R(a) : null, ["temperature"] = R(r.Temperature), ["ece_after"] = R(r.EceAfter),
            }).ToArray()),
            ["accuracy_50agree_mean"] = R(acc.Mean), ["accuracy_50agree_sd"] = R(acc.Sd),
            ["accuracy_allagree_mean"] = all is { } a ? R(a.Mean) : null, ["accuracy_allagree_sd"] = all is { } b ? R(b.Sd) : null,
            ["pooled"] = new JsonObject
            {
                ["levels"] = new JsonArray(Levels.Select(l => (JsonNode)new JsonObject
                    { ["level"] = l.Level, ["count"] = l.Count, ["accuracy"] = R(l.Accuracy), ["macro_f1"] = R(l.MacroF1) }).ToArray()),
                ["sentences"] = Sentences, ["accuracy"] = R(PooledAccuracy), ["macro_f1"] = R(PooledMacroF1), ["ece_before"] = R(EceBefore), ["ece_after"] = R(EceAfter),
                ["ece_after_interval"] = new JsonArray(R(EceAfterInterval.Low), R(EceAfterInterval.High)),
                ["ece_floor_after"] = new JsonObject { ["mean"] = R(EceFloorAfter.Mean), ["p95"] = R(EceFloorAfter.Upper95) },
            },
        };
    }

    public string Summary()
    {
        var (acc, all) = (Accuracy50, AccuracyAll);
        var lines = Runs.Select(r => $"{r.Dir}: 50Agree accuracy {r.Accuracy50:F3} ({r.Count} sentences), AllAgree {r.AccuracyAll:F3}, T {r.Temperature:F3}, ECE after {r.EceAfter:F4}").ToList();
        lines.Add($"50Agree accuracy over {Runs.Count} runs {acc.Mean:F3} ± {acc.Sd:F3}" + (all is { } a ? $"; AllAgree {a.Mean:F3} ± {a.Sd:F3}" : ""));
        lines.AddRange(Levels.Select(l => $"pooled {l.Level}: accuracy {l.Accuracy:F3}, macro-F1 {l.MacroF1:F3} ({l.Count} sentences)"));
        lines.Add($"pooled over {Sentences} distinct test sentences: accuracy {PooledAccuracy:F3}, macro-F1 {PooledMacroF1:F3}, ECE (15 bins) {EceBefore:F4} -> {EceAfter:F4}"
            + $" after scaling, 95 % bootstrap interval [{EceAfterInterval.Low:F4}, {EceAfterInterval.High:F4}]; a perfectly calibrated model would show {EceFloorAfter.Mean:F4} (95th percentile {EceFloorAfter.Upper95:F4})");
        return string.Join("\n", lines);
    }
}

/// <summary>
/// Pools <c>monitor train --test-fold K</c> runs: their test folds are disjoint, so together they score the recipe on
/// several times more sentences than one split. ECE needs this most: on one 486-sentence test part a perfectly
/// calibrated model already shows about 0.034, above the 0.03 target; on five folds the floor is about half that.
/// Runs whose test sentences overlap are refused (pooling them would count a sentence twice).
/// </summary>
public static class MonitorFolds
{
    /// <param name="registry">where PhraseBank's agreement files are: given, the pooled figures are also broken down
    /// by agreement level (the ids are rows of the 50Agree file)</param>
    public static MonitorFoldsSummary Pool(IReadOnlyList<string> runDirs, DataRegistry? registry = null)
    {
        if (runDirs.Count == 0) throw new ArgumentException("no run folder given");
        var runs = new List<FoldRun>();
        var ids = new List<int>(); var gold = new List<int>(); var before = new List<float[]>(); var after = new List<float[]>();
        var owner = new Dictionary<int, string>();
        foreach (var dir in runDirs)
        {
            var probabilities = TestProbabilities.Load(Path.Combine(dir, TestProbabilities.FileName));
            foreach (var id in probabilities.Ids)
                if (!owner.TryAdd(id, dir))
                    throw new ArgumentException($"{owner[id]} and {dir} both test sentence {id}: pool runs over disjoint test folds (monitor train --test-fold K)");
            runs.Add(ReadRun(dir, probabilities.Ids.Length));
            ids.AddRange(probabilities.Ids); gold.AddRange(probabilities.Gold); before.AddRange(probabilities.Before); after.AddRange(probabilities.After);
        }
        var predicted = after.Select(p => Calibration.Top(p).Predicted).ToArray();
        var report = ClassificationReport.Compute(gold.ToArray(), predicted, FineTuningData.PhraseBankLabels);
        return new MonitorFoldsSummary(runs, ids.Count, report.Accuracy, report.MacroF1,
            Calibration.ExpectedCalibrationError(before, gold), Calibration.ExpectedCalibrationError(after, gold),
            EceSampling.Interval(after, gold), EceSampling.PerfectCalibrationFloor(after))
        { Levels = registry is null ? [] : ByLevel(ids, gold, after, registry) };
    }

    static IReadOnlyList<AgreementScore> ByLevel(List<int> ids, List<int> gold, List<float[]> after, DataRegistry registry)
    {
        var rows = FinancialPhraseBank.Load(PhraseBankAgreement.AtLeast50, registry);
        var test = ids.Select((id, i) => id >= 0 && id < rows.Count
            ? new LabeledText(id, rows[id].Sentence, gold[i])
            : throw new InvalidDataException($"sentence id {id} is not a row of the 50Agree file ({rows.Count} rows)")).ToArray();
        return MonitorTraining.AgreementScores(test, after.ToArray(), registry);
    }

    static FoldRun ReadRun(string dir, int count)
    {
        var path = Path.Combine(dir, MonitorTraining.MetricsFile);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file (monitor train writes it in its --out folder)", path);
        try
        {
            var metrics = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
            var levels = metrics["agreement"]!.AsArray().Select(n => n!.AsObject()).ToDictionary(n => n["level"]!.GetValue<string>());
            var calibration = metrics["calibration"]!.AsObject();
            return new FoldRun(dir, count, levels["50Agree"]["accuracy"]!.GetValue<double>(), levels["50Agree"]["macro_f1"]!.GetValue<double>(),
                levels.TryGetValue("AllAgree", out var all) ? all["accuracy"]!.GetValue<double>() : null,
                calibration["temperature"]!.GetValue<double>(), calibration["ece_after"]!.GetValue<double>());
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or NullReferenceException or KeyNotFoundException)
        {
            throw new InvalidDataException($"{path}: not a monitor train metrics.json ({e.Message})", e);
        }
    }
}
