using System.Text.Json;
using System.Text.Json.Nodes;
using CourseKit.Metrics;

namespace CourseKit.Tasks.PromptLearning;

/// <summary>What one method's run on one draw returns: its report on the evaluation set, and what it chose on the
/// draw, when it chose something (the cloze method's searched label words).</summary>
public sealed record FewShotOutcome(ClassificationReport Report, string? Detail = null);

/// <summary>One method trained on one few-shot draw (K per class, seed) and measured on the evaluation set.</summary>
public sealed record FewShotRun(string Method, int K, int Seed, double Accuracy, double MacroF1, double WallSeconds)
{
    public string? Detail { get; init; }

    public static FewShotRun From(string method, int k, int seed, ClassificationReport report, double seconds) =>
        new(method, k, seed, report.Accuracy, report.MacroF1, seconds);
}

/// <summary>Mean ± sample standard deviation over the seeds of one (method, K).</summary>
public sealed record FewShotSummary(string Method, int K, int Runs, double AccuracyMean, double AccuracySd, double MacroF1Mean, double MacroF1Sd)
{
    public static IReadOnlyList<FewShotSummary> Summarize(IEnumerable<FewShotRun> runs) =>
        runs.GroupBy(r => (r.Method, r.K)).Select(g =>
        {
            var acc = g.Select(r => r.Accuracy).ToArray();
            var f1 = g.Select(r => r.MacroF1).ToArray();
            return new FewShotSummary(g.Key.Method, g.Key.K, acc.Length, acc.Average(), MeanSd.SampleSd(acc), f1.Average(), MeanSd.SampleSd(f1));
        }).ToArray();
}

/// <summary>Everything a few-shot experiment measured, with the reference rows (zero-shot, full-data ceiling).</summary>
public sealed record FewShotResult(string Task, string EvaluationName, int EvaluationCount, IReadOnlyList<FewShotRun> Runs,
    IReadOnlyList<FewShotSummary> Summary, IReadOnlyList<JsonObject> References, JsonObject? MaskedLmHead, string Protocol, double WallSeconds)
{
    public string ToJsonString() => new JsonObject
    {
        ["task"] = Task, ["evaluation"] = EvaluationName, ["evaluation_count"] = EvaluationCount, ["protocol"] = Protocol,
        ["summary"] = new JsonArray(Summary.Select(s => (JsonNode)new JsonObject
        {
            ["method"] = s.Method, ["k"] = s.K, ["runs"] = s.Runs,
            ["accuracy_mean"] = Math.Round(s.AccuracyMean, 4), ["accuracy_sd"] = Math.Round(s.AccuracySd, 4),
            ["macro_f1_mean"] = Math.Round(s.MacroF1Mean, 4), ["macro_f1_sd"] = Math.Round(s.MacroF1Sd, 4),
        }).ToArray()),
        ["references"] = new JsonArray(References.Select(r => (JsonNode)r.DeepClone()).ToArray()),
        ["masked_lm_head"] = MaskedLmHead?.DeepClone(),
        ["runs"] = new JsonArray(Runs.Select(r => (JsonNode)new JsonObject
        {
            ["method"] = r.Method, ["k"] = r.K, ["seed"] = r.Seed, ["accuracy"] = Math.Round(r.Accuracy, 4),
            ["macro_f1"] = Math.Round(r.MacroF1, 4), ["wall_seconds"] = Math.Round(r.WallSeconds, 1), ["detail"] = r.Detail,
        }).ToArray()),
        ["wall_seconds"] = Math.Round(WallSeconds, 1),
    }.ToJsonString(new JsonSerializerOptions { WriteIndented = true });

    /// <summary>"method  K  accuracy mean ± sd  macro-F1 mean ± sd" lines.</summary>
    public string ToTable()
    {
        var sb = new System.Text.StringBuilder();
        sb.AppendLine($"{"method",-22} {"K",3} {"runs",4} {"accuracy",15} {"macro-F1",15}");
        foreach (var s in Summary)
            sb.AppendLine($"{s.Method,-22} {s.K,3} {s.Runs,4} {s.AccuracyMean,7:F3} ± {s.AccuracySd,5:F3} {s.MacroF1Mean,7:F3} ± {s.MacroF1Sd,5:F3}");
        foreach (var r in References)
            sb.AppendLine($"{(string?)r["method"],-22} {"-",3} {"",4} {(double?)r["accuracy"],7:F3}         {(double?)r["macro_f1"],7:F3}           ({(string?)r["note"]})");
        foreach (var r in Runs.Where(r => r.Detail is not null))
            sb.AppendLine($"  {r.Method} K={r.K} seed {r.Seed}: {r.Detail}; accuracy {r.Accuracy:F3}");
        return sb.ToString();
    }
}
