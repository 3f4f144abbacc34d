using CourseKit.Tasks.SequenceClassification;

namespace CourseKit.Tasks.PromptLearning;

/// <summary>The two tasks of the chapter.</summary>
public enum PromptTask { Sst2, PhraseBank }

/// <summary>
/// A prompt-learning task's data: the pool few-shot examples are drawn from and the evaluation set the figures are
/// measured on. SST-2: pool = GLUE train (minus the held-out test of the fine-tuning chapter), evaluation = GLUE dev
/// (872 sentences, what the literature reports). Financial PhraseBank AllAgree: pool = the train part, evaluation =
/// the test part of the fine-tuning chapter's fixed split (seed 42). The split never moves with the few-shot seed.
/// </summary>
public sealed record PromptTaskData(PromptTask Task, string Name, IReadOnlyList<string> Labels, IReadOnlyList<LabeledText> Pool,
    IReadOnlyList<LabeledText> Evaluation, string EvaluationName)
{
    public static PromptTaskData Load(PromptTask task)
    {
        var data = FineTuningData.Load(new FineTuneOptions { Task = ToFineTuneTask(task) });
        return task == PromptTask.Sst2
            ? new PromptTaskData(task, "sst2", data.Labels, data.Train, data.Validation, "SST-2 dev (GLUE validation)")
            : new PromptTaskData(task, "phrasebank", data.Labels, data.Train, data.Test, "Financial PhraseBank AllAgree test");
    }

    public static FineTuneTask ToFineTuneTask(PromptTask task) => task == PromptTask.Sst2 ? FineTuneTask.Sst2 : FineTuneTask.PhraseBank;

    /// <summary><paramref name="size"/> pool sentences in a seeded shuffle, for choosing phrasings and ensembles: never a
    /// text of the evaluation set (SST-2's train holds phrases that are also dev sentences). The shuffle keys are drawn
    /// over the whole pool, so an overlapping text leaves the draw without moving the others.</summary>
    public LabeledText[] TuningSentences(int size, int seed)
    {
        var rng = new Random(seed);
        var evaluationTexts = new HashSet<string>(Evaluation.Select(e => e.Text), StringComparer.Ordinal);
        return Pool.OrderBy(_ => rng.Next()).Where(e => !evaluationTexts.Contains(e.Text)).Take(size).ToArray();
    }

    /// <summary>At most <paramref name="size"/> evaluation examples, a seeded shuffle (the quick profile's subset);
    /// 0 or more than there are = all of them, in file order.</summary>
    public PromptTaskData WithEvaluationSubset(int size, int seed = 42)
    {
        if (size <= 0 || size >= Evaluation.Count) return this;
        var rng = new Random(seed);
        var subset = Evaluation.OrderBy(_ => rng.Next()).Take(size).OrderBy(e => e.Id).ToArray();
        return this with { Evaluation = subset, EvaluationName = $"{EvaluationName}, {size} of {Evaluation.Count} (seeded)" };
    }
}
