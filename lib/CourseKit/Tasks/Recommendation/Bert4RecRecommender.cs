using CourseKit.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace CourseKit.Tasks.Recommendation;

/// <summary>
/// BERT4Rec (Sun et al. 2019) on the kit's BERT: bidirectional attention over the item sequence, trained to recover
/// randomly masked items (Cloze); the next item is predicted by appending [MASK] to the history. Vocabulary: 0 =
/// padding, 1..N items, N+1 = [MASK]; the MLM head's decoder is the item embedding matrix (tied).
/// </summary>
public sealed class Bert4RecRecommender : SequenceRecommender
{
    public BertForMaskedLM Model { get; }
    int MaskId => Split.ItemCount + 1;

    public Bert4RecRecommender(LeaveOneOutSplit split, SequenceModelOptions options) : base(split, options)
    {
        var config = SmallBert.Config(vocabSize: split.ItemCount + 2, layers: options.Layers, hidden: options.Hidden,
            heads: options.Heads, intermediate: 4 * options.Hidden, maxPositions: options.MaxLength);
        config.HiddenDropoutProb = options.Dropout;
        config.AttentionProbsDropoutProb = options.Dropout;
        Model = new BertForMaskedLM(config);
    }

    public override nn.Module Module => Model;
    public override string Name => "bert4rec";
    protected override int TrainingWindow => Options.MaxLength;
    protected override int HistoryLength => Options.MaxLength - 1;  // room for the [MASK] that asks for the next item

    protected override Tensor TrainingLoss(IReadOnlyList<int[]> windows, Random random)
    {
        var inputs = new List<int[]>();
        var labels = new List<int[]>();
        foreach (var window in windows)
        {
            var input = (int[])window.Clone();
            var label = Enumerable.Repeat(-100, window.Length).ToArray();
            // A tenth of the windows mask only the last item: the same task as inference (BERT4Rec's trick).
            bool lastOnly = random.NextDouble() < 0.1;
            for (int t = 0; t < window.Length; t++)
                if (lastOnly ? t == window.Length - 1 : random.NextDouble() < Options.MaskProbability)
                    (label[t], input[t]) = (window[t], MaskId);
            if (label.All(l => l == -100)) (label[^1], input[^1]) = (window[^1], MaskId);
            inputs.Add(input);
            labels.Add(label);
        }
        var ids = RightPadded(inputs);
        var output = Model.forward(ids, ids.ne(0).to(int64), null, RightPadded(labels, pad: -100));
        return output.Loss!;
    }

    protected override Tensor NextItemLogits(IReadOnlyList<int[]> histories)
    {
        var asked = histories.Select(h => (int[])[.. h, MaskId]).ToList();
        var ids = RightPadded(asked);
        var output = Model.forward(ids, ids.ne(0).to(int64), null, null);
        var last = AtLastPosition(output.Logits, asked.Select(a => a.Length).ToList());   // [B, N+2]
        return last[.., ..(Split.ItemCount + 1)];                                       // [MASK] is not an item
    }
}
