namespace CourseKit.Data;

/// <summary>
/// One CoNLL sentence: parallel columns <paramref name="Words"/>, part-of-speech <paramref name="Pos"/>, syntactic
/// <paramref name="Chunk"/> tags and NER <paramref name="Tags"/>. <paramref name="DocumentIndex"/> counts
/// <c>-DOCSTART-</c> documents from 0 (0 for files without them); <paramref name="FirstLine"/> is the 1-based line of
/// the first word in the file.
/// </summary>
public sealed record ConllSentence(
    IReadOnlyList<string> Words,
    IReadOnlyList<string> Pos,
    IReadOnlyList<string> Chunk,
    IReadOnlyList<string> Tags,
    int DocumentIndex,
    int FirstLine)
{
    public int Length => Words.Count;

    /// <summary>The NER tags as <see cref="NerLabels"/> ids.</summary>
    public int[] TagIds => NerLabels.ToIds(Tags);
}
