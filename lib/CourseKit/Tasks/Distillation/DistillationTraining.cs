using CourseKit.Metrics;
using CourseKit.Models;
using CourseKit.Tasks.SequenceClassification;
using CourseKit.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CourseKit.Tasks.Distillation;

/// <summary>What the optimizer trains: the student and, when a loss compares vectors of different widths, the learned
/// projections W_h (hidden states) and W_p (pooled vectors) from the student's width to the teacher's. Only the
/// student is kept afterwards.</summary>
public sealed class DistillationModule : nn.Module
{
    public readonly BertForSequenceClassification student;
    public readonly Linear? hidden_projection;
    public readonly Linear? pooled_projection;

    public DistillationModule(BertForSequenceClassification student, int teacherWidth, DistillationLoss losses) : base(nameof(DistillationModule))
    {
        this.student = student;
        register_module("student", student);
        int width = student.Config.HiddenSize;
        if (width == teacherWidth) return;
        if (losses.HasFlag(DistillationLoss.Hidden)) register_module("hidden_projection", hidden_projection = nn.Linear(width, teacherWidth));
        if (losses.HasFlag(DistillationLoss.Cosine)) register_module("pooled_projection", pooled_projection = nn.Linear(width, teacherWidth));
    }
}

/// <summary>One student trained: its name, the losses, the data it saw, its validation and test reports and its run.</summary>
public sealed record DistilledStudent(string Name, Student Student, DistillationLoss Losses, int LabelledCount, int TransferCount,
    ClassificationReport Validation, ClassificationReport Test, long Steps, double TrainSeconds, IReadOnlyList<LogEntry> History);

/// <summary>The teacher, its tokenizer and the task's labels: what every student of a run is trained against.</summary>
public sealed record DistillationTeacher(BertForSequenceClassification Model, Text.BertTextTokenizer Tokenizer, IReadOnlyList<string> Labels);

/// <summary>
/// Trains a student on the kit's <see cref="Trainer"/> (AdamW, warm-up and linear decay, validation macro-F1 every
/// epoch, early stopping, best epoch kept): the loss of a batch is the hard-label cross-entropy, mixed with the soft
/// targets by α, plus the weighted hidden-state, attention and cosine terms that are switched on. The teacher's logits
/// come precomputed with the examples; its hidden states, attentions and pooled vectors are computed per batch
/// (eval mode, no gradients) only when a loss needs them.
/// </summary>
public static class DistillationTraining
{
    public static DistilledStudent Train(string name, Student student, DistillationTeacher teacher, DistillationLoss losses,
        IReadOnlyList<DistillExample> train, IReadOnlyList<EncodedExample> validation, IReadOnlyList<EncodedExample> test,
        DistillationOptions o, string workDir, CancellationToken cancel = default)
    {
        const DistillationLoss tokenLosses = DistillationLoss.Hidden | DistillationLoss.Attention;
        if ((losses & tokenLosses) != 0 && !ReferenceEquals(student.Tokenizer, teacher.Tokenizer))
            throw new ArgumentException($"student {student.Spec.Name} has its own vocabulary: the hidden-state and attention losses compare tokens one to one and need the teacher's; use soft or cosine");
        var module = new DistillationModule(student.Model, teacher.Model.Config.HiddenSize, losses);
        int pad = student.Tokenizer.PadId, teacherPad = teacher.Tokenizer.PadId;
        teacher.Model.eval();
        var task = new TrainingTask<DistillExample>
        {
            Model = module,
            TrainSet = train,
            BatchSize = o.BatchSize,
            CountTokens = batch => batch.Sum(e => (long)e.Student.InputIds.Length),
            Loss = batch => BatchLoss(module, teacher.Model, losses, batch, pad, teacherPad, o),
            Evaluate = () =>
            {
                var (report, loss) = Evaluate(student.Model, validation, teacher.Labels, pad);
                var metrics = report.Summary();
                metrics["loss"] = loss;
                return metrics;
            },
        };
        var trainerOptions = o.ToTrainerOptions(o.LearningRate, "macro_f1", Path.Combine(workDir, "trainer"),
            logEverySteps: Math.Max(1, Math.Min(10, train.Count / o.BatchSize / 4)));
        var trained = Trainer.Run(task, trainerOptions, cancel);
        var (validationReport, _) = Evaluate(student.Model, validation, teacher.Labels, pad);
        var (testReport, _) = Evaluate(student.Model, test, teacher.Labels, pad);
        return new DistilledStudent(name, student, losses, train.Count(e => e.Gold), train.Count(e => !e.Gold),
            validationReport, testReport, trained.Steps, trained.WallSeconds, trained.History);
    }

    /// <summary>The loss of one batch (train mode, inside the trainer's dispose scope).</summary>
    public static Tensor BatchLoss(DistillationModule module, BertForSequenceClassification teacher, DistillationLoss losses,
        IReadOnlyList<DistillExample> batch, int pad, int teacherPad, DistillationOptions o)
    {
        var (ids, mask, types, labels) = SequenceClassificationBatches.Collate(batch.Select(e => e.Student).ToArray(), pad);
        bool attention = losses.HasFlag(DistillationLoss.Attention);
        var output = module.student.forward(ids, mask, types, labels, outputAttentions: attention);
        var loss = output.Loss ?? throw new InvalidOperationException("the student returned no loss although labels were given");
        if (losses.HasFlag(DistillationLoss.Soft))
        {
            var teacherLogits = tensor(batch.SelectMany(e => e.TeacherLogits).ToArray(), [batch.Count, batch[0].TeacherLogits.Length]);
            loss = DistillationLosses.Mix(DistillationLosses.SoftTargets(output.Logits, teacherLogits, o.Temperature), loss, o.Alpha);
        }
        if ((losses & (DistillationLoss.Hidden | DistillationLoss.Attention | DistillationLoss.Cosine)) == 0) return loss;

        BertModelOutput teacherOutput;
        using (no_grad())
        {
            var (tIds, tMask, tTypes, _) = SequenceClassificationBatches.Collate(batch.Select(e => new EncodedExample(e.TeacherIds, 0)).ToArray(), teacherPad);
            teacherOutput = teacher.Bert.forward(tIds, tMask, tTypes, outputAttentions: attention);
        }
        if (losses.HasFlag(DistillationLoss.Hidden))
            loss = loss + DistillationLosses.HiddenStates(output.Hidden.LastHiddenState, teacherOutput.LastHiddenState, module.hidden_projection, mask) * o.HiddenWeight;
        if (attention)
            loss = loss + DistillationLosses.AttentionKl(output.Hidden.Attentions![^1], teacherOutput.Attentions![^1], mask) * o.AttentionWeight;
        if (losses.HasFlag(DistillationLoss.Cosine))
            loss = loss + DistillationLosses.Cosine(output.Hidden.PoolerOutput!, teacherOutput.PoolerOutput!, module.pooled_projection) * o.CosineWeight;
        return loss;
    }

    public static (ClassificationReport Report, double Loss) Evaluate(BertForSequenceClassification model, IReadOnlyList<EncodedExample> examples,
        IReadOnlyList<string> labels, int pad) =>
        SequenceClassificationBatches.Evaluate(model, (i, m, t, l) => model.forward(i, m, t, l), examples, labels, pad);
}
