using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CourseKit.Models;

/// <summary>A label per token (NER, POS): dropout + linear on every hidden state. No pooler, as in HF.</summary>
public sealed class BertForTokenClassification : BertPreTrainedModel<ClassifierOutput>
{
    public readonly BertModel bert;
    readonly Dropout dropout;
    public readonly Linear classifier;

    /// <param name="labels">The task's labels; when given they replace the checkpoint's (a new head for a new task).</param>
    public static BertForTokenClassification FromPretrained(string dir, IReadOnlyList<string>? labels = null) =>
        Pretrained.Load(dir, BertConfig.Load, c => new BertForTokenClassification(c), labels is null ? null : c => c.WithLabels(labels)).Model;

    public BertForTokenClassification(BertConfig config) : base(nameof(BertForTokenClassification), config)
    {
        bert = new BertModel(config, addPoolingLayer: false, initWeights: false);
        dropout = nn.Dropout(ClassifierDropout);
        classifier = nn.Linear(config.HiddenSize, config.NumLabels);
        Build();
    }

    public override BertModel Bert => bert;

    /// <param name="labels">[B, T] class ids, -100 where no label (padding, continuation sub-words).</param>
    public override ClassifierOutput ForwardHead(BertModelOutput hidden, Tensor? labels)
    {
        var logits = classifier.forward(dropout.forward(hidden.LastHiddenState));      // [B, T, C]
        var loss = labels is null ? null
            : nn.functional.cross_entropy(logits.view(-1, Config.NumLabels), labels.view(-1), ignore_index: -100);
        return new ClassifierOutput(logits, loss, hidden);
    }
}
