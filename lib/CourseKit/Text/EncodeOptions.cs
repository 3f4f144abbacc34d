namespace CourseKit.Text;

/// <summary>How to pad encodings: not at all, to <see cref="EncodeOptions.MaxLength"/>, or to the longest in a batch.</summary>
public enum PaddingStrategy { None, MaxLength, Longest }

/// <summary>Options for <see cref="BertTextTokenizer"/> encodings (the Hugging Face tokenizer-call options of the same names).</summary>
public sealed record EncodeOptions
{
    /// <summary>The most tokens an encoding may have, special tokens included; null: no limit.</summary>
    public int? MaxLength { get; init; }
    /// <summary>Cut encodings longer than <see cref="MaxLength"/> (keeping the final [SEP]). For pairs only the second text is cut.</summary>
    public bool Truncation { get; init; } = true;
    public PaddingStrategy Padding { get; init; } = PaddingStrategy.None;
    /// <summary>Add [CLS] ... [SEP] (and [SEP] between a pair).</summary>
    public bool AddSpecialTokens { get; init; } = true;

    public static EncodeOptions Default { get; } = new();
}

/// <summary>A span of characters in a source string; (0, 0) for special and padding tokens.</summary>
public readonly record struct CharSpan(int Start, int Length)
{
    public int End => Start + Length;
    public override string ToString() => $"[{Start}, {End})";
}
