using CourseKit.Checkpoints;
using CourseKit.Data;
using CourseKit.Metrics;
using CourseKit.Models;
using CourseKit.Text;
using CourseKit.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace CourseKit.Tasks.QuestionAnswering;

/// <summary>
/// Extractive QA with <see cref="BertForQuestionAnswering"/>: the <see cref="TrainingTask{TExample}"/> over windows
/// (loss: the mean of the start and end cross-entropies), and prediction: start/end logits per window, then
/// <see cref="QaSpans"/> to one answer per question, scored with the official <see cref="SquadMetric"/>.
/// </summary>
public static class QuestionAnsweringTask
{
    public static TrainingTask<QaFeature> Create(BertForQuestionAnswering model, BertTextTokenizer tokenizer, IReadOnlyList<QaFeature> train,
        QuestionAnsweringOptions options, IModelStore? store = null, Func<IReadOnlyDictionary<string, double>>? evaluate = null) => new()
    {
        Evaluate = evaluate,
        Model = model,
        TrainSet = train,
        BatchSize = options.BatchSize,
        Loss = batch =>
        {
            using var inputs = Collate(batch, tokenizer, options.Device);
            using var starts = tensor(batch.Select(f => (long)f.StartPosition).ToArray(), device: options.Device);
            using var ends = tensor(batch.Select(f => (long)f.EndPosition).ToArray(), device: options.Device);
            return model.forward(inputs.InputIds, inputs.AttentionMask, inputs.TokenTypeIds, starts, ends).Loss!;
        },
        CountTokens = batch => batch.Sum(f => (long)f.Encoding.Length),
        LengthOf = options.GroupByLength ? f => f.Encoding.Length : null,
        Store = store ?? new HuggingFaceModelStore(tokenizer, options.MaxLength),
    };

    static BatchTensors Collate(IReadOnlyList<QaFeature> batch, BertTextTokenizer tokenizer, Device? device) =>
        TokenizedBatch.Pad(batch.Select(f => f.Encoding).ToArray(), tokenizer.PadId, tokenizer.PadToken).ToTensors(device);

    /// <summary>Start and end logits of every window (in the order given), eval mode, no gradients; windows batched by length.</summary>
    public static IReadOnlyList<(float[] Start, float[] End)> Logits(BertForQuestionAnswering model, BertTextTokenizer tokenizer,
        IReadOnlyList<QaFeature> features, int batchSize = 32, Device? device = null)
    {
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using var noGrad = no_grad();
            return Logits(features, batchSize, batch =>
            {
                using var scope = NewDisposeScope();
                using var inputs = Collate(batch, tokenizer, device);
                var output = model.forward(inputs.InputIds, inputs.AttentionMask, inputs.TokenTypeIds, null, null);
                return (output.StartLogits.to(ScalarType.Float32).cpu().data<float>().ToArray(),
                    output.EndLogits.to(ScalarType.Float32).cpu().data<float>().ToArray(), (int)output.StartLogits.shape[1]);
            });
        }
        finally { model.train(wasTraining); }
    }

    /// <summary>
    /// Start and end logits of every window (in the order given) from any scorer of window batches: windows sorted by
    /// length in batches of <paramref name="batchSize"/>; <paramref name="scoreBatch"/> returns a batch's start and end
    /// logits (flat [batch · padded length]) and the padded length. The torch reader and the service's ONNX Runtime
    /// reader share this, and <see cref="QaSpans"/> reads the answers from it.
    /// </summary>
    public static IReadOnlyList<(float[] Start, float[] End)> Logits(IReadOnlyList<QaFeature> features, int batchSize,
        Func<IReadOnlyList<QaFeature>, (float[] Start, float[] End, int Length)> scoreBatch)
    {
        return LengthBatches.Map(features, f => f.Encoding.Length, batchSize, batch =>
        {
            var (start, end, length) = scoreBatch(batch);
            if (start.Length != batch.Count * length || end.Length != batch.Count * length)
                throw new InvalidDataException($"a batch of {batch.Count} windows × {length} tokens got {start.Length} start and {end.Length} end logits");
            var (starts, ends) = (LengthBatches.Rows(start, batch.Count, length), LengthBatches.Rows(end, batch.Count, length));
            return starts.Zip(ends, (s, e) => (s, e)).ToArray();
        });
    }

    /// <summary>Start and end logits of every window from an ONNX Runtime session over the kit's exported
    /// question-answering graph (<c>start_logits</c>, <c>end_logits</c>), padded as the torch reader pads: the service's
    /// ONNX reader and the compression benchmark share this.</summary>
    public static IReadOnlyList<(float[] Start, float[] End)> Logits(OnnxBertSession session, BertTextTokenizer tokenizer,
        IReadOnlyList<QaFeature> features, int batchSize) =>
        Logits(features, batchSize, batch =>
        {
            var padded = TokenizedBatch.Pad(batch.Select(f => f.Encoding).ToArray(), tokenizer.PadId, tokenizer.PadToken);
            var outputs = session.Run(padded);
            return (outputs["start_logits"].Values, outputs["end_logits"].Values, padded.SequenceLength);
        });

    /// <summary>One answer per question of <paramref name="questions"/>.</summary>
    public static IReadOnlyDictionary<string, QaAnswer> Predict(BertForQuestionAnswering model, BertTextTokenizer tokenizer, SquadDataset data,
        IEnumerable<SquadQuestion> questions, QuestionAnsweringOptions options)
    {
        var features = QaFeatures.Build(tokenizer, data, questions, options.MaxLength, options.Stride);
        var logits = Logits(model, tokenizer, features, options.EvalBatchSize, options.Device);
        return QaSpans.BestPerQuestion(features, logits, options.NBest, options.MaxAnswerLength);
    }

    /// <summary>Predicts and scores <paramref name="questions"/> (the metric runs over exactly those questions).</summary>
    public static (SquadScores Scores, IReadOnlyDictionary<string, QaAnswer> Answers) Evaluate(BertForQuestionAnswering model, BertTextTokenizer tokenizer,
        SquadDataset data, IReadOnlyList<SquadQuestion> questions, QuestionAnsweringOptions options)
    {
        var answers = Predict(model, tokenizer, data, questions, options);
        var scores = Score(data, questions, answers);
        return (scores, answers);
    }

    /// <summary>The official SQuAD metric of <paramref name="answers"/> over exactly <paramref name="questions"/>.</summary>
    public static SquadScores Score(SquadDataset data, IReadOnlyList<SquadQuestion> questions, IReadOnlyDictionary<string, QaAnswer> answers) =>
        SquadMetric.Evaluate(OnlyQuestions(data, questions), answers.ToDictionary(a => a.Key, a => a.Value.Text));

    /// <summary><paramref name="data"/> reduced to <paramref name="questions"/> (article and paragraph indices kept).</summary>
    public static SquadDataset OnlyQuestions(SquadDataset data, IReadOnlyList<SquadQuestion> questions)
    {
        var keep = questions.Select(q => q.Id).ToHashSet();
        var articles = data.Articles
            .Select(a => a with { Paragraphs = a.Paragraphs.Select(p => p with { Questions = p.Questions.Where(q => keep.Contains(q.Id)).ToArray() }).ToArray() })
            .ToArray();
        return new SquadDataset(data.Source, articles);
    }
}
