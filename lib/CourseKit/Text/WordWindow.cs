namespace CourseKit.Text;

/// <summary>
/// One model input cut from a sentence: [CLS] + the WordPiece tokens of words
/// [<paramref name="FirstWord"/>, <paramref name="FirstWord"/> + <paramref name="WordCount"/>) + [SEP] (+ padding).
/// </summary>
/// <param name="Encoding">The tokens; its WordIds count from the window's first word.</param>
/// <param name="Labels">One label per token (the ignore index on special, padding and unlabelled tokens); null when the
/// sentence was aligned without labels (inference).</param>
/// <param name="SentenceWordIds">Per token, the index of its word in the whole sentence (null for special and padding tokens).</param>
/// <param name="SentenceIndex">Which sentence of a batch this window comes from.</param>
/// <param name="SentenceWordCount">How many words the whole sentence has.</param>
/// <param name="ScoredWords">The sentence word indices whose prediction is read from this window (each word is scored
/// in exactly one window: the one where it has the most context).</param>
public sealed record WordWindow(
    TokenizedText Encoding,
    IReadOnlyList<int>? Labels,
    IReadOnlyList<int?> SentenceWordIds,
    int SentenceIndex,
    int FirstWord,
    int WordCount,
    int SentenceWordCount,
    IReadOnlyList<int> ScoredWords)
{
    public int Length => Encoding.Length;
}
