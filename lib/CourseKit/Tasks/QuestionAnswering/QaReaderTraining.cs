using CourseKit.Data;
using CourseKit.Metrics;
using CourseKit.Models;
using CourseKit.Text;
using CourseKit.Training;
using TorchSharp;

namespace CourseKit.Tasks.QuestionAnswering;

/// <summary>One trained reader scored on held-out questions.</summary>
public sealed record QaRun(string Name, int TrainQuestions, int TrainWindows, int TestQuestions, double ExactMatch, double F1, long Steps,
    double TrainSeconds, IReadOnlyList<LogEntry> History)
{
    public SquadScores? Scores { get; init; }
    /// <summary>Held-out scores after each epoch (empty unless <see cref="QuestionAnsweringOptions.EvalEachEpoch"/>).</summary>
    public IReadOnlyList<EpochScore> ByEpoch { get; init; } = [];
    /// <summary>Retrieve-then-read on the same questions among every paragraph (null when not measured).</summary>
    public RetrievedScore? RetrieveThenRead { get; init; }
}

/// <summary>Held-out EM/F1 at the end of an epoch.</summary>
public sealed record EpochScore(double Epoch, long Step, double ExactMatch, double F1);

/// <summary>End-to-end EM/F1 when the reader reads the top <see cref="TopK"/> retrieved paragraphs instead of the gold one,
/// the answer chosen across them by logits (<see cref="SpanComparison.Logits"/>); and, for comparison, by
/// <see cref="SpanComparison.OverNoAnswer"/> (NaN when a run stored before both were measured).</summary>
public sealed record RetrievedScore(int TopK, double ExactMatch, double F1, double OverNoAnswerExactMatch = double.NaN, double OverNoAnswerF1 = double.NaN);

/// <summary>Trains <see cref="BertForQuestionAnswering"/> from any Hugging Face BERT folder (the QA head starts random).</summary>
public static class QaReaderTraining
{
    /// <summary>Trains a fresh reader from <paramref name="modelDir"/> on <paramref name="train"/> and scores it on
    /// <paramref name="test"/>. <paramref name="outputDir"/> (null = nothing on disk) gets the trainer's checkpoints.</summary>
    public static (BertForQuestionAnswering Model, QaRun Run) TrainAndScore(string name, string modelDir, BertTextTokenizer tokenizer,
        SquadDataset data, IReadOnlyList<SquadQuestion> train, IReadOnlyList<SquadQuestion> test, QuestionAnsweringOptions options, string? outputDir)
    {
        Func<BertForQuestionAnswering, IReadOnlyDictionary<string, double>>? heldOut = options.EvalEachEpoch ? reader =>
        {
            var (s, _) = QuestionAnsweringTask.Evaluate(reader, tokenizer, data, test, options);
            return new Dictionary<string, double> { ["exact_match"] = s.ExactMatch, ["f1"] = s.F1 };
        } : null;
        var (model, result, windows) = Train(modelDir, tokenizer, data, train, options, outputDir, heldOut);
        var (scores, _) = QuestionAnsweringTask.Evaluate(model, tokenizer, data, test, options);
        var run = new QaRun(name, train.Count, windows, test.Count, scores.ExactMatch, scores.F1, result.Steps, result.WallSeconds, result.History)
        {
            Scores = scores,
            ByEpoch = result.History.Where(e => e.Kind == LogEntry.Eval)
                .Select(e => new EpochScore(e.Epoch, e.Step, e.Values["exact_match"], e.Values["f1"])).ToArray(),
        };
        return (model, run);
    }

    /// <summary>Trains a reader from <paramref name="modelDir"/> on <paramref name="train"/> (a folder that already has a
    /// QA head, such as one trained on <see cref="ClozeQuestions"/>, continues from it; otherwise the head starts
    /// random). <paramref name="evaluate"/>, when given, runs after every epoch.</summary>
    public static (BertForQuestionAnswering Model, TrainingResult Result, int Windows) Train(string modelDir, BertTextTokenizer tokenizer,
        SquadDataset data, IReadOnlyList<SquadQuestion> train, QuestionAnsweringOptions options, string? outputDir,
        Func<BertForQuestionAnswering, IReadOnlyDictionary<string, double>>? evaluate = null)
    {
        torch.manual_seed(options.Seed);                                  // the QA head's initial weights
        var model = BertForQuestionAnswering.FromPretrained(modelDir);
        if (options.Device is { } device) model.to(device);
        var features = QaFeatures.Build(tokenizer, data, train, options.MaxLength, options.Stride);
        var task = QuestionAnsweringTask.Create(model, tokenizer, features, options, evaluate: evaluate is null ? null : () => evaluate(model));
        var trainer = options.ToTrainerOptions(options.LearningRate, "f1", outputDir ?? "", logEverySteps: 5) with
        {
            Epochs = options.EpochsFor(features.Count),
            MetricForBest = null, KeepBest = false, LoadBestAtEnd = false,   // no validation split: the last weights
            OutputDir = outputDir,
            SaveEverySteps = outputDir is null ? 0 : long.MaxValue,           // one checkpoint, at the end
        };
        return (model, Trainer.Run(task, trainer), features.Count);
    }
}
