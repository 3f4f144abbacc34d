namespace CourseKit.Text;

/// <summary>
/// One encoded sequence, all lists of equal length (one entry per token, padding included).
/// <see cref="Offsets"/> index into the original text of the token's sequence (<see cref="SequenceIds"/>: 0 the first
/// text or the words joined by single spaces, 1 the second text of a pair); special and padding tokens have (0, 0).
/// </summary>
public sealed record TokenizedText(
    IReadOnlyList<int> InputIds,
    IReadOnlyList<int> AttentionMask,
    IReadOnlyList<int> TokenTypeIds,
    IReadOnlyList<CharSpan> Offsets,
    IReadOnlyList<int?> WordIds,
    IReadOnlyList<int?> SequenceIds,
    IReadOnlyList<string> Tokens)
{
    public int Length => InputIds.Count;
    /// <summary>How many tokens of the text were cut by truncation (0 when none).</summary>
    public int TruncatedTokenCount { get; init; }

    /// <summary>This encoding padded on the right to <paramref name="length"/> tokens with the pad token.</summary>
    public TokenizedText PadTo(int length, int padId, string padToken)
    {
        if (length <= Length) return this;
        int n = length - Length;
        return this with
        {
            InputIds = InputIds.Concat(Enumerable.Repeat(padId, n)).ToArray(),
            AttentionMask = AttentionMask.Concat(Enumerable.Repeat(0, n)).ToArray(),
            TokenTypeIds = TokenTypeIds.Concat(Enumerable.Repeat(0, n)).ToArray(),
            Offsets = Offsets.Concat(Enumerable.Repeat(default(CharSpan), n)).ToArray(),
            WordIds = WordIds.Concat(Enumerable.Repeat((int?)null, n)).ToArray(),
            SequenceIds = SequenceIds.Concat(Enumerable.Repeat((int?)null, n)).ToArray(),
            Tokens = Tokens.Concat(Enumerable.Repeat(padToken, n)).ToArray(),
        };
    }
}
