using static TorchSharp.torch;

namespace CourseKit.Text;

/// <summary>
/// Inference over batches of similar length. A batch is padded to its longest sequence, so items taken in arrival order
/// compute mostly padding when lengths vary (SST-2's batches of 64 would be about half padding, XQuAD's windows run from
/// 40 to 384 tokens). Sorting by length first keeps each batch's padding small; the rows then go back to the order the
/// caller gave. Classification, cloze scoring, the QA reader, the tagger, sentence embeddings, the monitor and the
/// distillation teacher share <see cref="Map{TItem, TRow}"/> for this.
/// </summary>
public static class LengthBatches
{
    /// <summary>
    /// Runs <paramref name="scoreBatch"/> over <paramref name="items"/> sorted by <paramref name="lengthOf"/> (stable:
    /// equal lengths keep their order) in batches of at most <paramref name="batchSize"/>, and returns its rows in the
    /// order of <paramref name="items"/>. <paramref name="scoreBatch"/> returns one row per item of its batch, in the
    /// batch's order; each call runs inside a dispose scope of its own, so the batch's tensors are freed before the next.
    /// </summary>
    public static TRow[] Map<TItem, TRow>(IReadOnlyList<TItem> items, Func<TItem, int> lengthOf, int batchSize,
        Func<IReadOnlyList<TItem>, IReadOnlyList<TRow>> scoreBatch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var rows = new TRow[items.Count];
        var byLength = Enumerable.Range(0, items.Count).OrderBy(i => lengthOf(items[i])).ToArray();
        foreach (var positions in byLength.Chunk(batchSize))
        {
            using var scope = NewDisposeScope();
            var batchRows = scoreBatch(positions.Select(i => items[i]).ToArray());
            if (batchRows.Count != positions.Length)
                throw new InvalidDataException($"a batch of {positions.Length} items got {batchRows.Count} rows back from its scorer");
            for (int k = 0; k < positions.Length; k++) rows[positions[k]] = batchRows[k];
        }
        return rows;
    }

    /// <summary>Cuts a flat row-major [rows, width] array (a batch's output read back from a tensor or ONNX Runtime)
    /// into its rows.</summary>
    public static float[][] Rows(float[] flat, int rows, int width)
    {
        if (flat.Length != rows * width)
            throw new InvalidDataException($"expected {rows} rows × {width} values, got {flat.Length} values");
        return Enumerable.Range(0, rows).Select(r => flat.AsSpan(r * width, width).ToArray()).ToArray();
    }
}
