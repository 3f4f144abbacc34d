using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CourseKit.Models;

/// <summary>Extractive QA (SQuAD): a start and an end logit per token. No pooler, as in HF.</summary>
public sealed class BertForQuestionAnswering : BertPreTrainedModel<QuestionAnsweringOutput>
{
    public readonly BertModel bert;
    public readonly Linear qa_outputs;

    public static BertForQuestionAnswering FromPretrained(string dir) =>
        Pretrained.Load(dir, BertConfig.Load, c => new BertForQuestionAnswering(c)).Model;

    public BertForQuestionAnswering(BertConfig config) : base(nameof(BertForQuestionAnswering), config)
    {
        bert = new BertModel(config, addPoolingLayer: false, initWeights: false);
        qa_outputs = nn.Linear(config.HiddenSize, 2);
        Build();
    }

    public override BertModel Bert => bert;

    /// <param name="labels">[B, 2]: start and end token positions of the answer (or use the overload).</param>
    public override QuestionAnsweringOutput ForwardHead(BertModelOutput hidden, Tensor? labels) =>
        ForwardHead(hidden, labels?.select(1, 0), labels?.select(1, 1));

    /// <param name="startPositions">[B] int64; positions outside the sequence are ignored by the loss, as in HF.</param>
    public QuestionAnsweringOutput forward(Tensor inputIds, Tensor? attentionMask, Tensor? tokenTypeIds,
        Tensor? startPositions, Tensor? endPositions, bool outputAttentions = false) =>
        ForwardHead(bert.forward(inputIds, attentionMask, tokenTypeIds, outputAttentions), startPositions, endPositions);

    /// <summary>The start/end head on the encoder's output.</summary>
    public QuestionAnsweringOutput ForwardHead(BertModelOutput hidden, Tensor? startPositions, Tensor? endPositions)
    {
        var logits = qa_outputs.forward(hidden.LastHiddenState);                        // [B, T, 2]
        var start = logits.select(-1, 0).contiguous();                                  // [B, T]
        var end = logits.select(-1, 1).contiguous();                                    // [B, T]
        Tensor? loss = null;
        if (startPositions is not null && endPositions is not null)
        {
            var T = start.shape[1];
            using var s = startPositions.clamp(0, T);
            using var e = endPositions.clamp(0, T);
            loss = (nn.functional.cross_entropy(start, s, ignore_index: T)
                  + nn.functional.cross_entropy(end, e, ignore_index: T)) / 2;
        }
        return new QuestionAnsweringOutput(start, end, loss, hidden);
    }
}
