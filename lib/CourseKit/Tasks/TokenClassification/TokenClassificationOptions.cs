using CourseKit.Text;
using static TorchSharp.torch;

namespace CourseKit.Tasks.TokenClassification;

/// <summary>How sentences become model inputs for token classification (NER, POS) and how batches are formed.</summary>
public sealed record TokenClassificationOptions
{
    /// <summary>Tokens per window, [CLS] and [SEP] included; longer sentences are split into overlapping windows.</summary>
    public int MaxLength { get; init; } = 128;
    /// <summary>Tokens shared by consecutive windows of a long sentence (see <see cref="WordAlignmentOptions.Stride"/>).</summary>
    public int Stride { get; init; } = 32;
    /// <summary>First sub-token labelled (-100 on the others, the article's setup) or every sub-token labelled.</summary>
    public SubwordLabeling Labeling { get; init; } = SubwordLabeling.FirstSubword;
    /// <summary>Windows per training batch (padded to the longest window of the batch).</summary>
    public int BatchSize { get; init; } = 16;
    /// <summary>Windows per evaluation batch (windows sorted by length first, so little padding).</summary>
    public int EvalBatchSize { get; init; } = 64;
    /// <summary>How a tag per word is read from the scores: argmax per word (default) or IOB2-constrained Viterbi.</summary>
    public TagDecoding Decoding { get; init; } = TagDecoding.Argmax;
    /// <summary>Where batches go (the model must already be there); null = CPU.</summary>
    public Device? Device { get; init; }

    public WordAlignmentOptions Alignment(IReadOnlyList<string> labels) => new()
    {
        MaxLength = MaxLength,
        Stride = Stride,
        Labeling = Labeling,
        ContinuationLabel = Labeling == SubwordLabeling.AllSubwords ? InsideOf(labels) : null,
    };

    /// <summary>B-X → I-X by name when the label set has I-X; anything else keeps its label.</summary>
    static Func<int, int> InsideOf(IReadOnlyList<string> labels)
    {
        var index = labels.Select((l, i) => (l, i)).ToDictionary(x => x.l, x => x.i, StringComparer.Ordinal);
        return id => labels[id].StartsWith("B-", StringComparison.Ordinal) && index.TryGetValue("I-" + labels[id][2..], out var inside) ? inside : id;
    }
}
