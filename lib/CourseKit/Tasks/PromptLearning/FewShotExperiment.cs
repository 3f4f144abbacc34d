using System.Text.Json.Nodes;
using CourseKit.Checkpoints;
using CourseKit.Reporting;

namespace CourseKit.Tasks.PromptLearning;

/// <summary>
/// The few-shot table: for every K and seed, one class-balanced draw from the training pool (disjoint from the
/// evaluation set), every method trained on it and scored on the evaluation set; mean ± sd over seeds. Reference rows:
/// zero-shot by label descriptions (all built-in phrasings averaged, no labels), the cloze template zero-shot when the
/// cloze method runs, and the full-data ceiling when one is given.
/// </summary>
public static class FewShotExperiment
{
    public const string Protocol = "K examples per class drawn from the training pool with seed s (s = seed … seed+seeds-1), class-balanced, " +
        "no text of the evaluation set; a second disjoint K-per-class draw is the validation set (LM-BFF) for best-epoch selection; " +
        "figures on the evaluation set, mean ± sample sd over seeds";

    public static FewShotResult Run(PromptTaskData data, IReadOnlyList<string> methods, PromptLearningOptions o, JsonObject? ceiling = null)
    {
        FewShotMethods.Validate(methods);
        methods = methods.Distinct(StringComparer.OrdinalIgnoreCase).ToArray();   // "setfit,SETFIT" is one method: its seeds counted once
        var clock = System.Diagnostics.Stopwatch.StartNew();
        string encoderDir = o.EncoderDir ?? ImportedEncoders.EnsureDefault();
        var references = new List<JsonObject> { ZeroShotReference(data, encoderDir) };
        JsonObject? mlmHead = null;
        string clozeDir = "";
        if (methods.Contains("cloze", StringComparer.OrdinalIgnoreCase))
        {
            (clozeDir, mlmHead) = ClozeModel(encoderDir, o);
            using var cloze = FewShotMethods.LoadCloze(clozeDir, data.Task, o);
            var report = Metrics.ClassificationReport.Compute(data.Evaluation.Select(e => e.Label).ToArray(),
                cloze.Predict(data.Evaluation.Select(e => e.Text).ToArray()), data.Labels);
            references.Add(Reference($"cloze zero-shot", report.Accuracy, report.MacroF1,
                $"\"{cloze.Template.Text}\" → {string.Join("/", cloze.Verbalizer.Words)}, {Path.GetFileName(clozeDir)}"));
        }
        if (ceiling is not null) references.Add(ceiling);

        var runs = new List<FewShotRun>();
        // One line per finished run: a full profile is an hour or more, and the methods themselves run quietly.
        using var progress = Reporter.StartProgress($"Few-shot runs on {data.Name}", o.Shots.Count * o.Seeds * methods.Count);
        foreach (int k in o.Shots)
            for (int s = 0; s < o.Seeds; s++)
            {
                var sample = FewShotSampling.Sample(data.Pool, data.Labels.Count, k, o.Seed + s, data.Evaluation);
                foreach (var method in methods)
                {
                    var methodClock = System.Diagnostics.Stopwatch.StartNew();
                    using var quiet = Reporter.Quiet();
                    var outcome = FewShotMethods.Run(method, data, sample, o, encoderDir, clozeDir);
                    runs.Add(FewShotRun.From(method.ToLowerInvariant(), k, sample.Seed, outcome.Report, methodClock.Elapsed.TotalSeconds) with { Detail = outcome.Detail });
                    progress.Report(runs.Count, $"K = {k}, seed {sample.Seed}, {method}: accuracy {outcome.Report.Accuracy:F3} in {methodClock.Elapsed.TotalSeconds:F0} s");
                }
            }
        var summary = FewShotSummary.Summarize(runs);
        return new FewShotResult(data.Name, data.EvaluationName, data.Evaluation.Count, runs, summary, references, mlmHead,
            o.GroupByLength ? Protocol + "; training batches grouped by length" : Protocol, clock.Elapsed.TotalSeconds);
    }

    /// <summary>The cloze model: the given folder, or all-MiniLM-L6-v2 with an MLM head trained on its frozen encoder.</summary>
    static (string Dir, JsonObject? Head) ClozeModel(string encoderDir, PromptLearningOptions o)
    {
        if (o.ClozeModelDir is { } dir) return (CoursePaths.Resolve(dir), null);
        var (headDir, trained) = MaskedLmHead.Ensure(encoderDir, o.MlmHeadSteps, o.Seed);
        var file = Path.Combine(headDir, "mlm-head.json");
        return (headDir, trained?.ToJson() ?? (File.Exists(file) ? JsonNode.Parse(File.ReadAllText(file)) as JsonObject : null));
    }

    static JsonObject ZeroShotReference(PromptTaskData data, string encoderDir)
    {
        var classifier = new ZeroShotClassifier(Models.SentenceEncoder.Load(encoderDir, maxLength: ZeroShotClassifier.DefaultMaxLength));
        using (classifier.Encoder)
        {
            var phrasings = LabelPhrasings.For(data.Task);
            var scores = classifier.Score(classifier.Embed(data.Evaluation.Select(e => e.Text).ToArray()), phrasings);
            var report = ZeroShotClassifier.Report(scores, data.Evaluation, data.Labels);
            return Reference("zero-shot", report.Accuracy, report.MacroF1, $"label descriptions, all {phrasings.Count} built-in phrasings averaged");
        }
    }

    public static JsonObject Reference(string method, double accuracy, double macroF1, string note) => new()
    {
        ["method"] = method, ["accuracy"] = Math.Round(accuracy, 4), ["macro_f1"] = Math.Round(macroF1, 4), ["note"] = note,
    };

    /// <summary>The full-data ceiling measured by the fine-tuning chapter (same code, same evaluation set), as a reference row.</summary>
    public static JsonObject? KnownCeiling(PromptTask task) => task == PromptTask.PhraseBank
        ? Reference("full-data fine-tuning", 0.952, 0.928, "chapter 04, all-MiniLM-L6-v2, all 1,811 train sentences, `course finetune --task phrasebank --profile full` (README)")
        : null;
}
