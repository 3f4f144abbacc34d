namespace CourseKit.Training;

/// <summary>
/// An epoch order whose batches hold examples of similar length, so padding to the longest in a batch wastes little
/// (Hugging Face's <c>group_by_length</c>). A batch is padded to its longest example, and attention costs the square
/// of that length: on XQuAD's 384-token windows, random batches of 16 compute 1.8× the real tokens (3× the attention),
/// grouped ones 1.02×. The epoch's shuffled order is cut into mega-batches of <see cref="MegaBatchBatches"/> batches,
/// each sorted by length and cut into batches, and the batches are shuffled again, so the learning-rate schedule does
/// not see long and short examples in turn. A short last batch, if any, stays last (the trainer cuts batches by
/// position). The same seed and epoch give the same order, so a resumed run sees the same batches.
/// </summary>
public static class LengthGroupedOrder
{
    /// <summary>Batches per mega-batch (Hugging Face's default multiplier): larger groups pad less and shuffle less.</summary>
    public const int MegaBatchBatches = 50;

    /// <param name="lengths">each example's length in tokens (what a batch is padded by).</param>
    public static int[] Of(IReadOnlyList<int> lengths, int batchSize, int seed, int epoch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var random = new Random(unchecked(seed * 1_000_003 + epoch));
        var shuffled = Enumerable.Range(0, lengths.Count).ToArray();
        random.Shuffle(shuffled);
        var batches = shuffled.Chunk(batchSize * MegaBatchBatches)
            .SelectMany(mega => mega.OrderByDescending(i => lengths[i]).Chunk(batchSize))   // OrderBy is stable: ties keep the shuffle
            .ToArray();
        // Shuffle the full batches; a short one (the last mega-batch's tail) goes last so cutting by position finds it.
        var full = batches.Where(b => b.Length == batchSize).ToArray();
        random.Shuffle(full);
        return full.Concat(batches.Where(b => b.Length < batchSize)).SelectMany(b => b).ToArray();
    }
}
