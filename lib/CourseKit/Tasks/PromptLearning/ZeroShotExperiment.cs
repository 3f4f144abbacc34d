using System.Text.Json;
using System.Text.Json.Nodes;
using CourseKit.Metrics;
using CourseKit.Tasks.SequenceClassification;

namespace CourseKit.Tasks.PromptLearning;

/// <summary>One phrasing (or ensemble) measured: on the tuning sentences (drawn from the training pool) and on the evaluation set.</summary>
public sealed record ZeroShotRow(string Name, bool Calibrated, double TuningAccuracy, ClassificationReport Evaluation)
{
    public JsonObject ToJson() => new()
    {
        ["name"] = Name, ["calibrated"] = Calibrated, ["tuning_accuracy"] = Math.Round(TuningAccuracy, 4),
        ["accuracy"] = Math.Round(Evaluation.Accuracy, 4), ["macro_f1"] = Math.Round(Evaluation.MacroF1, 4), ["count"] = Evaluation.Total,
    };
}

/// <summary>Every phrasing alone, then the ensemble chosen on the tuning sentences, plain and calibrated.</summary>
public sealed record ZeroShotResult(string Task, string EvaluationName, int TuningCount, IReadOnlyList<ZeroShotRow> Phrasings,
    ZeroShotRow Ensemble, ZeroShotRow CalibratedEnsemble, IReadOnlyList<string> EnsembleMembers, double WallSeconds)
{
    /// <summary>The row chosen on the tuning sentences (never on the evaluation set): the better tuning accuracy of the two ensembles.</summary>
    public ZeroShotRow Selected => CalibratedEnsemble.TuningAccuracy > Ensemble.TuningAccuracy ? CalibratedEnsemble : Ensemble;

    public string ToJsonString() => new JsonObject
    {
        ["task"] = Task, ["evaluation"] = EvaluationName, ["tuning_sentences"] = TuningCount,
        ["note"] = "tuning = sentences drawn (seeded) from the training pool; phrasings and ensembles are chosen there, figures are on the evaluation set",
        ["phrasings"] = new JsonArray(Phrasings.Select(r => (JsonNode)r.ToJson()).ToArray()),
        ["ensemble_members"] = new JsonArray(EnsembleMembers.Select(m => (JsonNode)m).ToArray()),
        ["ensemble"] = Ensemble.ToJson(), ["calibrated_ensemble"] = CalibratedEnsemble.ToJson(), ["selected"] = Selected.ToJson(),
        ["wall_seconds"] = Math.Round(WallSeconds, 1),
    }.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
}

/// <summary>
/// The zero-shot experiment: each phrasing of <see cref="LabelPhrasings"/> (plus any given) scored on the evaluation
/// set; then a greedy forward search over ensembles (add the phrasing that raises tuning accuracy most, stop when none
/// does) run on tuning sentences from the training pool, so the reported evaluation figure is not chosen on it.
/// </summary>
public static class ZeroShotExperiment
{
    public static ZeroShotResult Run(ZeroShotClassifier classifier, PromptTaskData data, IReadOnlyList<LabelPhrasing> phrasings,
        int tuningSize, int seed = 42)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var tuning = data.TuningSentences(tuningSize, seed);
        var tuningEmbeddings = classifier.Embed(tuning.Select(e => e.Text).ToArray());
        var evalEmbeddings = classifier.Embed(data.Evaluation.Select(e => e.Text).ToArray());

        ZeroShotRow Measure(string name, IReadOnlyList<LabelPhrasing> ensemble, bool calibrate)
        {
            var tuningScores = classifier.Score(tuningEmbeddings, ensemble);
            var evalScores = classifier.Score(evalEmbeddings, ensemble);
            if (calibrate)
            {
                var bias = ZeroShotClassifier.LabelBias(tuningScores);                  // unlabelled pool sentences only
                tuningScores = ZeroShotClassifier.Calibrate(tuningScores, bias);
                evalScores = ZeroShotClassifier.Calibrate(evalScores, bias);
            }
            double tuningAccuracy = tuning.Length == 0 ? 0 : ZeroShotClassifier.Report(tuningScores, tuning, data.Labels).Accuracy;
            return new ZeroShotRow(name, calibrate, tuningAccuracy, ZeroShotClassifier.Report(evalScores, data.Evaluation, data.Labels));
        }

        var single = phrasings.Select(p => Measure(p.Name, [p], calibrate: false)).ToArray();
        var members = GreedyEnsemble(phrasings, single, p => Measure("", p, false).TuningAccuracy);
        var calibratedMembers = GreedyEnsemble(phrasings, phrasings.Select(p => Measure(p.Name, [p], true)).ToArray(), p => Measure("", p, true).TuningAccuracy);
        var ensemble = Measure("ensemble: " + string.Join("+", members.Select(m => m.Name)), members, false);
        var calibrated = Measure("calibrated ensemble: " + string.Join("+", calibratedMembers.Select(m => m.Name)), calibratedMembers, true);
        return new ZeroShotResult(data.Name, data.EvaluationName, tuning.Length, single, ensemble, calibrated,
            members.Select(m => m.Name).ToArray(), clock.Elapsed.TotalSeconds);
    }

    /// <summary>Greedy forward selection on tuning accuracy: start from the best single phrasing, add one at a time while it helps.</summary>
    static List<LabelPhrasing> GreedyEnsemble(IReadOnlyList<LabelPhrasing> phrasings, IReadOnlyList<ZeroShotRow> single, Func<IReadOnlyList<LabelPhrasing>, double> tuningAccuracy)
    {
        int best = Enumerable.Range(0, single.Count).MaxBy(i => single[i].TuningAccuracy);
        var chosen = new List<LabelPhrasing> { phrasings[best] };
        double score = single[best].TuningAccuracy;
        while (true)
        {
            var candidates = phrasings.Where(p => !chosen.Contains(p))
                .Select(p => (Phrasing: p, Accuracy: tuningAccuracy([.. chosen, p]))).ToList();
            if (candidates.Count == 0) break;
            var top = candidates.MaxBy(c => c.Accuracy);
            if (top.Accuracy <= score) break;
            chosen.Add(top.Phrasing);
            score = top.Accuracy;
        }
        return chosen;
    }
}
