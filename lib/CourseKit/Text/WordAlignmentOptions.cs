namespace CourseKit.Text;

/// <summary>Which WordPiece tokens of a word carry its label.</summary>
public enum SubwordLabeling
{
    /// <summary>The first piece carries the word's label, the other pieces the ignore index (-100): the usual
    /// Hugging Face token-classification setup, and what predictions are read from.</summary>
    FirstSubword,
    /// <summary>Every piece is labelled: the first with the word's label, the others with
    /// <see cref="WordAlignmentOptions.ContinuationLabel"/> of it (for IOB2: B-X → I-X, see <c>NerLabels.InsideOf</c>).</summary>
    AllSubwords,
}

/// <summary>Options for <see cref="WordAlignment"/>.</summary>
public sealed record WordAlignmentOptions
{
    /// <summary>Tokens per window, [CLS] and [SEP] included.</summary>
    public int MaxLength { get; init; } = 512;
    /// <summary>Tokens that consecutive windows of a long sentence share (at most: windows hold whole words, so the
    /// overlap is the longest run of whole words ending the previous window that fits in this many tokens).</summary>
    public int Stride { get; init; } = 128;
    public SubwordLabeling Labeling { get; init; } = SubwordLabeling.FirstSubword;
    /// <summary>With <see cref="SubwordLabeling.AllSubwords"/>: the label of a word's continuation pieces given the
    /// word's label; null keeps the word's label. For CoNLL IOB2 ids pass <c>NerLabels.InsideOf</c>.</summary>
    public Func<int, int>? ContinuationLabel { get; init; }
    /// <summary>Pad every window to <see cref="MaxLength"/> (labels -100 on padding).</summary>
    public bool PadToMaxLength { get; init; }
    /// <summary>The label on tokens the loss ignores: special tokens, padding and (by default) continuation pieces.</summary>
    public int IgnoreIndex { get; init; } = -100;

    public static WordAlignmentOptions Default { get; } = new();
}
