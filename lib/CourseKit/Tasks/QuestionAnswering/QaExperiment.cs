using System.Text.Json;
using CourseKit.Data;
using CourseKit.Metrics;
using CourseKit.Models;
using CourseKit.Reporting;
using CourseKit.Text;

namespace CourseKit.Tasks.QuestionAnswering;

/// <summary>Mean and sample standard deviation of a figure over folds.</summary>
public sealed record MeanSd(double Mean, double Sd)
{
    public static MeanSd Of(IReadOnlyList<double> values)
    {
        double mean = values.Average();
        double sd = values.Count < 2 ? 0 : Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
        return new MeanSd(mean, sd);
    }

    public override string ToString() => $"{Mean:F1} ± {Sd:F1}";
}

/// <summary>The chapter's figures: cross-validated readers, the learning curve, and the zero-training baseline.</summary>
public sealed record QaExperimentResult(string ModelDir, string Profile, IReadOnlyList<QaRun> Folds, MeanSd ExactMatch, MeanSd F1,
    IReadOnlyList<QaRun> LearningCurve, IReadOnlyList<QaRun> SentenceBaseline, double WallSeconds)
{
    public string ToJson() => JsonSerializer.Serialize(new
    {
        model = ModelDir, profile = Profile, wall_seconds = WallSeconds,
        exact_match = new { mean = ExactMatch.Mean, sd = ExactMatch.Sd }, f1 = new { mean = F1.Mean, sd = F1.Sd },
        folds = Folds.Select(Row), learning_curve = LearningCurve.Select(Row), sentence_baseline = SentenceBaseline.Select(Row),
    }, new JsonSerializerOptions { WriteIndented = true });

    static object Row(QaRun r) => new
    {
        name = r.Name, train_questions = r.TrainQuestions, train_windows = r.TrainWindows, test_questions = r.TestQuestions,
        exact_match = r.ExactMatch, f1 = r.F1, steps = r.Steps, train_seconds = r.TrainSeconds,
    };
}

/// <summary>
/// Few-shot extractive QA measured honestly on XQuAD-en (no SQuAD training set here): k-fold cross-validation by
/// article, a learning curve on the first fold, and the sentence baseline on the same held-out questions.
/// </summary>
public static class QaExperiment
{
    /// <param name="outputDir">metrics.json and, from the first fold, model/ (a reader usable by <c>ask</c>).</param>
    public static QaExperimentResult Run(string modelDir, SquadDataset data, QuestionAnsweringOptions options, string outputDir)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Directory.CreateDirectory(outputDir);
        var tokenizer = Pretrained.LoadTokenizer(modelDir);
        var folds = SquadSplits.KFoldByArticle(data, options.Folds, options.SplitSeed).Take(options.FoldsToRun).ToArray();
        var runs = new List<QaRun>();
        var curve = new List<QaRun>();
        var baseline = new List<QaRun>();
        using var encoder = SentenceEncoder.Load(modelDir);
        foreach (var fold in folds)
        {
            var train = Sample(fold.Train, options.TrainQuestions, options.SplitSeed);
            var test = Sample(fold.Test, options.TestQuestions, options.SplitSeed);
            Reporter.Show($"fold {fold.Index}: {fold.Train.Articles.Count} training articles ({train.Count} questions), {fold.Test.Articles.Count} held out ({test.Count} questions)");
            var (model, run) = QaReaderTraining.TrainAndScore($"fold {fold.Index}", modelDir, tokenizer, data, train, test, options, null);
            if (fold.Index == 0)
            {
                model.SavePretrained(Path.Combine(outputDir, "model"), tokenizer, options.MaxLength);
                ReaderFold.Of(fold, options.Folds, options.SplitSeed).Save(Path.Combine(outputDir, "model"));
            }
            model.Dispose();
            runs.Add(run);
            Reporter.Show($"fold {fold.Index}: EM {run.ExactMatch:F1} F1 {run.F1:F1} ({run.TrainSeconds:F0} s)");
            var sentences = SquadMetric.Evaluate(QuestionAnsweringTask.OnlyQuestions(data, test), SentenceBaseline.Answer(encoder, data, test));
            baseline.Add(new QaRun($"fold {fold.Index} sentence baseline", 0, 0, test.Count, sentences.ExactMatch, sentences.F1, 0, 0, []));
            if (fold.Index != 0) continue;
            foreach (var size in options.LearningCurve.Where(s => s < train.Count))
            {
                var subset = SquadSplits.SampleQuestions(QuestionAnsweringTask.OnlyQuestions(data, train), size, options.SplitSeed);
                var (small, point) = QaReaderTraining.TrainAndScore($"{size} questions", modelDir, tokenizer, data, subset, test, options, null);
                small.Dispose();
                curve.Add(point);
                Reporter.Show($"learning curve {size}: EM {point.ExactMatch:F1} F1 {point.F1:F1}");
            }
            curve.Add(run with { Name = $"{train.Count} questions" });
        }
        var result = new QaExperimentResult(modelDir, options.ProfileName, runs, MeanSd.Of(runs.Select(r => r.ExactMatch).ToArray()),
            MeanSd.Of(runs.Select(r => r.F1).ToArray()), curve, baseline, clock.Elapsed.TotalSeconds);
        File.WriteAllText(Path.Combine(outputDir, "metrics.json"), result.ToJson() + "\n");
        return result;
    }

    static IReadOnlyList<SquadQuestion> Sample(SquadDataset split, int? count, int seed) =>
        count is int n ? SquadSplits.SampleQuestions(split, n, seed) : split.Questions;
}
