using CourseKit.Metrics;
using CourseKit.Models;
using CourseKit.Text;
using static TorchSharp.torch;
using CourseKit.Training;

namespace CourseKit.Tasks.TokenClassification;

/// <summary>
/// A <see cref="TrainingTask{TExample}"/> for token classification: examples are aligned windows, batches are padded
/// per batch, the loss is the model's cross-entropy over labelled tokens, and the evaluation maps predictions back to
/// one tag per word and scores them with conlleval (entity-level micro F1, the metric of record for CoNLL) and token
/// accuracy. Metric names: <see cref="EntityF1"/>, <see cref="EntityPrecision"/>, <see cref="EntityRecall"/>,
/// <see cref="TokenAccuracy"/>, <see cref="Loss"/>.
/// </summary>
public static class TokenClassificationTask
{
    public const string EntityF1 = "entity_f1", EntityPrecision = "entity_precision", EntityRecall = "entity_recall",
        TokenAccuracy = "token_accuracy", Loss = "loss";

    public static TrainingTask<WordWindow> Create(BertPreTrainedModel<ClassifierOutput> model, BertTextTokenizer tokenizer,
        TokenClassificationData train, TokenClassificationData? validation = null, TokenClassificationOptions? options = null,
        IModelStore? store = null)
    {
        options ??= new TokenClassificationOptions();
        if (model.Config.NumLabels != train.Labels.Count)
            throw new ArgumentException($"the model has {model.Config.NumLabels} labels but the data has {train.Labels.Count} ({string.Join(", ", train.Labels)}).", nameof(model));
        if (validation is not null && !validation.Labels.SequenceEqual(train.Labels))
            throw new ArgumentException($"validation labels ({string.Join(", ", validation.Labels)}) differ from training labels ({string.Join(", ", train.Labels)}): " +
                "predicted ids would be named wrongly and entity F1 computed on the wrong tags", nameof(validation));
        return new TrainingTask<WordWindow>
        {
            Model = model,
            TrainSet = train.Windows,
            BatchSize = options.BatchSize,
            Loss = batch =>
            {
                using var tensors = TokenClassificationBatch.Collate(batch, tokenizer, options.Device);
                var output = model.forward(tensors.Inputs.InputIds, tensors.Inputs.AttentionMask, tensors.Inputs.TokenTypeIds, tensors.Labels);
                return output.Loss!;
            },
            CountTokens = batch => batch.Sum(w => (long)w.Encoding.AttentionMask.Count(m => m != 0)),
            Evaluate = validation is null ? null : () => Evaluate(model, tokenizer, validation, options).Metrics,
            Store = store ?? new HuggingFaceModelStore(tokenizer, options.MaxLength),
        };
    }

    /// <summary>Predicts every sentence of <paramref name="data"/> and scores it against the gold tags.</summary>
    public static TokenClassificationEvaluation Evaluate(BertPreTrainedModel<ClassifierOutput> model, BertTextTokenizer tokenizer,
        TokenClassificationData data, TokenClassificationOptions? options = null)
    {
        var (ids, loss) = TokenClassificationPredictor.PredictIds(model, tokenizer, data.Windows, options, data.Labels);
        return Score(data, ids, loss);
    }

    /// <summary>Scores word-level predicted label ids ([sentence][word]) against the gold tags of <paramref name="data"/>.</summary>
    public static TokenClassificationEvaluation Score(TokenClassificationData data, IReadOnlyList<int[]> ids, double loss)
    {
        var sentences = new TaggedSentence[data.SentenceCount];
        for (int s = 0; s < sentences.Length; s++)
            sentences[s] = new TaggedSentence(data.Words[s], data.Tags[s], ids[s].Select(id => data.Labels[id]).ToArray());
        var evaluation = NerEvaluation.Compute(sentences);
        var metrics = new Dictionary<string, double>
        {
            [EntityF1] = evaluation.Entity.Overall.Scores.F1,
            [EntityPrecision] = evaluation.Entity.Overall.Scores.Precision,
            [EntityRecall] = evaluation.Entity.Overall.Scores.Recall,
            [TokenAccuracy] = evaluation.Entity.Accuracy,
            [Loss] = loss,
        };
        return new TokenClassificationEvaluation(sentences, evaluation, metrics);
    }
}

/// <summary>Predictions (words, gold, predicted) with both NER reports and the scalar metrics the trainer logs.</summary>
public sealed record TokenClassificationEvaluation(IReadOnlyList<TaggedSentence> Sentences, NerEvaluation Reports, IReadOnlyDictionary<string, double> Metrics);
