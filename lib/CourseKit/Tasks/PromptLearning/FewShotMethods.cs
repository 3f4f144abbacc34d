using CourseKit.Metrics;
using CourseKit.Models;
using CourseKit.Tasks.SequenceClassification;

namespace CourseKit.Tasks.PromptLearning;

/// <summary>
/// The few-shot methods, each trained on one <see cref="FewShotSample"/> and scored on the evaluation set:
/// <list type="bullet">
/// <item>setfit: <see cref="SetFit"/> (contrastive pairs + logistic regression).</item>
/// <item>head: standard fine-tuning with a new classification head, the fine-tuning chapter's code
/// (<see cref="FineTuning"/>, method "full"), the K-per-class validation draw for best-epoch selection.</item>
/// <item>prompt-tuning: the PEFT chapter's prompt tuning (soft prompt + head, encoder frozen), same runner.</item>
/// <item>prefix-tuning: the PEFT chapter's prefix tuning (key/value prefixes in every layer + head), same runner.</item>
/// <item>cloze: prompt-based fine-tuning of a masked LM through its verbalizer logits (<see cref="ClozeClassifier"/>).</item>
/// </list>
/// </summary>
public static class FewShotMethods
{
    public static readonly IReadOnlyList<string> Names = ["setfit", "head", "prompt-tuning", "prefix-tuning", "cloze"];

    public static void Validate(IEnumerable<string> methods)
    {
        foreach (var m in methods)
            if (!Names.Contains(m, StringComparer.OrdinalIgnoreCase))
                throw new ArgumentException($"unknown few-shot method '{m}'; known: {string.Join(", ", Names)}");
    }

    public static FewShotOutcome Run(string method, PromptTaskData data, FewShotSample sample, PromptLearningOptions o, string encoderDir, string clozeDir) =>
        method.ToLowerInvariant() switch
        {
            "setfit" => new(SetFitRun(data, sample, o, encoderDir)),
            "head" => new(FineTuneRun(data, sample, o, encoderDir, "full", o.HeadLearningRate)),
            "prompt-tuning" => new(FineTuneRun(data, sample, o, encoderDir, "prompt", o.PromptTuningLearningRate)),
            "prefix-tuning" => new(FineTuneRun(data, sample, o, encoderDir, "prefix", o.PrefixTuningLearningRate)),
            "cloze" => ClozeRun(data, sample, o, clozeDir),
            _ => throw new ArgumentException($"unknown few-shot method '{method}'; known: {string.Join(", ", Names)}"),
        };

    static ClassificationReport SetFitRun(PromptTaskData data, FewShotSample sample, PromptLearningOptions o, string encoderDir)
    {
        using var classifier = SetFit.Train(encoderDir, sample.Train, data.Labels.Count, o, sample.Seed);
        var predicted = classifier.Predict(data.Evaluation.Select(e => e.Text).ToArray());
        return ClassificationReport.Compute(data.Evaluation.Select(e => e.Label).ToArray(), predicted, data.Labels);
    }

    static ClassificationReport FineTuneRun(PromptTaskData data, FewShotSample sample, PromptLearningOptions o, string encoderDir, string method, double learningRate)
    {
        var custom = new ClassificationData($"{data.Name}-k{sample.K}-seed{sample.Seed}", data.Labels, sample.Train, sample.Validation, data.Evaluation);
        var options = new FineTuneOptions
        {
            Task = FineTuneTask.Custom, CustomData = custom, ModelDir = encoderDir, Method = method, LearningRate = learningRate,
            Epochs = o.HeadEpochs, BatchSize = Math.Min(o.BatchSize, 8), MaxLength = o.MaxLength, EarlyStoppingPatience = 0, Seed = sample.Seed,
            GroupByLength = o.GroupByLength,
        };
        var result = FineTuning.Run(options);
        (result.Classifier?.Module as IDisposable)?.Dispose();
        return result.Test;
    }

    static FewShotOutcome ClozeRun(PromptTaskData data, FewShotSample sample, PromptLearningOptions o, string clozeDir)
    {
        using var loaded = LoadCloze(clozeDir, data.Task, o);
        var (classifier, detail) = o.SearchVerbalizer ? SearchedVerbalizer(loaded, data, sample, o) : (loaded, null);   // shares loaded's model
        classifier.FineTune(sample.Train, o.ClozeEpochs, o.ClozeLearningRate, Math.Min(o.BatchSize, 8), sample.Seed, o.GroupByLength);
        var predicted = classifier.Predict(data.Evaluation.Select(e => e.Text).ToArray());
        return new(ClassificationReport.Compute(data.Evaluation.Select(e => e.Label).ToArray(), predicted, data.Labels), detail);
    }

    static (ClozeClassifier Classifier, string Detail) SearchedVerbalizer(ClozeClassifier cloze, PromptTaskData data, FewShotSample sample, PromptLearningOptions o)
    {
        var (verbalizer, choice) = VerbalizerSearch.Search(cloze, sample.Train, sample.Validation, data.Labels.Count, o.VerbalizerCandidates);
        return (cloze.WithVerbalizer(verbalizer),
            $"label words {string.Join("|", verbalizer.Words)} (searched; the validation draw read zero-shot: accuracy {choice.Accuracy:F3})");
    }

    /// <summary>A masked LM with the options' template and verbalizer (the task's default words when none given).</summary>
    public static ClozeClassifier LoadCloze(string modelDir, PromptTask task, PromptLearningOptions o)
    {
        RequireMaskedLmHead(modelDir);
        var tokenizer = Pretrained.LoadTokenizer(modelDir);
        var words = o.VerbalizerWords ?? Verbalizer.DefaultWords(task);
        int classes = task == PromptTask.Sst2 ? 2 : 3;
        if (words.Count != classes) throw new ArgumentException($"the verbalizer has {words.Count} words for {classes} labels");
        var template = new ClozeTemplate(o.Template);
        var verbalizer = Verbalizer.Create(tokenizer, words);
        var model = BertForMaskedLM.FromPretrained(modelDir);
        model.eval();
        return new ClozeClassifier(model, tokenizer, template, verbalizer, o.MaxLength);
    }

    /// <summary>Refuses a folder saved without cls.predictions: its vocabulary logits would come from a random head.</summary>
    public static void RequireMaskedLmHead(string modelDir)
    {
        using var file = Checkpoints.SafeTensorsFile.Open(Path.Combine(modelDir, Pretrained.WeightsFile));
        if (!file.Names.Any(n => n.StartsWith("cls.predictions.", StringComparison.Ordinal)))
            throw new ArgumentException($"{modelDir} has no masked-LM head (cls.predictions.*): cloze prompts need one. " +
                "Train one on the frozen encoder (MaskedLmHead.Ensure) or use the kit's pretrained BERT.");
    }
}
