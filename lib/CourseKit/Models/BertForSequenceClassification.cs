using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CourseKit.Models;

/// <summary>A label per sequence: dropout + linear on the pooled [CLS] state.</summary>
public sealed class BertForSequenceClassification : BertPreTrainedModel<ClassifierOutput>
{
    public readonly BertModel bert;
    readonly Dropout dropout;
    public readonly Linear classifier;

    /// <param name="labels">The task's labels; when given they replace the checkpoint's (a new head for a new task).</param>
    public static BertForSequenceClassification FromPretrained(string dir, IReadOnlyList<string>? labels = null) =>
        Pretrained.Load(dir, BertConfig.Load, c => new BertForSequenceClassification(c), labels is null ? null : c => c.WithLabels(labels)).Model;

    public BertForSequenceClassification(BertConfig config) : base(nameof(BertForSequenceClassification), config)
    {
        bert = new BertModel(config, addPoolingLayer: true, initWeights: false);
        dropout = nn.Dropout(ClassifierDropout);
        classifier = nn.Linear(config.HiddenSize, config.NumLabels);
        Build();
    }

    public override BertModel Bert => bert;

    /// <param name="labels">[B]: int64 class ids (cross-entropy); float targets when num_labels is 1 (regression,
    /// mean squared error); [B, C] float 0/1 for multi-label (binary cross-entropy), as HF's problem_type.</param>
    public override ClassifierOutput ForwardHead(BertModelOutput hidden, Tensor? labels)
    {
        var logits = classifier.forward(dropout.forward(hidden.PoolerOutput!));         // [B, C]
        Tensor? loss = null;
        if (labels is not null)
        {
            if (Config.NumLabels == 1)
                loss = nn.functional.mse_loss(logits.squeeze(-1), labels.to_type(logits.dtype));
            else if (labels.dtype is ScalarType.Int64 or ScalarType.Int32)
                loss = nn.functional.cross_entropy(logits, labels.to_type(ScalarType.Int64));
            else
                loss = nn.functional.binary_cross_entropy_with_logits(logits, labels.to_type(logits.dtype));
        }
        return new ClassifierOutput(logits, loss, hidden);
    }
}
