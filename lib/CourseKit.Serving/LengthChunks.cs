namespace CourseKit.Serving;

/// <summary>
/// Splits a micro-batch into forward passes of similar lengths. A batch is padded to its longest input, so one
/// 30-token text among 3-token ones makes every row cost 30 tokens; on a CPU that waste can eat what batching gains.
/// Inputs sorted by length are cut where padding would exceed <see cref="PaddingSlack"/> of the real tokens
/// (plus a few tokens' allowance), so each pass stays large enough for efficient matrix products.
/// </summary>
public static class LengthChunks
{
    public const double PaddingSlack = 0.25;
    const int SlackTokens = 32;

    /// <summary>Input indices, shortest first, grouped into passes of at most <paramref name="maxCount"/>.</summary>
    public static List<int[]> Split(IReadOnlyList<int> lengths, int maxCount = 64)
    {
        var order = Enumerable.Range(0, lengths.Count).OrderBy(i => lengths[i]).ToArray();
        var chunks = new List<int[]>();
        var current = new List<int>();
        long realTokens = 0;
        foreach (int i in order)
        {
            // Sorted ascending, so this input's length is the chunk's padded length if it joins.
            long padded = (long)(current.Count + 1) * lengths[i];
            if (current.Count > 0 && (current.Count >= maxCount || padded > (1 + PaddingSlack) * (realTokens + lengths[i]) + SlackTokens))
            {
                chunks.Add(current.ToArray());
                current.Clear();
                realTokens = 0;
            }
            current.Add(i);
            realTokens += lengths[i];
        }
        if (current.Count > 0) chunks.Add(current.ToArray());
        return chunks;
    }
}
