using CourseKit.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace CourseKit.Tasks.Recommendation;

/// <summary>
/// SASRec (Kang &amp; McAuley 2018) on the kit's GPT-2 blocks: the item sequence is the "text", items are the
/// vocabulary (index 0 = padding), causal self-attention predicts each next item, and the output layer is the item
/// embedding matrix itself (<see cref="GptModel.LmHeadWeight"/>). Trained with cross-entropy over all items rather
/// than the paper's one sampled negative — the loss with which SASRec beats BERT4Rec (Klenitskiy &amp; Vasilev 2023).
/// Sequences are right-padded, so with the causal mask no real item ever attends to padding.
/// </summary>
public class SasRecRecommender : SequenceRecommender
{
    public GptModel Model { get; }

    public SasRecRecommender(LeaveOneOutSplit split, SequenceModelOptions options) : base(split, options)
    {
        Model = new GptModel(new GptConfig
        {
            VocabSize = split.ItemCount + 1, NPositions = options.MaxLength, NEmbd = options.Hidden, NLayer = options.Layers,
            NHead = options.Heads, ResidPdrop = options.Dropout, EmbdPdrop = options.Dropout, AttnPdrop = options.Dropout,
        });
    }

    public override nn.Module Module => Model;
    public override string Name => "sasrec";
    protected override int TrainingWindow => Options.MaxLength + 1;

    protected override Tensor TrainingLoss(IReadOnlyList<int[]> windows, Random random)
    {
        var inputs = RightPadded(windows.Select(w => w[..^1]).ToList());            // [B, T]
        var targets = RightPadded(windows.Select(w => w[1..]).ToList());            // [B, T]: the next item, 0 = padding
        var (hidden, _) = Model.transformer.forward(inputs);                         // [B, T, C]
        var logits = nn.functional.linear(hidden, Model.LmHeadWeight);               // [B, T, N+1]
        return nn.functional.cross_entropy(logits.view(-1, logits.shape[2]), targets.view(-1), ignore_index: 0);
    }

    protected override Tensor NextItemLogits(IReadOnlyList<int[]> histories)
    {
        var (hidden, _) = Model.transformer.forward(RightPadded(histories));
        return nn.functional.linear(AtLastPosition(hidden, histories.Select(h => h.Length).ToList()), Model.LmHeadWeight);
    }

    /// <summary>Per layer, the attention of the last position over the history's last <see cref="SequenceModelOptions.MaxLength"/>
    /// items, averaged over heads: [layers][T].</summary>
    public float[][] LastPositionAttention(int[] history)
    {
        Model.eval();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var window = history.Length > Options.MaxLength ? history[^Options.MaxLength..] : history;
        var (_, attentions) = Model.transformer.forward(RightPadded([window]), returnWeights: true);
        return attentions!.Select(a => a[0].mean([0])[-1].data<float>().ToArray()).ToArray();  // [nh, T, T] → [T]
    }

    /// <summary>Starts the item embeddings from given vectors [N+1, Hidden] (the hybrid's text embeddings).</summary>
    public void InitialiseItemEmbeddings(Tensor vectors)
    {
        using var _ = no_grad();
        Model.LmHeadWeight.copy_(vectors);
    }
}
