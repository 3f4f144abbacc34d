using System.Text.Json;
using CourseKit.Checkpoints;
using CourseKit.Data;
using CourseKit.Metrics;
using CourseKit.Models;
using CourseKit.Reporting;
using CourseKit.Text;

namespace CourseKit.Tasks.QuestionAnswering;

/// <summary>The chapter's figures: cross-validated readers, the learning curve, and the zero-training baseline.</summary>
public sealed record QaExperimentResult(string ModelDir, string Profile, IReadOnlyList<QaRun> Folds, MeanSd ExactMatch, MeanSd F1,
    IReadOnlyList<QaRun> LearningCurve, IReadOnlyList<QaRun> SentenceBaseline, double WallSeconds)
{
    /// <summary>Retrieve-then-read EM and F1 over the folds that measured it (null when none did).</summary>
    public (MeanSd ExactMatch, MeanSd F1, int Folds)? RetrieveThenRead =>
        Folds.Select(f => f.RetrieveThenRead).OfType<RetrievedScore>().ToArray() is { Length: > 0 } r
            ? (MeanSd.Of(r.Select(x => x.ExactMatch).ToArray()), MeanSd.Of(r.Select(x => x.F1).ToArray()), r.Length) : null;

    public string ToJson() => JsonSerializer.Serialize(new
    {
        model = ModelDir, profile = Profile, wall_seconds = WallSeconds,
        exact_match = new { mean = ExactMatch.Mean, sd = ExactMatch.Sd }, f1 = new { mean = F1.Mean, sd = F1.Sd },
        retrieve_then_read = RetrieveThenRead is { } e2e
            ? new { folds = e2e.Folds, exact_match = new { mean = e2e.ExactMatch.Mean, sd = e2e.ExactMatch.Sd }, f1 = new { mean = e2e.F1.Mean, sd = e2e.F1.Sd } }
            : null,
        folds = Folds.Select(Row), learning_curve = LearningCurve.Select(Row), sentence_baseline = SentenceBaseline.Select(Row),
    }, new JsonSerializerOptions { WriteIndented = true });

    static object Row(QaRun r) => new
    {
        name = r.Name, train_questions = r.TrainQuestions, train_windows = r.TrainWindows, test_questions = r.TestQuestions,
        exact_match = r.ExactMatch, f1 = r.F1, steps = r.Steps, train_seconds = r.TrainSeconds,
        retrieve_then_read = r.RetrieveThenRead is { } e ? new { top_k = e.TopK, exact_match = e.ExactMatch, f1 = e.F1 } : null,
        by_epoch = r.ByEpoch.Select(e => new { epoch = e.Epoch, step = e.Step, exact_match = e.ExactMatch, f1 = e.F1 }),
    };
}

/// <summary>
/// Few-shot extractive QA measured honestly on XQuAD-en (no SQuAD training set here): k-fold cross-validation by
/// article, a learning curve on the first fold, and the sentence baseline on the same held-out questions. Each finished
/// reader is kept in <see cref="QaRunStore"/>, so a rerun resumes and folds can run in separate processes.
/// </summary>
public static class QaExperiment
{
    /// <param name="outputDir">metrics.json (every fold finished there, by this process or another), runs/ and, from the
    /// first fold, model/ (a reader usable by <c>ask</c>).</param>
    /// <param name="retrieverDir">the sentence encoder of the sentence baseline and of each fold's retrieve-then-read score
    /// (default <paramref name="modelDir"/>; paragraphs truncated at 256 tokens, as <c>qa eval</c>).</param>
    public static QaExperimentResult Run(string modelDir, SquadDataset data, QuestionAnsweringOptions options, string outputDir, string? retrieverDir = null)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Directory.CreateDirectory(outputDir);
        var store = new QaRunStore(outputDir, modelDir, options, data);
        var folds = SquadSplits.KFoldByArticle(data, options.Folds, options.SplitSeed);
        var fresh = new Dictionary<string, QaRun>();                        // trained here: these keep per-question scores
        // One encoder serves the sentence baseline and retrieval, loaded only when a run that needs it is not stored yet.
        var encoder = new Lazy<SentenceEncoder>(() => SentenceEncoder.Load(retrieverDir ?? modelDir, maxLength: 256));
        var context = new FoldContext(modelDir, Pretrained.LoadTokenizer(modelDir), data, options, outputDir, store, fresh, encoder);
        try
        {
            foreach (var index in options.SelectedFolds()) RunFold(folds[index], context);
        }
        finally
        {
            if (encoder.IsValueCreated) encoder.Value.Dispose();
        }
        QaRun? Finished(string name) => fresh.GetValueOrDefault(name) ?? store.TryLoad(name);
        var runs = Enumerable.Range(0, options.Folds).Select(k => Finished(FoldName(k))).OfType<QaRun>().ToArray();
        var baseline = Enumerable.Range(0, options.Folds).Select(k => Finished(BaselineName(k))).OfType<QaRun>().ToArray();
        var curve = options.LearningCurve.Select(size => Finished(CurveName(size))).OfType<QaRun>().ToList();
        if (runs.FirstOrDefault(r => r.Name == "fold 0") is { } first) curve.Add(first with { Name = $"{first.TrainQuestions} questions" });
        var result = new QaExperimentResult(modelDir, options.ProfileName, runs, MeanSd.Of(runs.Select(r => r.ExactMatch).ToArray()),
            MeanSd.Of(runs.Select(r => r.F1).ToArray()), curve, baseline, clock.Elapsed.TotalSeconds);
        AtomicFile.WriteAllText(Path.Combine(outputDir, "metrics.json"), result.ToJson() + "\n");
        return result;
    }

    public static string FoldName(int fold) => $"fold-{fold}";
    public static string BaselineName(int fold) => $"fold-{fold}-sentence-baseline";
    public static string CurveName(int size) => $"curve-{size}";

    sealed record FoldContext(string ModelDir, BertTextTokenizer Tokenizer, SquadDataset Data, QuestionAnsweringOptions Options,
        string OutputDir, QaRunStore Store, Dictionary<string, QaRun> Fresh, Lazy<SentenceEncoder> Encoder)
    {
        /// <summary>The stored run, or <paramref name="make"/>'s, saved.</summary>
        public void Ensure(string name, Func<QaRun> make)
        {
            if (Store.TryLoad(name) is not null)
            {
                Reporter.Show($"{name}: finished before, read from {Store.PathOf(name)} (delete it to run it again)");
                return;
            }
            var run = make();
            Store.Save(name, run);
            Fresh[name] = run;
        }
    }

    static void RunFold(SquadFold fold, FoldContext c)
    {
        var train = Sample(fold.Train, c.Options.TrainQuestions, c.Options.SplitSeed);
        var test = Sample(fold.Test, c.Options.TestQuestions, c.Options.SplitSeed);
        Reporter.Show($"fold {fold.Index}: {fold.Train.Articles.Count} training articles ({train.Count} questions), {fold.Test.Articles.Count} held out ({test.Count} questions)");
        c.Ensure(FoldName(fold.Index), () =>
        {
            var (model, run) = QaReaderTraining.TrainAndScore($"fold {fold.Index}", c.ModelDir, c.Tokenizer, c.Data, train, test, c.Options, null);
            if (c.Options.RetrieveTopK > 0)
            {
                var e2e = QaEvaluation.RetrieveThenRead(model, c.Tokenizer, c.Encoder.Value, c.Data, test, c.Options, c.Options.RetrieveTopK);
                run = run with { RetrieveThenRead = new RetrievedScore(c.Options.RetrieveTopK, e2e.Scores.ExactMatch, e2e.Scores.F1, e2e.OverNoAnswer.ExactMatch, e2e.OverNoAnswer.F1) };
                Reporter.Show($"fold {fold.Index}: retrieve top {c.Options.RetrieveTopK}, then read: EM {e2e.Scores.ExactMatch:F1} F1 {e2e.Scores.F1:F1} " +
                              $"(chosen over the no-answer score: EM {e2e.OverNoAnswer.ExactMatch:F1} F1 {e2e.OverNoAnswer.F1:F1})");
            }
            if (fold.Index == 0)
            {
                model.SavePretrained(Path.Combine(c.OutputDir, "model"), c.Tokenizer, c.Options.MaxLength);
                ReaderFold.Of(fold, c.Options.Folds, c.Options.SplitSeed).Save(Path.Combine(c.OutputDir, "model"));
            }
            model.Dispose();
            Reporter.Show($"fold {fold.Index}: EM {run.ExactMatch:F1} F1 {run.F1:F1} ({run.TrainSeconds:F0} s)");
            return run;
        });
        c.Ensure(BaselineName(fold.Index), () =>
        {
            var sentences = SquadMetric.Evaluate(QuestionAnsweringTask.OnlyQuestions(c.Data, test), SentenceBaseline.Answer(c.Encoder.Value, c.Data, test));
            return new QaRun($"fold {fold.Index} sentence baseline", 0, 0, test.Count, sentences.ExactMatch, sentences.F1, 0, 0, []) { Scores = sentences };
        });
        if (fold.Index != 0) return;
        foreach (var size in c.Options.LearningCurve.Where(s => s < train.Count))
            c.Ensure(CurveName(size), () =>
            {
                var subset = SquadSplits.SampleQuestions(QuestionAnsweringTask.OnlyQuestions(c.Data, train), size, c.Options.SplitSeed);
                var (small, point) = QaReaderTraining.TrainAndScore($"{size} questions", c.ModelDir, c.Tokenizer, c.Data, subset, test, c.Options, null);
                small.Dispose();
                Reporter.Show($"learning curve {size}: EM {point.ExactMatch:F1} F1 {point.F1:F1}");
                return point;
            });
    }

    static IReadOnlyList<SquadQuestion> Sample(SquadDataset split, int? count, int seed) =>
        count is int n ? SquadSplits.SampleQuestions(split, n, seed) : split.Questions;
}
